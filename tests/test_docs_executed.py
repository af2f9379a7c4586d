"""Docs that are executed: every console example of README.md and docs/, and every
command's ``--help`` examples, run against the deployment they describe.

One demo deployment (``dyncrm demo``, Koperasi XYZ, 10 members) is made per test session;
each page runs in a copy of it, in its own folder, so pages do not depend on each other.
How a console block is checked (run, parse only, skip) is said in the page itself
(:mod:`console_docs`); the counts of examples run, parsed and skipped are printed at the
end of the session.  Commands without ``--as`` run with nobody signed in, unless the page
signed someone in with ``dyncrm login NAME`` before (the runner signs NAME in with the
test password instead of asking for one).
"""

from __future__ import annotations

import collections
import contextlib
import os
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from console_docs import FENCE, Block, Command, blocks, output_matches, pages

from dyncrm.cli_examples import examples_of
from dyncrm.session_store import SessionStore
from dyncrm.testing import run_cli, sign_in

#: Writing docs: a demo folder made once (``dyncrm demo --members 10 --seed 2025``) to copy
#: instead of making one each run.
REUSE_ENV = "DYNCRM_DOCS_DEMO"
#: The day the pages run on (a training clock, ``[clock] simulated = true``): what they
#: show — ticket numbers such as KS-2026-00001, due dates — stays true in later years.
DOCS_TODAY = "2026-12-02"
#: The demo's people that pages and examples act as (signed in once, in the master copy).
PEOPLE = ("ketua", "sekretaris", "bendahara", "kasir", "panitia1", "panitia2", "anggota1",
          "anggota2")
#: A session folder with no sessions in it, in each copy: commands without ``--as``.
NOBODY = ".nobody-signed-in"
COUNTS: collections.Counter = collections.Counter()


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory,
                request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path]]:
    """A copy of the session's demo deployment (``demo_deployment`` in tests/conftest.py,
    or ``$DYNCRM_DOCS_DEMO``), its people signed in; yields its folder and the session
    folder (``$DYNCRM_SESSION_DIR``)."""
    base = tmp_path_factory.mktemp("docs-demo")
    sessions = base / "sessions"
    folder = base / "koperasi-xyz-demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DYNCRM_SESSION_DIR", str(sessions))
        mp.delenv("DYNCRM_USER", raising=False)
        mp.delenv("DYNCRM_CONFIG", raising=False)
        mp.delenv("DYNCRM_TODAY", raising=False)
        reuse = os.environ.get(REUSE_ENV)
        if reuse:  # writing docs: the same demo for every run, copied (never changed)
            shutil.copytree(reuse, folder)
        else:  # the demo the rest of the suite uses (made once per run)
            shutil.copytree(request.getfixturevalue("demo_deployment").folder, folder)
        for name in PEOPLE:
            sign_in(folder / "dyncrm.toml", name)
        request.config.pluginmanager.register(CountsReport(), "dyncrm-executed-docs")
        yield folder, sessions


