"""Console examples in README.md and docs/: found, parsed and compared with what ran.

A console example is a fenced block opened with ```` ```console ```` or ```` ```sh ````.
Inside it a line starting with ``$ `` is a command (a trailing ``\\`` continues it on the
next line, a ``# comment`` after it is not part of it); the lines after a command, up to
the next command, are the output the doc shows for it.  A line ``...`` in the shown output
stands for any number of lines, and ``...`` inside a line for any text.

An HTML comment on the line before the fence says how the block is checked:

- none: every command runs against the demo deployment, and must exit 0 unless the
  output the doc shows starts with ``Error:`` or ``Kesalahan:`` (then it must fail);
- ``<!-- console: parse REASON -->``: every command is only parsed (options, arguments,
  command names), for examples that need state the demo lacks;
- ``<!-- console: skip REASON -->``: nothing runs (installing, ``dyncrm serve``); counted
  as skipped.

A reason is required, so nothing is left out without saying why.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(console|sh)\s*$")
MARKER = re.compile(r"^<!--\s*console:\s*(\w+)\s*(.*?)\s*-->\s*$")
MODES = ("run", "parse", "skip")
#: How an error line starts: in English, and in the demo's language (Indonesian).
ERROR_LINES = ("Error:", "Kesalahan:")


@dataclass
class Command:
    """One ``$ ...`` line of a console block, with the output the doc shows for it."""

    line: int
    text: str
    shown: list[str] = field(default_factory=list)

    @property
    def argv(self) -> list[str]:
        """The command's words as a shell would split them (comments dropped)."""
        return shlex.split(self.text, comments=True)

    @property
    def expects_error(self) -> bool:
        return any(line.startswith(ERROR_LINES) for line in self.shown)


@dataclass
class Block:
    """A console block of a page: its commands and how they are checked."""

    path: Path
    line: int
    mode: str
    reason: str
    commands: list[Command]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The console blocks of one page; a malformed block raises ``ValueError``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        start = i + 1
        mode, reason = "run", ""
        marker = MARKER.match(lines[i - 1]) if i else None
        if marker:
            mode, reason = marker.group(1), marker.group(2)
            if mode not in MODES:
                raise ValueError(f"{path.relative_to(ROOT)}:{i}: unknown console marker "
                                 f"{mode!r} (use one of {', '.join(MODES)})")
            if mode != "run" and not reason:
                raise ValueError(f"{path.relative_to(ROOT)}:{i}: 'console: {mode}' needs "
                                 "a reason")
        commands: list[Command] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            text = lines[i]
            if text.startswith("$ "):
                number = i + 1
                body = text[2:]
                while body.rstrip().endswith("\\") and i + 1 < len(lines):
                    i += 1
                    body = body.rstrip()[:-1] + " " + lines[i].strip()
                commands.append(Command(number, body.strip()))
            elif commands:
                commands[-1].shown.append(text)
            elif text.strip():
                raise ValueError(f"{path.relative_to(ROOT)}:{i + 1}: a console block "
                                 "starts with a command line ('$ ...')")
            i += 1
        for command in commands:
            while command.shown and not command.shown[-1].strip():
                command.shown.pop()
        found.append(Block(path, start, mode, reason, commands))
        i += 1
    return found


def output_matches(shown: list[str], actual: str) -> bool:
    """Whether ``actual`` is what the doc shows: lines compared without trailing blanks,
    ``...`` alone on a line for any lines, ``...`` in a line for any text."""
    pattern = []
    for line in shown:
        line = line.rstrip()
        if line.strip() == "...":
            pattern.append(r"(?:.*\n)*?")
        else:
            pattern.append(".*".join(re.escape(part) for part in line.split("...")) + r"\n")
    got = "\n".join(line.rstrip() for line in actual.splitlines()) + "\n"
    got = re.sub(r"\n+\Z", "\n", got)
    return re.fullmatch("".join(pattern), got) is not None
