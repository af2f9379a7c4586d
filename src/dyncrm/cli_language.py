"""The command line in the deployment's language: help translated as it is shown.

Commands are declared once, in English (``help=``, docstrings, ``@examples``); the
deployment's locale is known only once its config is read, so nothing is translated
at import.  :class:`Command` and :class:`Group` (the classes of every command of the
core, and of plugins' commands, see :func:`adopt`) put the active catalogue's
translations (:mod:`dyncrm.i18n`) in place of the English texts for as long as their
help or usage line is being written: the help text paragraph by paragraph, the short
help, option help, argument names, the sentences of the examples (their command
lines stay as they are).  click's own words (``Usage:``, ``Options``, ``Show this
message and exit.``) come from the same catalogue (:func:`dyncrm.i18n.install_in_click`).

:func:`help_units` says which message ids a help text is made of; the catalogue test
walks every command with it.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

import click

from dyncrm.i18n import gettext

#: Lines of a help text that are command lines, kept as they are.
COMMAND_LINE_STARTS = ("dyncrm ", "$ ")


def _paragraphs(text: str) -> list[str]:
    """The paragraphs of a help text as click shows it (after the form feed: nothing)."""
    body = inspect.cleandoc(text).partition("\f")[0]
    return [p for p in body.split("\n\n") if p.strip()]


def _is_command_line(line: str) -> bool:
    return line.strip().startswith(COMMAND_LINE_STARTS)


def help_units(text: str | None) -> list[str]:
    """The message ids of a help text: each paragraph with its lines joined, and each
    line of a ``\\b`` (unwrapped) paragraph on its own; command lines are not text."""
    units: list[str] = []
    for paragraph in _paragraphs(text or ""):
        if paragraph.startswith("\b"):
            units += [line.strip() for line in paragraph.split("\n")[1:]
                      if line.strip() and not _is_command_line(line)]
        else:
            units.append(" ".join(paragraph.split()))
    return units


def speak(text: str) -> str:
    """``text`` (help) in the active catalogue's language, paragraph by paragraph;
    a paragraph without a translation stays as it is."""
    out = []
    for paragraph in _paragraphs(text):
        if paragraph.startswith("\b"):
            lines = paragraph.split("\n")
            out.append("\n".join([lines[0]] + [_speak_line(line) for line in lines[1:]]))
        else:
            unit = " ".join(paragraph.split())
            said = gettext(unit)
            out.append(paragraph if said == unit else said)
    return "\n\n".join(out)


def _speak_line(line: str) -> str:
    if not line.strip() or _is_command_line(line):
        return line
    indent = line[:len(line) - len(line.lstrip())]
    return indent + gettext(line.strip())


def epilog_units(cmd: click.Command) -> list[str]:
    """The message ids of a command's epilog (its examples' sentences and heading)."""
    from dyncrm.cli_examples import HEADING, examples_of

    found = examples_of(cmd)
    if found:
        return [HEADING] + [e.sentence for e in found if e.sentence]
    return help_units(cmd.epilog)


def _epilog(cmd: click.Command) -> str:
    from dyncrm.cli_examples import HEADING, Example, examples_of, render

    found = examples_of(cmd)
    if not found:
        return speak(cmd.epilog or "")
    said = render([Example(e.command, gettext(e.sentence) if e.sentence else "")
                   for e in found])
    return said.replace(HEADING, gettext(HEADING), 1)


def argument_metavar(param: click.Parameter, ctx: click.Context) -> str | None:
    """An argument's name in the usage line, translated (``[DIRECTORY]`` →
    ``[FOLDER]``), or ``None`` when the catalogue has no word for it."""
    if not isinstance(param, click.Argument):
        return None
    base = param.metavar or (param.name or "").upper()
    said = gettext(base) if base else base
    return param.make_metavar(ctx).replace(base, said) if said != base else None


@contextlib.contextmanager
def translated(cmd: click.Command, ctx: click.Context) -> Iterator[None]:
    """While inside, ``cmd``'s help, short help, epilog, option help and argument
    names are the active catalogue's; the English ones are put back after."""
    saved: list[tuple[Any, str, Any]] = []

    def swap(obj: Any, attr: str, value: Any) -> None:
        saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    try:
        if cmd.help:
            swap(cmd, "help", speak(cmd.help))
        if cmd.short_help:
            swap(cmd, "short_help", speak(cmd.short_help))
        if cmd.epilog:
            swap(cmd, "epilog", _epilog(cmd))
        if cmd.options_metavar:
            swap(cmd, "options_metavar", gettext(cmd.options_metavar))
        if isinstance(cmd, click.Group) and cmd.subcommand_metavar:
            swap(cmd, "subcommand_metavar", gettext(cmd.subcommand_metavar))
        for param in cmd.get_params(ctx):
            if getattr(param, "help", None):
                swap(param, "help", speak(param.help))  # type: ignore[attr-defined]
            metavar = argument_metavar(param, ctx)
            if metavar is not None:
                swap(param, "metavar", metavar)
            elif isinstance(param, click.Option) and param.metavar:
                swap(param, "metavar", gettext(param.metavar))
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


def _ensure_language(ctx: click.Context) -> None:
    """Have the root command read the deployment (and so its language) first."""
    root = ctx.find_root()
    load = getattr(root.command, "load_language", None)
    if load is not None:
        load(root)


#: The help option's text as click writes it (kept English, translated when shown).
HELP_OPTION_TEXT = "Show this message and exit."


def _english_help_option(option: click.Option | None) -> click.Option | None:
    """click makes the help option once per command, in the language active then;
    it is kept in English so that the next deployment shows it in its own."""
    if option is not None and not getattr(option, "dyncrm_english", False):
        option.help = HELP_OPTION_TEXT  # once, when click made it
        option.dyncrm_english = True  # type: ignore[attr-defined]
    return option


class TranslatedHelp:
    """Help and usage line in the deployment's language (mixed into a click command)."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _english_help_option(super().get_help_option(ctx))  # type: ignore[misc]

    def get_usage(self, ctx: click.Context) -> str:
        _ensure_language(ctx)
        with translated(self, ctx):  # type: ignore[arg-type]
            return super().get_usage(ctx)  # type: ignore[misc]

    def get_help(self, ctx: click.Context) -> str:
        _ensure_language(ctx)
        with translated(self, ctx):  # type: ignore[arg-type]
            return super().get_help(ctx)  # type: ignore[misc]


class Command(TranslatedHelp, click.Command):
    """A command whose help and usage line are written in the deployment's language."""


class Group(TranslatedHelp, click.Group):
    """A group whose help, usage line and list of commands are in the deployment's
    language; the commands and groups it creates are :class:`Command`/:class:`Group`."""

    command_class = Command
    group_class = type  # subgroups are of this group's class

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with contextlib.ExitStack() as stack:
            for name in self.list_commands(ctx):
                cmd = self.get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    stack.enter_context(translated(cmd, ctx))
            super().format_commands(ctx, formatter)


def adopt(commands: dict[str, click.Command]) -> None:
    """Make plain click commands and groups in ``commands`` (recursively) speak the
    deployment's language: a plugin's ``@click.command()`` becomes a :class:`Command`.
    Commands of another class (a plugin's own subclass) are left as they are."""
    for cmd in commands.values():
        if type(cmd) is click.Command:
            cmd.__class__ = Command
        elif type(cmd) is click.Group:
            cmd.__class__ = Group
        if isinstance(cmd, click.Group):
            adopt(cmd.commands)
