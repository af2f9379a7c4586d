"""Where a year's SHU comes from: the closed books, or an amount given with a reason.

Once the fiscal year is closed (``dyncrm books close --year 2025``, two people),
its result — income minus expenses, moved by the closing entries into
``equity.year_result`` (SHU tahun berjalan) — *is* the SHU: ``shu compute``
drafts from it and ``shu enter`` records it without an amount.  Another amount
is an override: it needs a reason, which stays with the SHU entry (memo and
meta, shown by ``shu status``) and makes the action ``shu.override`` in the
audit trail.  For a year not closed, only an override is possible — except on
a deployment that has never closed a period in dyncrm (it keeps its books
elsewhere): there the amount is typed in as before, a reason optional.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs

from dyncrm import periods
from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.text import clean_text

from .bases import year_bounds

if TYPE_CHECKING:
    from dyncrm.app import CRM

INCOME_SUMMARY = "equity.income_summary"


@attrs.frozen
class SurplusPlan:
    """How ``shu enter`` records a year's SHU: amount, counter-account, date, why."""

    year: int
    amount: Money
    books: Money | None  # the closed year's result, None while the year is open
    reason: str
    debit: str  # equity.year_result (closed year) or equity.income_summary
    debit_name: str
    on: dt.date

    @property
    def override(self) -> bool:
        """True when the amount is not the closed year's result."""
        return self.books is None or self.amount != self.books

    @property
    def source(self) -> str:
        """``books``, ``override`` (with a reason), or ``typed``: an amount without a
        reason on a deployment that closes no period in dyncrm."""
        if not self.override:
            return "books"
        return "override" if self.reason else "typed"

    def meta(self) -> dict:
        """What the SHU entry keeps of its source (the audit of the amount)."""
        out = {"source": self.source, "year": self.year}
        if self.books is not None:
            out["books_result"] = str(self.books.amount)
        if self.reason:
            out["reason"] = self.reason
        return out


def not_closed_message(year: int) -> str:
    """What to do when the SHU of ``year`` is asked for and its books are open."""
    return (f"the books of {year} are not closed, so they give no SHU yet: close the year "
            f"first (dyncrm books close --year {year}, proposed and approved by two people), "
            f"or give the SHU yourself with a reason: dyncrm shu enter --year {year} "
            "--amount AMOUNT --reason TEXT")


def closes_books(crm: CRM) -> bool:
    """True when this deployment closes its books in dyncrm (a period is closed)."""
    from dyncrm.db.periods import IN_FORCE, ClosedPeriod

    return ClosedPeriod.select().where(ClosedPeriod.status.in_(IN_FORCE)).exists()


def books_amount(crm: CRM, year: int) -> Money | None:
    """The SHU of ``year`` as the closed books give it (``None`` while not closed)."""
    return periods.year_result(crm, year)


def plan_surplus(crm: CRM, year: int, amount: Money | None, reason: str = "") -> SurplusPlan:
    """Check and plan recording ``year``'s SHU; writes nothing.

    Without ``amount``: the closed year's result (refused while the year is
    open).  With an amount other than that result: an override, refused
    without a reason.
    """
    reason = clean_text(reason or "", field="reason").strip()
    if len(reason) > 500:
        raise ValidationError("must be at most 500 characters", field="reason")
    books = books_amount(crm, year)
    if amount is None:
        if books is None:
            raise ValidationError(not_closed_message(year), field="amount")
        amount = books
    if books is not None and amount != books and not reason:
        raise ValidationError(
            f"the closed books of {year} give an SHU of {crm.format_money(books)}; to record "
            f"{crm.format_money(amount)} instead, say why with --reason (it stays in the audit "
            "trail)", field="reason")
    if books is None and not reason and closes_books(crm):
        raise ValidationError(not_closed_message(year), field="reason")
    _, end = year_bounds(year)
    if books is not None:  # the year is closed: the SHU leaves its result, dated today
        return SurplusPlan(year, amount, books, reason, periods.RESULT_ACCOUNT,
                           crm.t("Result of the year"), crm.today())
    return SurplusPlan(year, amount, None, reason, INCOME_SUMMARY, "Ikhtisar hasil usaha", end)


def source_of(crm: CRM, entry_id: int | None) -> dict:
    """The source recorded with an SHU entry: ``{"source", "reason", "books_result"}``
    (entries from before the books were closed say ``typed``)."""
    if entry_id is None:
        return {}
    meta = crm.ledger.entry(entry_id).meta or {}
    return {"source": meta.get("source", "typed"), "reason": meta.get("reason", ""),
            "books_result": meta.get("books_result")}
