"""Terminal output for commands: aligned tables, JSON and CSV, one place.

Every file meant for a spreadsheet program (CSV here, XLSX in deployment
packages) passes its cells through :func:`spreadsheet_cell`, so text a member
or a staff user typed (``=HYPERLINK(...)``, ``@SUM(1)``) is never read back as
a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

import click

from dyncrm.money import Money
from dyncrm.text import printable


def plain(value: Any) -> Any:
    """A JSON-friendly version of ``value`` (Money → string amount, dates → ISO)."""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):
        import attrs

        return plain(attrs.asdict(value, recurse=False))
    return value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *,
          headers: dict[str, str] | None = None, align_right: Iterable[str] = (),
          out: TextIO | None = None, empty: str = "(nothing to show)") -> None:
    """Print ``rows`` as an aligned table with a header rule.

    Cells are shown through :func:`dyncrm.text.printable`: a control character
    or bidi override in stored text appears escaped and cannot move the cursor,
    clear the screen or reorder the columns.
    """
    out = out or sys.stdout
    if not rows:
        click.echo(empty, file=out)
        return
    columns = list(columns or rows[0].keys())
    headers = headers or {}
    right = set(align_right)
    cells = [[printable(_cell(r.get(c))) for c in columns] for r in rows]
    titles = [printable(headers.get(c, c)) for c in columns]
    widths = [max([_width(t)] + [_width(row[i]) for row in cells])
              for i, t in enumerate(titles)]

    def fmt(values: list[str]) -> str:
        parts = []
        for c, v, w in zip(columns, values, widths, strict=True):
            pad = " " * (w - _width(v))
            parts.append(pad + v if c in right else v + pad)
        return "  ".join(parts).rstrip()

    click.echo(click.style(fmt(titles), bold=True), file=out)
    click.echo("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        click.echo(fmt(row), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(str(v) for v in value)
    return str(value)


def emit_json(data: Any, out: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(plain(data), indent=2, ensure_ascii=False, sort_keys=False),
               file=out or sys.stdout)


#: First characters that make a spreadsheet program read a cell as a formula
#: (OWASP, "CSV Injection"): = + - @, tab and carriage return.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]\d+(?:[.,]\d+)*")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell, as OWASP recommends.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
    a leading ``'``, so a spreadsheet shows it as text instead of running it as a
    formula (``=HYPERLINK("http://x","y")`` → ``'=HYPERLINK("http://x","y")``).
    Numbers stay numbers: anything not ``str`` is returned unchanged, and so is
    text that is only a signed number (``-5000``, ``-5.000``, ``-12,5``,
    ``+6281234``), which a spreadsheet reads as that number and nothing else.
    """
    if (not isinstance(value, str) or not value or value[0] not in FORMULA_TRIGGERS
            or _SIGNED_NUMBER.fullmatch(value)):
        return value
    return "'" + value


def write_csv(rows: Sequence[dict[str, Any]], out: TextIO, columns: Sequence[str] | None = None,
              *, delimiter: str = ",") -> None:
    """Write ``rows`` as CSV with a header line; every cell through :func:`spreadsheet_cell`.

    Money and decimals are written as plain amounts (``-5000``), dates as ISO,
    ``None`` as an empty cell.
    """
    columns = list(columns or (rows[0].keys() if rows else []))
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore",
                            delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow({c: spreadsheet_cell(_cell(plain(row.get(c)))) for c in columns})


def kv(pairs: dict[str, Any], out: TextIO | None = None) -> None:
    """Print label/value pairs, labels aligned."""
    if not pairs:
        return
    width = max(_width(k) for k in pairs)
    for k, v in pairs.items():
        click.echo(f"{printable(k)}{' ' * (width - _width(k))}  {printable(_cell(v))}",
                   file=out or sys.stdout)
