"""The chart of accounts: the lines an accountant reads, and which ledger accounts each holds.

The ledger keeps one account per kind and member (``savings.wajib:m42``); a
balance sheet shows one line per chart line (``3-1200 Simpanan wajib``).  A chart
line holds account **kinds** — exact (``savings.wajib``) or every kind under a
prefix (``equity.fund.*``) — and sits in one of the five sections of the
statements: ``asset``, ``liability``, ``equity``, ``income``, ``expense``.  A
line's section is where an accountant puts it, which may differ from the ledger
account's type: simpanan pokok and wajib are kept as ``liability`` accounts
(owed back to a member when they leave) but belong to the cooperative's equity
(UU 25/1992 ps. 41), so their chart lines are in ``equity``.

Where the lines come from:

- every enabled plugin declares its account kinds with their default placement
  through the hook ``dyncrm_chart_accounts`` (:class:`ChartAccount`);
- a deployment writes its own chart in ``[books.asset]``, ``[books.liability]``,
  ... (code → name and kinds), which then replaces the plugins' defaults;
  without one, each declared kind is a line of its own.

A kind in use that no line holds is *unmapped*: :func:`check` lists it (and
``dyncrm books check`` fails), and the statements still show it, in the section
of its declaration or its ledger type, so nothing is silently dropped and the
balance sheet still balances.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from pathlib import Path

    from dyncrm.app import CRM

#: The sections of the statements, in the order they are printed.
SECTIONS = ("asset", "liability", "equity", "income", "expense")
#: Sections whose balances are debits (shown positive when the raw sum is positive).
DEBIT_SECTIONS = frozenset({"asset", "expense"})
_KIND = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_-]+)*(?:\.\*)?|\*")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/_]{0,19}")


def _section(_instance: Any, attribute: Any, value: str) -> None:
    if value not in SECTIONS:
        raise ValueError(f"{attribute.name} must be one of {', '.join(SECTIONS)}, "
                         f"not {value!r}")


def _kind_pattern(_instance: Any, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not _KIND.fullmatch(value):
        raise ValueError(f"{attribute.name} {value!r} must be an account kind such as "
                         "'savings.wajib', or a prefix such as 'equity.fund.*'")


def kind_matches(pattern: str, kind: str) -> bool:
    """Whether account ``kind`` falls under ``pattern`` (a kind, ``prefix.*`` or ``*``)."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return kind.startswith(pattern[:-1])
    return kind == pattern


def _specificity(pattern: str) -> tuple[int, int]:
    """Exact kinds beat prefixes; a longer prefix beats a shorter one."""
    if pattern.endswith("*"):
        return (0, len(pattern))
    return (1, len(pattern))


@attrs.frozen
class ChartAccount:
    """An account kind a plugin uses and where it belongs by default (``dyncrm_chart_accounts``).

    :param kind: the account kind (``loans.principal``) or every kind under a
        prefix (``equity.fund.*``).
    :param section: where an accountant puts it: ``asset``, ``liability``,
        ``equity``, ``income`` or ``expense`` (not necessarily the ledger type:
        simpanan pokok is a ``liability`` account in the ledger and ``equity`` here).
    :param name: the line's name when the deployment has no chart of its own (in
        English; the deployment's catalogue may translate it).
    :param code: the line's code in that case (default: the kind).
    """

    kind: str = attrs.field(validator=_kind_pattern)
    section: str = attrs.field(validator=_section)
    name: str
    code: str = ""
    plugin: str = ""  #: filled in by :func:`declared_accounts`


@attrs.frozen
class ChartLine:
    """One line of the chart: its code, name, section and the account kinds it holds."""

    code: str
    name: str
    section: str = attrs.field(validator=_section)
    kinds: tuple[str, ...] = attrs.field(converter=tuple, default=())
    #: false for the stand-in line of an account kind no line holds
    mapped: bool = True

    @property
    def debit_normal(self) -> bool:
        """Whether a positive (debit) raw balance reads as a positive amount on this line."""
        return self.section in DEBIT_SECTIONS

    def natural(self, units: int) -> int:
        """``units`` (raw: debits positive) as this line shows them."""
        return units if self.debit_normal else -units


@attrs.frozen
class BooksSettings:
    """``[books]``: the deployment's chart of accounts and the result lines' labels.

    ``lines`` come from ``[books.asset]`` ... ``[books.expense]``: each key is a
    line code, its value ``{ name = "...", kinds = ["..."] }``.  ``result`` and
    ``earlier_result`` (``{ code = "...", name = "..." }``) label the equity lines
    of income less expenses not yet closed: of the current fiscal year, and of
    years before it.
    """

    lines: tuple[ChartLine, ...] = ()
    result: tuple[str, str] = ("", "")
    earlier_result: tuple[str, str] = ("", "")


