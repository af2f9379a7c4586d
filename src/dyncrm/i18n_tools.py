"""Keeping the catalogues: find the user-facing texts, update the ``.po``, compile ``.mo``.

What Babel's ``pybabel extract/update/compile`` do, for the texts of dyncrm that are
not marked with ``_()``, through Babel's Python API::

    python -m dyncrm.i18n_tools update  --config examples/koperasi_xyz/dyncrm.toml -l id
    python -m dyncrm.i18n_tools compile
    python -m dyncrm.i18n_tools missing --config examples/koperasi_xyz/dyncrm.toml -l id

The texts are found where they are written:

- **help** (:func:`cli_texts`): every command of a deployment (its enabled plugins
  included) is walked, its help, short help, option help and its examples' sentences
  split into message ids as :mod:`dyncrm.cli_language` translates them;
- **errors** (:func:`error_texts`): the sentence an error is made with,
  ``raise NotAllowed(f"cannot {action} {what}")``, read from the source with
  :mod:`ast` (an f-string's values become ``{named}`` placeholders, matched back by
  :meth:`dyncrm.i18n.Catalogue.sentence`);
- **table headers** (:func:`table_texts`): column names of the rows a command shows
  with ``output.table``/``output.kv``;
- **messages** (:func:`message_texts`): what commands print for a person,
  ``click.echo(f"added user {row.username}")``, ``output.action``'s message and
  ``crm.t("...")``'s message id (``click.echo`` says them in the deployment's
  language, :func:`dyncrm.i18n.install_echo`);
- **click's own** (:func:`click_texts`): click's ``_()`` sentences (Babel's extractor).

Each text goes to the catalogue of the package it is written in: the core's
(``dyncrm/locales``, with click's in the domain ``click``), a bundled plugin's
(``dyncrm_expand/loans/locales``) or the deployment package's (``koperasi_xyz/locales``).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from dyncrm.cli_language import epilog_units, help_units

#: Texts of the core given to :func:`dyncrm.i18n.gettext` as defaults, not as literals.
CORE_TEXTS = ("yes", "no", "(nothing to show)")
#: Call names whose first argument is a sentence for a person (errors and refusals;
#: ``gettext("...")`` marks any other sentence).
ERROR_SUFFIXES = ("Error", "Denied", "Required", "Refused", "Transition", "Fault", "Busy",
                  "BadParameter", "Mismatch", "Unavailable", "Uncertain")
LOCALE_DIR = "locales"
CLICK_DOMAIN = "click"


# --- where a text belongs ----------------------------------------------------------------


def package_root(module: str) -> tuple[str, Path] | None:
    """``(domain, locales folder)`` for a module: a bundled plugin's own package, the
    deployment package's top, or the core (``dyncrm``); ``None`` if not one of ours."""
    parts = module.split(".")
    top = sys.modules.get(parts[0])
    if top is None or not getattr(top, "__path__", None):
        return None
    base = Path(next(iter(top.__path__)))
    if parts[0] == "dyncrm":
        return "dyncrm", base / LOCALE_DIR
    if parts[0].startswith("dyncrm_") and len(parts) > 1:  # dyncrm_expand.loans
        return parts[1], base / parts[1] / LOCALE_DIR
    return parts[0], base / LOCALE_DIR  # a deployment package: one catalogue


def source_files(module_prefix: str) -> dict[Path, str]:
    """The Python files of an imported package, with their module names (no migrations)."""
    top = sys.modules[module_prefix.split(".")[0]]
    base = Path(next(iter(top.__path__)))
    found = {}
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(base).with_suffix("")
        if "migrations" in rel.parts or "tests" in rel.parts:
            continue
        name = ".".join([top.__name__, *rel.parts]).removesuffix(".__init__")
        if name.startswith(module_prefix):
            found[path] = name
    return found


# --- help ----------------------------------------------------------------------------------


