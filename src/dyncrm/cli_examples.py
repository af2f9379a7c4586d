"""Examples at the end of every command's ``--help``: :func:`examples`.

Every command of the core, of a bundled plugin and of a deployment says how it is used
with one or two real command lines::

    @examples("List the transfers waiting for a cashier.",
              "dyncrm --as kasir savings pending")
    @savings.command("pending")
    ...

A string starting with ``dyncrm `` is a command line; any other string is a short
sentence saying what the next command line does (optional; translators catch it).  The
test suite runs every example against the demo deployment; an example that needs state
the demo lacks (a pending item of a given number, a file the operator brings) is only
parsed there when the command is decorated with ``run=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import attrs
import click

C = TypeVar("C", bound=click.Command)
PREFIX = "dyncrm "
HEADING = "Examples:"


@attrs.frozen
class Example:
    """One command line of a command's ``--help``, with the sentence before it."""

    command: str
    sentence: str = ""


def examples(*lines: str, run: bool = True) -> Callable[[C], C]:
    """Decorator for a click command (outermost): end its ``--help`` with these examples.

    ``lines`` are command lines (starting with ``dyncrm ``), each optionally preceded
    by a short sentence.  ``run=False`` when the examples need state the demo deployment
    lacks: the test suite then only parses them.
    """
    items: list[Example] = []
    sentence = ""
    for line in lines:
        if line.startswith(PREFIX):
            items.append(Example(line, sentence))
            sentence = ""
        elif sentence:
            raise ValueError(f"two sentences in a row in examples: {sentence!r}, {line!r}")
        else:
            sentence = line
    if sentence or not items:
        raise ValueError(f"examples need a command line starting with {PREFIX!r}: {lines!r}")

    def decorate(cmd: C) -> C:
        if not isinstance(cmd, click.Command):
            raise TypeError("@examples goes above @click.command (it decorates the command)")
        cmd.dyncrm_examples = tuple(items)  # type: ignore[attr-defined]
        cmd.dyncrm_examples_run = run  # type: ignore[attr-defined]
        cmd.epilog = render(items)
        return cmd

    return decorate


def examples_of(cmd: click.Command) -> tuple[Example, ...]:
    """The examples a command was given with :func:`examples` (empty if none)."""
    return getattr(cmd, "dyncrm_examples", ())


def render(items: list[Example]) -> str:
    """The epilog text: the heading, then each sentence and its command line unwrapped."""
    lines = [HEADING, "", "\b"]
    for item in items:
        if item.sentence:
            lines.append(f"  {item.sentence}")
        lines.append(f"    {item.command}")
    return "\n".join(lines)
