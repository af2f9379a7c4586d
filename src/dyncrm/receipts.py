"""Receipts (kwitansi): a numbered proof of every money movement, issued in its action.

A plugin declares which of its journal entries get a receipt with the hook
``dyncrm_receipt_kinds`` (:class:`ReceiptKind` values).  When such an entry is
posted (``dyncrm_transaction_posted``), the core issues its receipt in the same
transaction: the number comes from the gap-free sequence ``receipt:<year>``
(``crm.next_number``), so an action that rolls back uses no number, and an action
replayed with the same key posts nothing and finds the same receipt
(:meth:`Receipts.for_entry`).  A plugin may also issue one explicitly for an entry
of a kind it did not declare (:meth:`Receipts.issue`).

A receipt records what it proves: the entry, the member, the amount (the entry's
total: the sum of its debits in money) and the kind, with the entry's legs as
they were.  It is shown from a Jinja2 template (``receipts/receipt.html`` unless
the kind names another) that a deployment overrides by name; the same HTML is
the portal's page and, through fpdf2's ``write_html``, the PDF (module
:mod:`dyncrm.documents`).  Only the command that moved the money prints the
original; every later print is marked as a copy (``COPY``, "SALINAN" in
Koperasi XYZ's template).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring as _json_string
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.dates import as_date
from dyncrm.errors import NotFoundError, PluginError, ValidationError
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.values import EntryInfo

if TYPE_CHECKING:
    from pathlib import Path

    from dyncrm.app import CRM
    from dyncrm.db.receipts import Receipt

#: The template a receipt is rendered from unless its kind names another.
DEFAULT_TEMPLATE = "receipts/receipt.html"
#: Which way the money went, as seen by the member.
DIRECTIONS = ("in", "out", "internal")


@attrs.frozen
class ReceiptKind:
    """A kind of receipt a plugin issues for its journal entries (hook ``dyncrm_receipt_kinds``).

    ``name`` identifies the kind (``"savings.deposit"``); ``title`` is the English
    heading, translated through the deployment's catalogue (``crm.t``);
    ``entry_kinds`` are the journal entry kinds that get this receipt when posted
    (empty: only issued explicitly with :meth:`Receipts.issue`); ``direction`` is
    ``in`` (the cooperative received the money from the member), ``out`` (it paid
    the member) or ``internal`` (moved between the member's accounts);
    ``template`` is the HTML template it is rendered from.
    """

    name: str
    title: str
    entry_kinds: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    direction: str = attrs.field(default="in", validator=attrs.validators.in_(DIRECTIONS))
    template: str = DEFAULT_TEMPLATE


@attrs.frozen
class ReceiptLine:
    """One leg of the entry a receipt proves: the account, its kind and the signed amount."""

    account: str
    kind: str
    amount: Money

    @property
    def debit(self) -> bool:
        """True for a debit (money into the account, as the ledger signs it)."""
        return self.amount.amount > 0


@attrs.frozen
class ReceiptInfo:
    """A receipt as issued."""

    number: str
    kind: str
    title: str
    direction: str
    entry_id: int
    member_id: int | None
    member_name: str
    member_number: str | None
    amount: Money
    effective_date: dt.date
    issued_at: dt.datetime
    issued_by: str
    memo: str
    reference: str
    method: str
    lines: tuple[ReceiptLine, ...]
    template: str = DEFAULT_TEMPLATE
    #: the entry's ``meta`` (what the posting plugin recorded: a loan id, a year, ...)
    meta: dict[str, Any] = attrs.field(factory=dict, eq=False)

    def lines_of(self, *kinds: str) -> tuple[ReceiptLine, ...]:
        """The lines on accounts of these kinds (``"loans.principal"``, ``"cash"``)."""
        return tuple(line for line in self.lines if line.kind in kinds)


def entry_total(entry: EntryInfo, currency: str) -> Money:
    """An entry's total in ``currency``: the sum of its debits (legs in other commodities
    left out)."""
    total = Money.of(0, currency)
    for leg in entry.legs:
        if leg.amount.currency == currency and leg.amount.amount > 0:
            total = total + leg.amount
    return total


def number_text(prefix: str, year: int, seq: int) -> str:
    """The printed number: ``KW-2025-000123``."""
    return f"{prefix}-{year}-{seq:06d}"


def _line_head(account: str, commodity: str) -> str:
    """The start of one of a receipt's ``lines`` in JSON, up to its units: the text
    ``json_text`` makes of ``{"account", "commodity", "kind", "units"}`` (keys sorted),
    the kind being the account's code without its member; made once per account."""
    return (f'{{"account": {_json_string(account)}, "commodity": {_json_string(commodity)}, '
            f'"kind": {_json_string(account.split(":m", 1)[0])}, "units": ')