def cli_texts(config: str | Path) -> dict[str, str]:
    """``{message id: module}`` of every help text of the deployment at ``config``."""
    from dyncrm.cli import cli

    ctx = click.Context(cli, info_name="dyncrm")
    ctx.params["config"] = str(config)
    texts: dict[str, str] = {}

    def add(units: Iterable[str], module: str) -> None:
        for unit in units:
            texts.setdefault(unit, module)

    def walk(cmd: click.Command, cctx: click.Context) -> None:
        callback = cmd.callback
        module = getattr(callback, "__module__", None) or "dyncrm.cli"
        add(help_units(cmd.help), module)
        add(help_units(cmd.short_help), module)
        add(epilog_units(cmd), module)
        # the usage line's words (cli_language translates them): [OPTIONS], COMMAND [ARGS]...
        add([m for m in (cmd.options_metavar, getattr(cmd, "subcommand_metavar", None)) if m],
            "dyncrm.cli_language")
        for param in cmd.get_params(cctx):
            if param.name != "_click_default_help":  # click's own (click_texts)
                add(help_units(getattr(param, "help", None)), module)
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(cctx):
                sub = cmd.get_command(cctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, click.Context(sub, parent=cctx, info_name=name))

    try:
        walk(cli, ctx)
    finally:
        from dyncrm.i18n import activate

        activate(None)  # reading the deployment made its language the CLI's: not the tool's
    return texts