class CountsReport:
    """Prints how many examples ran, were only parsed, were skipped (end of session)."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(
            "executed docs: {run} console examples run, {parse} parsed only, {skip} skipped "
            "(marked in the page); --help examples: {example_run} run, {example_parse} "
            "parsed only ({example_by_docs} of them of commands the docs run)".format(
                **{k: COUNTS[k] for k in ("run", "parse", "skip", "example_run",
                                          "example_parse", "example_by_docs")}))


def deployment_copy(master: tuple[Path, Path], where: Path) -> Path:
    """A copy of the demo in ``where``, its signed-in sessions valid there too."""
    folder, sessions = master
    target = where / folder.name
    shutil.copytree(folder, target)
    old = SessionStore(folder / "dyncrm.toml", sessions)
    new = SessionStore(target / "dyncrm.toml", sessions)
    for name in old.usernames():
        found = old.token(name)
        if found:
            new.save(*found)
    return target


@pytest.fixture
def demo(demo_master, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the demo deployment, the working directory its folder."""
    folder = deployment_copy(demo_master, tmp_path)
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(demo_master[1]))
    for name in ("DYNCRM_USER", "DYNCRM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    config = folder / "dyncrm.toml"
    if "[clock]" not in config.read_text(encoding="utf-8"):
        with config.open("a", encoding="utf-8") as out:
            out.write("\n[clock]\nsimulated = true\n")
    monkeypatch.setenv("DYNCRM_TODAY", DOCS_TODAY)
    # the pages show what Koperasi XYZ's staff see: the deployment's language, not the
    # English the rest of the suite runs in (tests/conftest.py)
    monkeypatch.delenv("DYNCRM_LANGUAGE", raising=False)
    monkeypatch.chdir(folder)
    (folder / NOBODY).mkdir()
    return folder


def acting_as(args: list[str]) -> None:
    """Sign in the person ``--as`` names (an unknown one: the command says so), unless
    they hold a session here already (the demo's people do, from the master copy)."""
    if "--as" in args:
        name = args[args.index("--as") + 1]
        if SessionStore("dyncrm.toml").token(name.lower()) is not None:
            return  # opening the deployment to check it again costs more than the command
        with contextlib.suppress(Exception):
            sign_in("dyncrm.toml", name)


# --- parsing without running ----------------------------------------------------------


def parse_error(argv: list[str]) -> str | None:
    """Why ``dyncrm ARGV`` would be a usage error (exit 2), or ``None`` if it parses."""
    from dyncrm.cli import cli
    from dyncrm.errors import DyncrmError

    try:
        ctx = cli.make_context("dyncrm", list(argv))
        cmd: click.Command = cli
        while isinstance(cmd, click.Group):
            args = [*ctx._protected_args, *ctx.args]
            if not args:
                break
            name, sub, rest = cmd.resolve_command(ctx, args)
            if sub is None:
                return f"no such command {name!r}"
            ctx = sub.make_context(name, rest, parent=ctx)
            cmd = sub
    except click.exceptions.Exit:
        return None
    except click.BadParameter as exc:
        if exc.param is not None and isinstance(exc.param.type, click.Path):
            return None  # a file the operator brings: parsing needs no more
        return exc.format_message()
    except click.UsageError as exc:
        return exc.format_message()
    except DyncrmError as exc:
        return str(exc)
    return None


# --- running a page -------------------------------------------------------------------


class Page:
    """What a page's commands share: who signed in with ``dyncrm login``, the variables
    it exported."""

    def __init__(self) -> None:
        self.user: str | None = None
        self.env: dict[str, str] = {}

    def argv(self, command: Command) -> tuple[list[str], str | None]:
        """The ``dyncrm`` arguments of ``command`` and what it reads on stdin."""
        words = command.argv
        stdin = None
        if "<" in words:
            at = words.index("<")
            source = Path(words[at + 1])
            stdin = source.read_text(encoding="utf-8") if source.exists() else None
            words = words[:at] + words[at + 2:]
        args = words[1:]
        if self.user and "--as" not in args and args[:1] not in (["login"], ["logout"]):
            args = ["--as", self.user, *args]
        return args, stdin

    def run(self, block: Block, command: Command) -> str | None:
        """Run one command of a block; a sentence saying what went wrong, else ``None``."""
        where = f"{block.path.name}:{command.line}: $ {command.text}"
        words = command.argv
        if block.mode == "parse" and words[0] in ("cd", "export"):
            return None
        if words[0] == "cd":
            os.chdir(words[1])
            return None
        if words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            if name == "DYNCRM_USER":  # whose session commands without --as use
                self.user = value
            else:
                self.env[name] = value
            return None
        if words[0] != "dyncrm" or {"|", "&&", ";", ">"} & set(words):
            return (f"{where}\n  only 'dyncrm ...', 'cd' and 'export' run; mark the block "
                    "<!-- console: skip REASON --> if it is not meant to run")
        args, stdin = self.argv(command)
        if block.mode == "parse":
            error = parse_error(args)
            return f"{where}\n  does not parse: {error}" if error else None
        if args[:1] == ["login"] and len(args) > 1:
            sign_in("dyncrm.toml", args[1])
            self.user = args[1]
            return None
        if args[:1] == ["logout"]:  # signs out whoever the page signed in
            if self.user:
                args = ["--as", self.user, *args]
            self.user = None
        if "--as" in args:  # the page acts as this person: they are signed in
            acting_as(args)
        env = dict(self.env)
        if "--as" not in args:  # nobody signed in
            env["DYNCRM_SESSION_DIR"] = str(Path(NOBODY).resolve())
        code, out, err = run_cli(args, env=env, input=stdin, signed_in=False)
        # the training clock's banner ("SIMULATED DATE …") is the test's, not the page's
        err = "".join(line for line in err.splitlines(keepends=True)
                      if not line.startswith("SIMULATED DATE "))
        got = out + err
        if command.expects_error:
            if code == 0:
                return f"{where}\n  the page shows an error, but it exited 0:\n{got}"
        elif code != 0:
            return f"{where}\n  exited {code}:\n{got}"
        if command.shown and not output_matches(command.shown, got):
            return (f"{where}\n  printed:\n{got}\n  the page shows:\n"
                    + "\n".join(command.shown))
        return None


def page_ids() -> list[Path]:
    return [p for p in pages() if any(FENCE.match(line) for line in
                                      p.read_text(encoding="utf-8").splitlines())]


@pytest.mark.parametrize("page", page_ids(), ids=lambda p: str(p.relative_to(p.parents[1]))
                         if p.parent.name != "main" else p.name)
def test_console_examples_of_the_page_run(page: Path, demo: Path) -> None:
    """Each console example of the page runs (or parses, or is marked skipped) and prints
    what the page shows."""
    state = Page()
    failures = []
    for block in blocks(page):
        for command in block.commands:
            COUNTS[block.mode] += 1
            if block.mode == "skip":
                continue
            failure = state.run(block, command)
            if failure:
                failures.append(failure)
        if not block.commands:
            failures.append(f"{block.where}: a console block without '$ ' command lines")
    assert not failures, "\n\n".join(failures)


def test_every_console_block_is_well_formed() -> None:
    """Markers name a mode and a reason; blocks start with a command (ValueError if not)."""
    counted: collections.Counter = collections.Counter()
    errors = []
    for page in pages():
        try:
            counted.update(b.mode for b in blocks(page))
        except ValueError as exc:
            errors.append(str(exc))
    assert not errors, errors
    assert counted["run"] > 0


# --- --help examples ------------------------------------------------------------------


def demo_commands() -> list[tuple[str, click.Command]]:
    """Every leaf command of the demo's command line, as ``dyncrm`` resolves it there."""
    from dyncrm.cli import cli

    ctx = cli.make_context("dyncrm", ["--help"], resilient_parsing=True)
    found = []

    def walk(group: click.Group, prefix: tuple[str, ...], ctx: click.Context) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                walk(cmd, (*prefix, name), ctx)
            elif cmd is not None:
                found.append((" ".join((*prefix, name)), cmd))

    walk(cli, (), ctx)
    return found


def all_commands() -> list[tuple[str, click.Command]]:
    """Every leaf command of the core, the bundled plugins and Koperasi XYZ."""
    from test_docs import _walk, full_command_tree

    return [(" ".join(path), cmd) for path, cmd in _walk(full_command_tree())
            if not isinstance(cmd, click.Group)]


def test_every_command_has_help_examples() -> None:
    """`--help` of every command ends with one or two examples."""
    missing = [name for name, cmd in all_commands() if not examples_of(cmd)]
    assert not missing, f"commands without @examples: {missing}"
    too_many = [name for name, cmd in all_commands() if len(examples_of(cmd)) > 2]
    assert not too_many, f"more than two examples: {too_many}"


def test_help_examples_use_their_own_command() -> None:
    """An example of ``dyncrm savings pending`` runs ``savings pending``."""
    wrong = []
    for name, cmd in all_commands():
        for example in examples_of(cmd):
            words = command_words(shlex.split(example.command))
            if " ".join(words).split(" -")[0].split()[:len(name.split())] != name.split():
                wrong.append(f"{name}: {example.command}")
    assert not wrong, wrong


def test_help_shows_the_examples(demo: Path) -> None:
    """`--help` ends with the examples, one command line a line."""
    from dyncrm.cli import cli

    code, out, _ = run_cli(["faq", "list", "--help"])
    assert code == 0
    lines = [line.strip() for line in out.rstrip().splitlines()]
    faq_list = cli.get_command(cli.make_context("dyncrm", ["faq"]), "faq")
    shown = examples_of(faq_list.get_command(None, "list"))  # type: ignore[union-attr]
    assert shown and lines[-len(shown):] == [e.command for e in shown]
    heading = [line for line in lines[:-len(shown)] if line][-1]
    assert heading.endswith(":")  # "Examples:", in the deployment's language


def command_words(argv: list[str]) -> list[str]:
    """``dyncrm --as kasir savings pending --json`` → ``["savings", "pending", "--json"]``:
    the words after the root's options."""
    words = list(argv[1:])
    while words and words[0] in ("--as", "-c", "--config", "--today"):
        words = words[2:]
    return words


def commands_run_by_the_docs(names: list[str]) -> set[str]:
    """The commands (of ``names``) that a console example of the docs runs on the demo."""
    ran = set()
    for page in pages():
        for block in blocks(page):
            if block.mode != "run":
                continue
            for command in block.commands:
                argv = command.argv
                if not argv or argv[0] != "dyncrm":
                    continue
                words = command_words(argv)
                ran.update(name for name in names
                           if words[:len(name.split())] == name.split())
    return ran


def test_help_examples_run_on_the_demo(demo: Path) -> None:
    """Every command's examples run on the demo (exit 0), or at least parse where the
    command says they need state the demo lacks (``run=False``).

    A command that a console example of the docs runs already (on the demo, its output
    checked) has its ``--help`` examples parsed only: running it a second time tells
    little and costs a command's start-up each (the docs' and the examples' runs made
    this file take three minutes)."""
    failures = []
    commands = demo_commands()
    assert len(commands) > 100
    by_docs = commands_run_by_the_docs([name for name, _ in commands])
    assert len(by_docs) > 50  # the docs run most commands
    for name, cmd in commands:
        run_them = getattr(cmd, "dyncrm_examples_run", True) and name not in by_docs
        for example in examples_of(cmd):
            args = shlex.split(example.command)[1:]
            if not run_them:
                COUNTS["example_parse"] += 1
                COUNTS["example_by_docs"] += name in by_docs
                error = parse_error(args)
                if error:
                    failures.append(f"{name}: {example.command}\n  does not parse: {error}")
                continue
            COUNTS["example_run"] += 1
            acting_as(args)
            env = {} if "--as" in args else {"DYNCRM_SESSION_DIR": str(demo / NOBODY)}
            code, out, err = run_cli(args, env=env, signed_in=False)
            if code != 0:
                failures.append(f"{name}: {example.command}\n  exited {code}:\n{out}{err}")
    assert not failures, "\n\n".join(failures)


def test_third_party_commands_have_examples_that_parse(visits_installed: str) -> None:
    """The test third-party plugin (tests/plugins/dyncrm_visits) follows the convention:
    its commands have examples, and they name its commands and options rightly."""
    from dyncrm_visits.cli import visits_group

    for name, cmd in visits_group.commands.items():
        assert examples_of(cmd), f"visits {name} has no @examples"
        for example in examples_of(cmd):
            args = shlex.split(example.command)[1:]
            while args[0].startswith("--"):
                args = args[2:]
            assert args[:2] == ["visits", name], example.command
            ctx = visits_group.make_context("visits", args[1:])
            sub = visits_group.get_command(ctx, name)
            sub.make_context(name, args[2:], parent=ctx)  # a usage error raises
