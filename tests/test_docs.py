"""Docs that must stay true: every hook documented with its exact signature, and tested."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from dyncrm import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOK_DOCS = ROOT / "docs" / "hooks"
PHASES = ("acquire", "retain", "expand")


def hook_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if n.startswith("dyncrm_"))


def phase_of(name: str) -> str:
    rest = name.removeprefix("dyncrm_")
    for phase in PHASES:
        if rest.startswith(phase + "_"):
            return phase
    return "core"


def headings() -> dict[str, str]:
    found = {}
    for path in HOOK_DOCS.glob("*.md"):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^#{2,4}\s+`?(dyncrm_\w+)\((.*?)\)`?\s*$", line)
            if m:
                found[m.group(1)] = f"{path.stem}:{m.group(2)}"
    return found


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_with_its_signature(name: str) -> None:
    docs = headings()
    assert name in docs, f"{name} has no heading in docs/hooks/{phase_of(name)}.md"
    page, args = docs[name].split(":", 1)
    spec_args = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    assert page == phase_of(name), f"{name} belongs in docs/hooks/{phase_of(name)}.md"
    assert args == spec_args, f"docs say {name}({args}), the spec is {name}({spec_args})"


def test_documented_hooks_exist() -> None:
    stale = set(headings()) - set(hook_names())
    assert not stale, f"docs/hooks document hooks that no longer exist: {sorted(stale)}"


def test_every_hook_has_a_docstring() -> None:
    for name in hook_names():
        doc = getattr(hookspecs, name).__doc__ or ""
        assert len(doc.strip()) > 20, f"{name} needs a docstring"
        if getattr(hookspecs, name).dyncrm_spec.get("firstresult"):
            assert "Stops at first non-None result" in doc, name


def _test_function_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(node.name for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))
    return names


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_a_test(name: str) -> None:
    assert f"test_hook_{name}" in _test_function_names(), \
        f"write a test named test_hook_{name} that shows the hook being called"


def full_command_tree():
    """The ``dyncrm`` command tree with every bundled plugin enabled (as Koperasi XYZ runs)."""
    import copy
    import importlib.metadata as md
    import tomllib
    from importlib.resources import files

    import click

    from dyncrm.cli import cli
    from dyncrm.plugins import get_plugin_manager

    config = tomllib.loads((files("koperasi_xyz") / "dyncrm.toml").read_text("utf-8"))
    enabled = [*config["plugins"]["enabled"], "retain.http_gateway"]
    tree = click.Group("dyncrm")
    for name, cmd in cli.commands.items():
        if isinstance(cmd, click.Group):
            cmd = copy.copy(cmd)
            cmd.commands = dict(cmd.commands)
        tree.add_command(cmd, name)
    for ep in md.entry_points(group="dyncrm.cli"):
        tree.add_command(ep.load(), ep.name)
    pm = get_plugin_manager(enabled)
    pm.hook.dyncrm_register_commands(cli=tree)
    tree.plugin_manager = pm  # groups made from hooks (laporan) list their commands from it
    return tree


def _walk(group, prefix=(), ctx=None):
    """Every command below ``group``, resolved as click resolves them (so a group whose
    commands come from a hook, like ``laporan`` from ``dyncrm_reports``, shows them)."""
    import click

    if ctx is None:
        ctx = click.Context(group)
        ctx.meta["dyncrm.plugin_manager"] = getattr(group, "plugin_manager", None)
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        path = (*prefix, name)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, path, ctx)


def test_user_guide_names_every_cli_command() -> None:
    """Every command and subcommand of every bundled plugin appears in docs/ as `dyncrm ...`."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))
    text += (ROOT / "README.md").read_text(encoding="utf-8")
    # "dyncrm --as kasir savings pending" documents "dyncrm savings pending" too
    text = re.sub(r"dyncrm((?: (?:--as|-c|--config) \S+| --debug)+)", "dyncrm", text)
    missing = [" ".join(path) for path, _ in _walk(full_command_tree())
               if f"dyncrm {' '.join(path)}" not in text]
    assert not missing, f"commands missing from docs/: {missing}"


def test_every_command_explains_itself() -> None:
    """`--help` of every command has a summary line: nobody is left guessing."""
    missing = [" ".join(path) for path, cmd in _walk(full_command_tree())
               if not (cmd.help or "").strip()]
    assert not missing, f"commands without help text: {missing}"


def test_relative_links_in_docs_resolve() -> None:
    """Every relative link in README.md, docs/, benchmarks/ and tests/ points at a file."""
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"),
             *(ROOT / "benchmarks").glob("*.md"), *(ROOT / "tests").rglob("*.md")]
    broken = []
    for page in pages:
        for link in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" not in link and not (page.parent / link).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {link}")
    assert not broken, broken