# --- errors ----------------------------------------------------------------------------------


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _template(node: ast.AST) -> str | None:
    """The message id of a string expression: literal text, an f-string with ``{named}``
    placeholders, or two of them added; ``None`` for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        out, used = [], set()
        for value in node.values:
            if isinstance(value, ast.Constant):
                out.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(value, ast.FormattedValue):
                name = re.sub(r"\W+", "_", ast.unparse(value.value)).strip("_") or "value"
                if name[0].isdigit():
                    name = "v_" + name
                unique, n = name, 2
                while unique in used:
                    unique, n = f"{name}_{n}", n + 1
                used.add(unique)
                out.append("{" + unique + "}")
        return "".join(out)
    return None


def _sentence(node: ast.Call) -> str | None:
    if not node.args:
        return None
    text = _template(node.args[0])
    return text if text and any(ch.isalpha() for ch in text) else None


def error_texts(files: dict[Path, str]) -> dict[str, str]:
    """``{message id: module}`` of the sentences errors are raised with in ``files``."""
    texts: dict[str, str] = {}
    for path, module in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            bases = {_call_name(b) for b in cls.bases}
            if not any(b.endswith(ERROR_SUFFIXES) for b in bases):
                continue
            for node in ast.walk(cls):
                if (isinstance(node, ast.Call) and _call_name(node.func) == "__init__"
                        and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Call)
                        and _call_name(node.func.value.func) == "super"):
                    text = _sentence(node)
                    if text:
                        texts.setdefault(text, module)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node.func) in ("gettext", "N_") \
                    and node.args and isinstance(node.args[0], ast.Constant):
                texts.setdefault(str(node.args[0].value), module)  # a template already
            elif isinstance(node, ast.Call) and _call_name(node.func).endswith(ERROR_SUFFIXES):
                text = _sentence(node)
                if text:
                    texts.setdefault(text, module)
    return texts


# --- what commands say ------------------------------------------------------------------------

#: Calls whose first argument is a sentence printed for a person (``click.echo``).
ECHO_CALLS = ("echo", "secho")
#: Calls whose second argument is the sentence an action says (``output.action(as_json, ...)``).
ACTION_CALLS = ("action",)


def _says_something(text: str) -> bool:
    """A message id with words outside its placeholders (``"{a}  {b}"`` is a row, not a
    sentence)."""
    return any(ch.isalpha() for ch in re.sub(r"\{[^{}]*\}", "", text))


def message_texts(files: dict[Path, str]) -> dict[str, str]:
    """``{message id: module}`` of the sentences commands print: ``click.echo``'s text
    (``click.echo(f"added user {row.username}")`` → ``"added user {row_username}"``),
    :func:`dyncrm.output.action`'s message and ``message=`` of ``output.emit``, and
    the message id of ``crm.t("...")`` in a command module (``cli``, ``cli_*``)."""
    texts: dict[str, str] = {}
    for path, module in files.items():
        source = path.read_text(encoding="utf-8")
        if "echo(" not in source and ".t(" not in source and "action(" not in source:
            continue
        # crm.t() of the commands (the portal's and the library's are the hook's or errors)
        command_module = any(part == "cli" or part.startswith("cli_")
                             for part in module.split("."))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node.func)
            found: list[str | None] = []
            if name == "t" and command_module and isinstance(node.func, ast.Attribute) \
                    and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.append(node.args[0].value)  # a message id already, {named} kept
            elif name in ECHO_CALLS and node.args:
                found.append(_template(node.args[0]))
            elif name in ACTION_CALLS and isinstance(node.func, ast.Attribute) \
                    and _call_name(node.func.value) == "output" and len(node.args) > 1:
                found.append(_template(node.args[1]))
            if name in (*ACTION_CALLS, "emit", "envelope"):
                found += [_template(k.value) for k in node.keywords if k.arg == "message"]
            for text in found:
                if text and _says_something(text):
                    texts.setdefault(text, module)
    return texts


# --- table headers -------------------------------------------------------------------------


def _shows_rows(node: ast.Call) -> bool:
    return _call_name(node.func) in ("table", "kv") and isinstance(node.func, ast.Attribute) \
        and _call_name(node.func.value) == "output"


def table_texts(files: dict[Path, str]) -> dict[str, str]:
    """``{column title: module}`` of the rows commands show with ``output.table``/``kv``:
    the string keys of the dicts built in a function that shows rows (or whose name
    says it builds rows), its column lists, ``headers=`` titles and ``empty=`` line."""
    texts: dict[str, str] = {}
    for path, module in files.items():
        source = path.read_text(encoding="utf-8")
        if "output." not in source:
            continue
        tree = ast.parse(source)
        for func in [n for n in ast.walk(tree)
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
            calls = [n for n in ast.walk(func) if isinstance(n, ast.Call) and _shows_rows(n)]
            if not calls and "row" not in func.name:
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Dict):
                    for key in node.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            texts.setdefault(key.value, module)
            for call in calls:
                given = list(call.args[1:2]) + [k.value for k in call.keywords
                                                if k.arg in ("columns", "empty")]
                for kw in call.keywords:
                    if kw.arg == "headers" and isinstance(kw.value, ast.Dict):
                        given += list(kw.value.values)
                for value in given:
                    items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                    for item in items:
                        if isinstance(item, ast.Constant) and isinstance(item.value, str):
                            texts.setdefault(item.value, module)
                        elif isinstance(item, ast.JoinedStr):  # empty=f"no loans on {day}"
                            text = _template(item)
                            if text and any(ch.isalpha() for ch in text):
                                texts.setdefault(text, module)
    return {text: module for text, module in texts.items() if text.strip()}


# --- click's own ------------------------------------------------------------------------------


def click_texts() -> set[str]:
    """click's own sentences (its ``_()`` and ``ngettext()`` calls), as Babel extracts them."""
    from babel.messages.extract import extract_from_file

    base = Path(click.__file__).parent
    found: set[str] = set()
    for path in sorted(base.glob("*.py")):
        if path.name.startswith("_win"):
            continue
        for _, message, _, _ in extract_from_file("python", str(path),
                                                  keywords={"_": None, "ngettext": (1, 2)}):
            found.update(message if isinstance(message, tuple) else [message])
    return found


# --- a deployment's texts, by catalogue --------------------------------------------------------


def deployment_texts(config: str | Path) -> dict[str, dict[str, str]]:
    """``{kind: {message id: module}}`` of a deployment: ``help``, ``errors``, ``tables``,
    ``messages`` (what commands print)."""
    from dyncrm.config import load_config
    from dyncrm.plugins import installed_plugins

    settings = load_config(Path(config))
    available = installed_plugins()
    prefixes = {"dyncrm"} | {available[name].value for name in settings.enabled
                             if name in available}
    files: dict[Path, str] = {}
    for prefix in sorted(prefixes):
        __import__(prefix)
        root = package_root(prefix)
        # a deployment package's plugins share its catalogue: read the whole package
        whole = prefix if root is None or root[0] != prefix.split(".")[0] else root[0]
        files.update(source_files(whole if not prefix.startswith("dyncrm.") else "dyncrm"))
    tables = table_texts(files)
    tables.update(dict.fromkeys(CORE_TEXTS, "dyncrm.output"))
    return {"help": cli_texts(config), "errors": error_texts(files), "tables": tables,
            "messages": message_texts(files)}


