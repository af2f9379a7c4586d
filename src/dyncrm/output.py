"""Terminal output for commands: aligned tables, JSON and CSV, one place.

Every command's ``--json`` result goes out through :func:`emit` in the one
envelope docs/cli.md describes and ``dyncrm/schemas/cli.json`` checks: a list,
an object, an action's result (with ``replayed``) or an error.  Values are made
JSON-friendly by :func:`plain`: money is ``{"amount": "1350000", "currency":
"IDR"}`` (a decimal string in major units), times are ISO 8601 in the
deployment's zone with its offset, dates ISO, decimals strings.

Times shown to a person (tables, label/value pairs) are in the deployment's zone
to the minute (:func:`local_time`); stored times stay UTC.

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
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TextIO

import click

from dyncrm.i18n import echo_as_written
from dyncrm.money import Money
from dyncrm.text import printable

#: The deployment's time zone for the command running now (set when it opens the
#: deployment, see :func:`set_zone`); UTC until then.
_zone: dt.tzinfo = dt.UTC


def set_zone(zone: dt.tzinfo | None) -> None:
    """Show and emit times in ``zone`` from now on (``None``: back to UTC)."""
    global _zone
    _zone = zone or dt.UTC


def zone() -> dt.tzinfo:
    """The zone times are shown and emitted in (the deployment's, once it is open)."""
    return _zone


def in_zone(value: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """``value`` in the deployment's zone (or ``tz``): naive datetimes are stored UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz or _zone)


def local_time(value: dt.datetime, tz: dt.tzinfo | None = None, *,
               seconds: bool = False) -> str:
    """A time for a person: ``2026-03-02 12:30`` in the deployment's zone (or ``tz``).

    To the minute unless ``seconds``; stored (naive UTC) and aware datetimes alike.
    """
    return in_zone(value, tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_day(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """The day of a time for a person: ``2026-03-02`` in the deployment's zone (or ``tz``).

    A stored time is UTC: its own date is the day before in Jakarta until 07:00 there.
    """
    return in_zone(value, tz).date().isoformat()


def snake_key(label: str) -> str:
    """A column label as a snake_case key: ``"median resolve (days)"`` → ``median_resolve_days``."""
    key = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
    return key if key and not key[0].isdigit() else f"n_{key}"


def money_json(value: Money) -> dict[str, str]:
    """Money in JSON: a decimal string in major units and the currency code."""
    return {"amount": str(value.amount), "currency": value.currency}


def plain(value: Any) -> Any:
    """A JSON-friendly version of ``value``, as the output contract (docs/cli.md) says.

    Money → ``{"amount": "<decimal string>", "currency": "<code>"}``, decimals →
    strings, datetimes → ISO 8601 in the deployment's zone with its offset, dates
    → ISO, attrs instances and mappings → objects, sequences → arrays.
    """
    if isinstance(value, Money):
        return money_json(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):  # never money; a JSON decimal string, exactly as shown
        return str(Decimal(repr(value)))
    if isinstance(value, dt.datetime):
        return in_zone(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):
        import attrs

        return plain(attrs.asdict(value, recurse=False))
    return value


def flat(value: Any) -> Any:
    """A value for a CSV cell or a flat text: money as its decimal amount (``-5000``),
    decimals as text, dates and times ISO (times in the deployment's zone)."""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return in_zone(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *,
          headers: dict[str, str] | None = None, align_right: Iterable[str] = (),
          out: TextIO | None = None, empty: str = "(nothing to show)") -> None:
    """Print ``rows`` as an aligned table with a header rule.

    Cells are shown through :func:`dyncrm.text.printable`: a control character
    or bidi override in stored text appears escaped and cannot move the cursor,
    clear the screen or reorder the columns.  Column titles, ``empty`` and
    yes/no are in the deployment's language (:func:`dyncrm.i18n.gettext`).
    """
    from dyncrm.i18n import gettext, translate

    out = out or sys.stdout
    if not rows:  # a finished sentence ("no loans on 2026-03-02"), matched as errors are
        echo_as_written(translate(empty), file=out)
        return
    columns = list(columns or rows[0].keys())
    headers = headers or {}
    right = set(align_right)
    cells = [[printable(_shown(r.get(c))) for c in columns] for r in rows]
    titles = [printable(gettext(headers.get(c, c))) for c in columns]
    widths = [max([_width(t)] + [_width(row[i]) for row in cells])
              for i, t in enumerate(titles)]

    def fmt(values: list[str]) -> str:
        parts = []
        for c, v, w in zip(columns, values, widths, strict=True):
            pad = " " * (w - _width(v))
            parts.append(pad + v if c in right else v + pad)
        return "  ".join(parts).rstrip()

    echo_as_written(click.style(fmt(titles), bold=True), file=out)
    echo_as_written("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        echo_as_written(fmt(row), file=out)


def _shown(value: Any) -> str:
    """A table cell for a person: like :func:`_cell`, yes/no in their language."""
    if isinstance(value, bool):
        from dyncrm.i18n import gettext

        return gettext("yes") if value else gettext("no")
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(str(v) for v in value)
    return str(value)


#: What a ``--json`` result is (the ``kind`` of the envelope).
KINDS = ("list", "object", "action", "error")


def command_name() -> str:
    """The running command's path without the program name (``loan approve``)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return ""
    return ctx.command_path.split(" ", 1)[1] if " " in ctx.command_path else ""


def envelope(data: Any, *, message: str | None = None, replayed: bool | None = None,
             command: str | None = None) -> dict[str, Any]:
    """The contract's envelope around ``data`` (not yet made plain).

    A list (or any iterator: it is streamed) → ``kind: "list"``; with ``message``
    or ``replayed`` → ``kind: "action"`` (an action's result: what happened, ids,
    receipt numbers, and whether it was a replay that changed nothing); anything
    else → ``kind: "object"``.
    """
    head: dict[str, Any] = {"command": command_name() if command is None else command,
                            "ok": True}
    if message is not None or replayed is not None:
        head.update(kind="action", replayed=bool(replayed), message=message or "",
                    data=data if data is not None else {})
    elif isinstance(data, list | tuple | Iterator):
        head.update(kind="list", data=data)
    else:
        head.update(kind="object", data=data if data is not None else {})
    return head


def emit(data: Any, *, message: str | None = None, replayed: bool | None = None,
         out: TextIO | None = None) -> None:
    """Print a command's ``--json`` result: the one way every command does.

    ``emit(rows)`` for a list (rows are objects; an iterator is streamed row by
    row), ``emit(obj)`` for one object, ``emit(ids, message="approved loan 7",
    replayed=False)`` for what an action did.  See docs/cli.md.
    """
    write(envelope(data, message=message, replayed=replayed), out)


#: Whether this command printed its JSON document already (see :func:`written`).
_written: list[bool] = [False]


def written(reset: bool = False) -> bool:
    """Whether a JSON document was printed since the last reset (``reset``: start over)."""
    was = _written[0]
    if reset:
        _written[0] = False
    return was


def write(document: Any, out: TextIO | None = None) -> None:
    """Write one JSON document (streaming any iterator in it) and a newline."""
    _written[0] = True
    target = out or sys.stdout
    for chunk in _encode(document, 0):
        echo_as_written(chunk, nl=False, file=target)
    echo_as_written("", file=target)


def _encode(value: Any, level: int) -> Iterator[str]:
    """JSON text of ``value`` in chunks, indented by two; iterators are streamed."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + "\n" + inner + json.dumps(str(key), ensure_ascii=False)
            yield ": "
            yield from _encode(item, level + 1)
        yield "\n" + pad + "}"
    elif isinstance(value, list | tuple | Iterator):
        first = True
        for item in value:
            yield ("[" if first else ",") + "\n" + inner
            first = False
            yield from _encode(item, level + 1)
        yield "[]" if first else "\n" + pad + "]"
    else:
        converted = plain(value)
        if isinstance(converted, dict | list):
            yield from _encode(converted, level)
        else:
            yield json.dumps(converted, ensure_ascii=False)


def report_data(report: Any) -> dict[str, Any]:
    """A report (:class:`dyncrm.reports.Report`) as the ``data`` of a ``--json`` result.

    ``rows`` are the rows its CSV holds (same columns, same plain values); the
    summary is a list of ``{"label", "value"}`` with the plain value, never the
    text formatted for a person.
    """
    values = dict(getattr(report, "summary_values", ()) or ())
    return {"name": report.name, "title": report.title, "subtitle": report.subtitle,
            "columns": [{"key": c.key, "title": c.title} for c in report.columns],
            "rows": [{k: flat(v) if isinstance(v, Money) else v for k, v in row.items()}
                     for row in report.csv_rows()],
            "summary": [{"label": label, "value": values.get(label, shown)}
                        for label, shown in report.summary],
            "notes": list(getattr(report, "notes", ()))}


def says_result(f: Any) -> Any:
    """Decorator for an action command that speaks in several lines: under ``--json``
    what it would print becomes the ``message`` of its action result.

    The command may return a dict: the result's ``data``, whose ``replayed`` key (if
    any) becomes the envelope's ``replayed``.
    """
    import contextlib
    import functools
    import io

    from dyncrm.i18n import as_written

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("as_json"):
            return f(*args, **kwargs)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), as_written():
            data = dict(f(*args, **kwargs) or {})
        replayed = bool(data.pop("replayed", False))
        emit(data, message=buffer.getvalue().strip(), replayed=replayed)
        return None

    return wrapper


def emit_json(data: Any, out: TextIO | None = None) -> None:
    """Deprecated name of :func:`emit` (a list or an object)."""
    emit(data, out=out)


def action(as_json: bool, message: str, *, replayed: bool = False, **data: Any) -> None:
    """Say what an action did: ``message`` for a person, or its ``--json`` result.

    ``data`` are the result's fields (ids, numbers, amounts); ``replayed`` says
    the action had been done with the same key before and nothing changed.  The
    person reads ``message`` in the deployment's language (``click.echo`` speaks
    it, see :func:`dyncrm.i18n.install_echo`); the ``--json`` result keeps it as
    written, like an error's message.
    """
    if as_json:
        emit(data, message=message, replayed=replayed)
    else:
        click.echo(message)


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
        writer.writerow({c: spreadsheet_cell(_cell(flat(row.get(c)))) for c in columns})


def kv(pairs: dict[str, Any], out: TextIO | None = None) -> None:
    """Print label/value pairs, labels aligned (in the deployment's language)."""
    from dyncrm.i18n import translate

    if not pairs:
        return
    # a label may be made of a message id ("{product} arrears"): matched as a sentence
    labels = {k: translate(k) for k in pairs}
    width = max(_width(label) for label in labels.values())
    for k, v in pairs.items():
        label = labels[k]
        echo_as_written(f"{printable(label)}{' ' * (width - _width(label))}  "
                   f"{printable(_shown(v))}", file=out or sys.stdout)