#: The columns :meth:`Receipts.issue_many` writes, in its rows' order.
_RECEIPT_COLUMNS = ("number", "year", "seq", "kind", "entry_id", "member_id", "amount",
                    "currency", "effective_date", "issued_at", "issued_by", "lines")


class Receipts:
    """The receipts of one CRM; reach it as ``crm.receipts``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self._kinds: dict[str, ReceiptKind] | None = None
        #: entries waiting for their receipts inside :meth:`batch` (None: not batching)
        self._waiting: list[tuple[EntryInfo, str]] | None = None

    # -- kinds ---------------------------------------------------------------

    def kinds(self) -> dict[str, ReceiptKind]:
        """Every receipt kind the enabled plugins declare, by name.

        Two declarations of one name, or two kinds claiming one entry kind, are a
        :class:`~dyncrm.errors.PluginError`.
        """
        if self._kinds is None:
            found: dict[str, ReceiptKind] = {}
            claimed: dict[str, str] = {}
            for declared in self.crm.hook.dyncrm_receipt_kinds(crm=self.crm):
                for kind in declared or []:
                    if not isinstance(kind, ReceiptKind):
                        raise PluginError("dyncrm_receipt_kinds must return ReceiptKind "
                                          f"values, not {type(kind).__name__}",
                                          hook="dyncrm_receipt_kinds")
                    if kind.name in found:
                        raise PluginError(f"receipt kind {kind.name!r} is declared twice",
                                          hook="dyncrm_receipt_kinds")
                    for entry_kind in kind.entry_kinds:
                        if entry_kind in claimed:
                            raise PluginError(
                                f"entry kind {entry_kind!r} gets receipts of both "
                                f"{claimed[entry_kind]!r} and {kind.name!r}",
                                hook="dyncrm_receipt_kinds")
                        claimed[entry_kind] = kind.name
                    found[kind.name] = kind
            self._kinds = found
        return self._kinds

    def kind(self, name: str) -> ReceiptKind:
        """The receipt kind ``name`` (:class:`~dyncrm.errors.NotFoundError` if none declares it)."""
        try:
            return self.kinds()[name]
        except KeyError:
            raise NotFoundError("receipt kind", name) from None

    def kind_for_entry(self, entry_kind: str) -> ReceiptKind | None:
        """The receipt kind that entries of ``entry_kind`` get, if any."""
        return next((k for k in self.kinds().values() if entry_kind in k.entry_kinds), None)

    # -- issuing -------------------------------------------------------------

    def on_posted(self, entry: EntryInfo) -> ReceiptInfo | None:
        """Issue the receipt for a newly posted ``entry`` if its kind gets one.

        Called by the core's ``dyncrm_transaction_posted``; reversals get none.
        """
        if entry.reverses is not None:
            return None
        kind = self.kind_for_entry(entry.kind)
        if kind is None:
            return None
        if self._waiting is not None:
            self._waiting.append((entry, kind.name))
            return None
        return self.issue(entry.id, kind.name)

    def on_posted_many(self, entries: Iterable[EntryInfo]) -> None:
        """Issue the receipts of many newly posted entries set-based (:meth:`issue_many`):
        the same receipts, numbered in the same order, as :meth:`on_posted` one by one.

        Called by the core's ``dyncrm_transactions_posted`` (``crm.ledger.post_many``).
        """
        kinds: dict[str, str | None] = {}
        wanted = []
        for entry in entries:
            if entry.reverses is not None:
                continue
            name = kinds.get(entry.kind, "")
            if name == "":
                kind = self.kind_for_entry(entry.kind)
                name = kinds[entry.kind] = kind.name if kind is not None else None
            if name is not None:
                wanted.append((entry, name))
        if not wanted:
            return
        if self._waiting is not None:
            self._waiting.extend(wanted)
            return
        self.issue_many(wanted)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Issue the receipts of the entries posted inside set-based, when the block ends.

        For code posting many entries one by one with ``crm.ledger.post``:
        :meth:`on_posted` only notes the entry, and the block's end issues every
        noted receipt with a fixed number of statements (:meth:`issue_many`) — the
        same numbers, in the same order, as one by one.  Nested blocks issue at the
        outermost end.  (``crm.ledger.post_many`` needs no block: its receipts are
        issued per chunk through ``dyncrm_transactions_posted``.)
        """
        if self._waiting is not None:
            yield
            return
        self._waiting = []
        try:
            yield
            waiting = self._waiting
        finally:
            self._waiting = None
        self.issue_many(waiting)

    def issue_many(self, entries: list[tuple[EntryInfo, str]]) -> None:
        """:meth:`issue` for many new entries at once: ``(entry, kind name)`` each.

        Numbers are taken from ``receipt:<year>`` in one counter update per year,
        in the order given; an entry that has a receipt already keeps it.  Must
        run inside the action that posted the entries.
        """
        from dyncrm.db import bulk
        from dyncrm.db.models import Counter
        from dyncrm.db.receipts import Receipt

        if not entries:
            return
        if not self.crm.in_action():
            raise PluginError("crm.receipts.issue_many() was called outside crm.action(...); "
                              "a receipt is numbered in the transaction of the money it proves")
        db = self.crm.database
        have = {entry_id for (entry_id,) in bulk.select_in(
            db, "SELECT entry_id FROM receipt WHERE entry_id IN ({in})",
            [entry.id for entry, _ in entries])}
        todo = [(entry, self.kind(kind)) for entry, kind in entries if entry.id not in have]
        currency = self.crm.currency
        members = {m for entry, _ in todo if (m := entry.member_id) is not None}
        found = {m for (m,) in bulk.select_in(db, "SELECT id FROM member WHERE id IN ({in})",
                                              sorted(members))}
        if members - found:
            raise NotFoundError("member", min(members - found))
        per_year: dict[int, int] = {}
        for entry, _ in todo:
            year = entry.effective_date.year
            per_year[year] = per_year.get(year, 0) + 1
        first: dict[int, int] = {}
        for year, count in sorted(per_year.items()):
            name = f"receipt:{year}"
            with db.atomic():
                updated = (Counter.update(value=Counter.value + count)
                           .where(Counter.name == name).execute())
                if not updated:
                    from dyncrm.db.concurrency import insert_once

                    if insert_once(Counter, {"name": name, "value": count}) is None:
                        (Counter.update(value=Counter.value + count)
                         .where(Counter.name == name).execute())
                first[year] = Counter.get(Counter.name == name).value - count + 1
        prefix = self.crm.config.receipts.prefix
        issued_at = bulk.stamp(db, Receipt.issued_at.db_value(self.crm.now()))
        date_value = bulk.day_values(db, Receipt.effective_date)
        exponents: dict[str, int] = {}
        units_of: dict[tuple, int] = {}
        line_heads: dict[tuple[str, str], str] = {}
        rows = []
        for entry, kind in todo:
            lines, total = [], 0  # the total as entry_total: the debits in money
            for leg in entry.legs:
                c = leg.amount.currency
                exp = exponents.get(c)
                if exp is None:
                    exp = exponents[c] = self.crm.ledger.exponent(c)
                units = units_of.get((leg.amount.amount, exp))  # amounts repeat in a batch
                if units is None:
                    units = units_of[(leg.amount.amount, exp)] = to_minor(leg.amount, exp)
                if c == currency and units > 0:
                    total += units
                head = line_heads.get((leg.account, c))
                if head is None:
                    head = line_heads[(leg.account, c)] = _line_head(leg.account, c)
                lines.append(f"{head}{units}}}")
            if total <= 0:
                raise ValidationError(f"journal entry {entry.id} moves no {currency}; it "
                                      "needs no receipt", field="entry")
            day = entry.effective_date
            year = day.year
            seq = first[year]
            first[year] += 1
            rows.append((number_text(prefix, year, seq), year, seq, kind.name, entry.id,
                         entry.member_id, total, currency, date_value(day), issued_at,
                         entry.actor, f"[{', '.join(lines)}]"))
        bulk.insert_rows(db, "receipt", _RECEIPT_COLUMNS, rows)

    def issue(self, entry_id: int, kind: str, *, actor: str | None = None) -> ReceiptInfo:
        """The receipt of journal entry ``entry_id``, issued now as ``kind`` if it has none.

        Must run inside the action that posted the entry (``crm.action``), so the
        number is taken in its transaction: rolled back with it, never handed out
        twice, never skipped.  An entry keeps its first receipt: asking again
        returns it, whatever ``kind``.
        """
        from dyncrm.db.models import Member
        from dyncrm.db.receipts import Receipt

        if not self.crm.in_action():
            raise PluginError("crm.receipts.issue() was called outside crm.action(...); a "
                              "receipt is numbered in the transaction of the money it proves")
        declared = self.kind(kind)
        existing = Receipt.get_or_none(Receipt.entry == entry_id)
        if existing is not None:
            return self._info(existing)
        entry = self.crm.ledger.entry(entry_id)
        currency = self.crm.currency
        amount = entry_total(entry, currency)
        if amount.amount <= 0:
            raise ValidationError(f"journal entry {entry_id} moves no {currency}; it needs "
                                  "no receipt", field="entry")
        year = entry.effective_date.year
        seq = self.crm.next_number(f"receipt:{year}")
        number = number_text(self.crm.config.receipts.prefix, year, seq)
        exponent = self.crm.ledger.exponent(currency)
        lines = [{"account": leg.account, "kind": leg.account.split(":m", 1)[0],
                  "units": to_minor(leg.amount, self.crm.ledger.exponent(leg.amount.currency)),
                  "commodity": leg.amount.currency} for leg in entry.legs]
        if entry.member_id is not None:
            Member.get_by_id(entry.member_id)  # a receipt names a member that exists
        Receipt.insert(number=number, year=year, seq=seq, kind=declared.name, entry=entry.id,
                       member=entry.member_id, amount=to_minor(amount, exponent),
                       currency=currency, effective_date=entry.effective_date,
                       issued_at=self.crm.now(), issued_by=actor or entry.actor,
                       lines=lines).execute()
        return self.get(number)

    # -- reading -------------------------------------------------------------

    def _info(self, row: Receipt) -> ReceiptInfo:
        from dyncrm.db.models import JournalEntry, Member

        kind = self.kinds().get(row.kind) or ReceiptKind(row.kind, row.kind)
        member = Member.get_or_none(Member.id == row.member_id) if row.member_id else None
        entry = JournalEntry.get_by_id(row.entry_id)
        meta = entry.meta or {}
        lines = tuple(
            ReceiptLine(line["account"], line["kind"],
                        from_minor(int(line["units"]), line.get("commodity", row.currency),
                                   self.crm.ledger.exponent(line.get("commodity",
                                                                     row.currency))))
            for line in row.lines or [])
        return ReceiptInfo(
            number=row.number, kind=row.kind, title=self.crm.t(kind.title),
            direction=kind.direction, entry_id=row.entry_id, member_id=row.member_id,
            member_name=member.name if member else "", member_number=member.number if member
            else None, amount=from_minor(row.amount, row.currency,
                                         self.crm.ledger.exponent(row.currency)),
            effective_date=as_date(row.effective_date), issued_at=row.issued_at,
            issued_by=row.issued_by, memo=entry.memo or "",
            reference=str(meta.get("reference", "") or ""),
            method=str(meta.get("method", "") or ""), lines=lines, template=kind.template,
            meta=dict(meta))

    def get(self, number: str) -> ReceiptInfo:
        """The receipt numbered ``number`` (:class:`~dyncrm.errors.NotFoundError` if none)."""
        from dyncrm.db.receipts import Receipt

        row = Receipt.get_or_none(Receipt.number == (number or "").strip().upper())
        if row is None:
            raise NotFoundError("receipt", number)
        return self._info(row)

    def for_entry(self, entry_id: int) -> ReceiptInfo | None:
        """The receipt of journal entry ``entry_id``, if it has one."""
        from dyncrm.db.receipts import Receipt

        row = Receipt.get_or_none(Receipt.entry == entry_id)
        return self._info(row) if row is not None else None

    def for_entries(self, entry_ids: Iterable[int]) -> dict[int, str]:
        """Receipt numbers by entry id, for the entries among ``entry_ids`` that have one
        (one query: pages that list movements link each to its receipt)."""
        from dyncrm.db.receipts import Receipt

        ids = sorted({int(i) for i in entry_ids if i is not None})
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for entry_id, number in (Receipt.select(Receipt.entry, Receipt.number)
                                     .where(Receipt.entry.in_(chunk)).tuples()):
                found[entry_id] = number
        return found

    def list(self, *, member_id: int | None = None, kind: str | None = None,
             since: dt.date | None = None, until: dt.date | None = None,
             limit: int | None = None) -> list[ReceiptInfo]:
        """Receipts, newest first, of one member, one kind and a date range if given."""
        from dyncrm.db.receipts import Receipt

        query = Receipt.select()
        if member_id is not None:
            query = query.where(Receipt.member == member_id)
        if kind is not None:
            query = query.where(Receipt.kind == kind)
        if since is not None:
            query = query.where(Receipt.effective_date >= since)
        if until is not None:
            query = query.where(Receipt.effective_date <= until)
        query = query.order_by(Receipt.year.desc(), Receipt.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        return [self._info(row) for row in query]

    # -- printing ------------------------------------------------------------

    def context(self, receipt: ReceiptInfo, *, copy: bool) -> dict[str, Any]:
        """What a receipt template is given: ``receipt``, ``copy``, ``organisation``."""
        return {"receipt": receipt, "copy": copy, "organisation": self.crm.config.organisation,
                "printed_at": self.crm.now()}

    def html(self, receipt: ReceiptInfo | str, *, copy: bool = True) -> str:
        """The receipt as an HTML fragment from its template (the portal's page, the PDF's
        source).  ``copy`` marks it as a copy."""
        if isinstance(receipt, str):
            receipt = self.get(receipt)
        return self.crm.render(receipt.template, **self.context(receipt, copy=copy))

    def pdf(self, receipt: ReceiptInfo | str, *, copy: bool = True) -> bytes:
        """The receipt as PDF bytes (its HTML laid out by :mod:`dyncrm.documents`)."""
        from dyncrm.documents import html_to_pdf

        if isinstance(receipt, str):
            receipt = self.get(receipt)
        return html_to_pdf(self.html(receipt, copy=copy),
                           title=f"{receipt.title} {receipt.number}",
                           author=self.crm.config.organisation.name)

    def write_pdf(self, receipt: ReceiptInfo | str, path: str | Path, *,
                  copy: bool = True) -> Path:
        """Write the receipt's PDF to ``path`` whole or not at all, readable only by its
        owner (it names a member); returns the path."""
        from dyncrm.documents import write_private

        return write_private(path, self.pdf(receipt, copy=copy))


__all__ = ["DEFAULT_TEMPLATE", "ReceiptInfo", "ReceiptKind", "ReceiptLine", "Receipts",
           "entry_total", "number_text"]