def catalogue_of(module: str) -> tuple[str, Path]:
    """``(domain, locales folder)`` a text written in ``module`` belongs to."""
    return package_root(module) or package_root("dyncrm")  # type: ignore[return-value]


def update(config: str | Path, locale: str) -> dict[Path, int]:
    """Write every ``.po`` of the deployment's texts for ``locale`` (Babel's Catalog):
    new texts are added untranslated, translations kept, texts no longer found are
    dropped.  Returns ``{po file: number of untranslated texts}``."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    wanted: dict[Path, dict[str, str]] = {}
    click_po = catalogue_of("dyncrm")[1] / locale / "LC_MESSAGES" / f"{CLICK_DOMAIN}.po"
    wanted[click_po] = dict.fromkeys(sorted(click_texts()), "click")
    seen = set(wanted[click_po])
    for kind, texts in deployment_texts(config).items():
        for text, module in texts.items():
            if text in seen:
                continue
            seen.add(text)
            domain, folder = catalogue_of(module)
            po = folder / locale / "LC_MESSAGES" / f"{domain}.po"
            wanted.setdefault(po, {})[text] = f"{module} ({kind})"
    report = {}
    for po, texts in wanted.items():
        old = None
        if po.exists():
            with po.open("rb") as handle:
                old = read_po(handle, locale=locale)
        catalog = Catalog(locale=locale, domain=po.stem, project="dyncrm",
                          charset="utf-8", fuzzy=False)
        for text in sorted(texts):
            previous = old.get(text) if old is not None else None
            flags = ["python-brace-format"] if re.search(r"\{\w+\}", text) else []
            catalog.add(text, previous.string if previous is not None else "",
                        auto_comments=[texts[text]], flags=flags)
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
        report[po] = sum(1 for m in catalog if m.id and not m.string)
    return report


def compile_all(roots: Iterable[Path]) -> list[Path]:
    """Compile every ``locales/*/LC_MESSAGES/*.po`` under ``roots`` to its ``.mo``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for root in roots:
        for po in sorted(Path(root).rglob(f"{LOCALE_DIR}/*/LC_MESSAGES/*.po")):
            with po.open("rb") as handle:
                catalog = read_po(handle)
            with po.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog)
            written.append(po.with_suffix(".mo"))
    return written


def missing(config: str | Path, locale: str) -> dict[str, dict[str, str]]:
    """``{kind: {message id: module}}`` of the deployment's texts its catalogue lacks."""
    from dyncrm.config import load_config
    from dyncrm.i18n import deployment_catalogue
    from dyncrm.plugins import get_plugin_manager

    settings = load_config(Path(config))
    catalogue = deployment_catalogue(get_plugin_manager(settings.enabled), locale)
    found = deployment_texts(config)
    found["click"] = dict.fromkeys(click_texts(), "click")
    return {kind: {t: m for t, m in texts.items() if t not in catalogue}
            for kind, texts in found.items()}


REPOSITORY_ROOTS = ("src", "plugins", "examples")


@click.command()
@click.argument("action", type=click.Choice(["update", "compile", "missing"]))
@click.option("--config", default="examples/koperasi_xyz/dyncrm.toml", show_default=True)
@click.option("-l", "--locale", default="id", show_default=True)
def main(action: str, config: str, locale: str) -> None:
    """Update the .po files, compile them to .mo, or list the untranslated texts."""
    if action == "update":
        for po, count in update(config, locale).items():
            click.echo(f"{po}: {count} untranslated")
    elif action == "compile":
        for mo in compile_all(Path(r) for r in REPOSITORY_ROOTS if Path(r).exists()):
            click.echo(f"wrote {mo}")
    else:
        for kind, texts in missing(config, locale).items():
            for text, module in sorted(texts.items()):
                click.echo(f"{kind}\t{module}\t{text!r}")


if __name__ == "__main__":  # pragma: no cover
    main()