def parse_settings(raw: Any, path: Path | None = None) -> BooksSettings:
    """``[books]`` from the config file, every mistake a
    :class:`~dyncrm.errors.ConfigError` naming its key."""
    if raw is None:
        return BooksSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a table", path=path, key="books", expected="a table",
                          found=raw)
    known = (*SECTIONS, "result", "earlier_result")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; known keys: {', '.join(known)}",
                          path=path, key="books")
    lines: list[ChartLine] = []
    codes: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for section in SECTIONS:
        table = raw.get(section, {})
        where = f"books.{section}"
        if not isinstance(table, Mapping):
            raise ConfigError("must be a table of chart lines", path=path, key=where,
                              expected='"CODE" = { name = "...", kinds = ["..."] }',
                              found=table)
        for code, line in table.items():
            key = f'{where}."{code}"'
            if not _CODE.fullmatch(code):
                raise ConfigError("a line code is 1 to 20 letters, digits and . - / _",
                                  path=path, key=key, expected="a code such as 1-1100",
                                  found=code)
            if code in codes:
                raise ConfigError(f"line {code} is in [books.{codes[code]}] already",
                                  path=path, key=key)
            if not isinstance(line, Mapping):
                raise ConfigError("must be a table", path=path, key=key,
                                  expected='{ name = "...", kinds = ["..."] }', found=line)
            extra = sorted(set(line) - {"name", "kinds"})
            if extra:
                raise ConfigError(f"unknown key {extra[0]!r}; known keys: kinds, name",
                                  path=path, key=key)
            name = line.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ConfigError("needs a name", path=path, key=f"{key}.name",
                                  expected="text", found=name)
            held = line.get("kinds", [])
            if isinstance(held, str):
                held = [held]
            if not isinstance(held, list) or not all(isinstance(k, str) for k in held):
                raise ConfigError("must be a list of account kinds", path=path,
                                  key=f"{key}.kinds", expected='["savings.wajib"]',
                                  found=held)
            for kind in held:
                if not _KIND.fullmatch(kind):
                    raise ConfigError("is not an account kind (or prefix.*)", path=path,
                                      key=f"{key}.kinds", expected="e.g. 'cash' or "
                                      "'equity.fund.*'", found=kind)
                if kind in kinds:
                    raise ConfigError(f"kind {kind!r} is on line {kinds[kind]} already; "
                                      "an account kind belongs to one line", path=path,
                                      key=f"{key}.kinds")
                kinds[kind] = code
            codes[code] = section
            lines.append(ChartLine(code, name.strip(), section, tuple(held)))
    labels = []
    for name in ("result", "earlier_result"):
        value = raw.get(name, {})
        if not isinstance(value, Mapping) or set(value) - {"code", "name"} or not all(
                isinstance(v, str) for v in value.values()):
            raise ConfigError("must be a table with code and name", path=path,
                              key=f"books.{name}",
                              expected='{ code = "3-9100", name = "..." }', found=value)
        labels.append((value.get("code", ""), value.get("name", "")))
    return BooksSettings(lines=tuple(lines), result=labels[0], earlier_result=labels[1])


def declared_accounts(crm: CRM) -> list[ChartAccount]:
    """Every enabled plugin's :class:`ChartAccount` declarations (``dyncrm_chart_accounts``).

    :raises PluginError: for something that is not a :class:`ChartAccount`, or one
        kind declared in two sections.
    """
    found: list[ChartAccount] = []
    seen: dict[str, ChartAccount] = {}
    hook = getattr(crm.pm.hook, "dyncrm_chart_accounts", None)
    for impl in hook.get_hookimpls() if hook is not None else ():
        for account in impl.function() or ():
            if not isinstance(account, ChartAccount):
                raise PluginError(f"returned {type(account).__name__}; each item must be a "
                                  "dyncrm.books.ChartAccount", plugin=impl.plugin_name,
                                  hook="dyncrm_chart_accounts")
            account = attrs.evolve(account, plugin=impl.plugin_name)
            other = seen.get(account.kind)
            if other is not None:
                if other.section != account.section:
                    raise PluginError(
                        f"puts account kind {account.kind!r} in {account.section}, which "
                        f"plugin {other.plugin!r} puts in {other.section}",
                        plugin=impl.plugin_name, hook="dyncrm_chart_accounts")
                continue
            seen[account.kind] = account
            found.append(account)
    return found


@attrs.frozen
class KindInUse:
    """An account kind with at least one account opened, and where the chart puts it."""

    kind: str
    ledger_type: str  #: the ledger type of its accounts
    commodity: str
    accounts: int
    line: ChartLine
    #: the money of the deployment (statements show only these; points are kept out)
    money: bool


@attrs.frozen
class Chart:
    """The chart of one deployment: its lines and the declared placements behind them."""

    lines: tuple[ChartLine, ...]
    declared: tuple[ChartAccount, ...]
    custom: bool  #: whether the lines come from ``[books]`` (else from the plugins' defaults)
    result: ChartLine
    earlier_result: ChartLine

    def line_for(self, kind: str) -> ChartLine | None:
        """The line holding account ``kind`` (the most specific pattern wins), if any."""
        best: tuple[tuple[int, int], ChartLine] | None = None
        for line in self.lines:
            for pattern in line.kinds:
                if kind_matches(pattern, kind):
                    rank = _specificity(pattern)
                    if best is None or rank > best[0]:
                        best = (rank, line)
        return best[1] if best else None

    def declared_for(self, kind: str) -> ChartAccount | None:
        """The plugin declaration covering ``kind`` (the most specific), if any."""
        candidates = [a for a in self.declared if kind_matches(a.kind, kind)]
        return max(candidates, key=lambda a: _specificity(a.kind), default=None)

    def placement(self, kind: str, ledger_type: str) -> ChartLine:
        """The line of ``kind``, or a stand-in line (``mapped=False``) in the section its
        declaration (else its ledger type) gives."""
        line = self.line_for(kind)
        if line is not None:
            return line
        declared = self.declared_for(kind)
        section = declared.section if declared else ledger_type
        return ChartLine(kind, kind, section, (kind,), mapped=False)

    def line(self, code: str) -> ChartLine | None:
        """The line with ``code``, if the chart has one."""
        return next((line for line in self.lines if line.code == code), None)


def chart(crm: CRM) -> Chart:
    """The chart of ``crm``'s deployment: ``[books]`` lines, else the plugins' defaults."""
    settings: BooksSettings = crm.config.books
    declared = tuple(declared_accounts(crm))
    if settings.lines:
        lines = list(settings.lines)
    else:
        by_code: dict[str, ChartLine] = {}
        for account in declared:
            code = account.code or account.kind.removesuffix(".*")
            existing = by_code.get(code)
            if existing is None:
                by_code[code] = ChartLine(code, crm.t(account.name), account.section,
                                          (account.kind,))
            elif existing.section == account.section:
                by_code[code] = attrs.evolve(existing, kinds=(*existing.kinds, account.kind))
            else:
                raise PluginError(f"declares line {code} in {account.section}; another "
                                  f"plugin has it in {existing.section}",
                                  plugin=account.plugin, hook="dyncrm_chart_accounts")
        lines = list(by_code.values())
    lines.sort(key=lambda line: (SECTIONS.index(line.section), line.code))
    result = ChartLine(settings.result[0], settings.result[1]
                       or crm.t("Result of the current year (not closed)"), "equity")
    earlier = ChartLine(settings.earlier_result[0], settings.earlier_result[1]
                        or crm.t("Results of earlier years (not closed)"), "equity")
    return Chart(tuple(lines), declared, bool(settings.lines), result, earlier)


def kinds_in_use(crm: CRM, the_chart: Chart | None = None) -> list[KindInUse]:
    """Every account kind with an account opened, with its line (one grouped query)."""
    from peewee import fn

    from dyncrm.db.models import Account

    the_chart = the_chart or chart(crm)
    query = (Account.select(Account.kind, Account.type, Account.commodity,
                            fn.COUNT(Account.id).alias("n"))
             .group_by(Account.kind, Account.type, Account.commodity)
             .order_by(Account.kind, Account.type, Account.commodity))
    return [KindInUse(row["kind"], row["type"], row["commodity"], int(row["n"]),
                      the_chart.placement(row["kind"], row["type"]),
                      row["commodity"] == crm.currency)
            for row in query.dicts()]


@attrs.frozen
class ChartCheck:
    """What :func:`check` found: kinds no line holds, and lines holding nothing in use."""

    unmapped: tuple[KindInUse, ...]
    not_money: tuple[KindInUse, ...]
    empty_lines: tuple[ChartLine, ...]

    @property
    def ok(self) -> bool:
        """True when every money account kind in use is on a chart line."""
        return not self.unmapped


def check(crm: CRM) -> ChartCheck:
    """Check that every account kind in use maps to a chart line.

    Kinds of another commodity than the deployment's currency (reward
    ``POINTS``) are listed apart: they are not money and the statements leave
    them out.
    """
    the_chart = chart(crm)
    used = kinds_in_use(crm, the_chart)
    money = [k for k in used if k.money]
    unmapped = tuple(k for k in money if not k.line.mapped)
    holding = {k.line.code for k in money if k.line.mapped}
    empty = tuple(line for line in the_chart.lines if line.code not in holding)
    return ChartCheck(unmapped, tuple(k for k in used if not k.money), empty)


def lines_for_kinds(the_chart: Chart, kinds: Iterable[KindInUse]) -> dict[str, ChartLine]:
    """``{kind: line}`` for ``kinds`` (stand-in lines for unmapped ones)."""
    return {k.kind: k.line for k in kinds}
