"""The passbook (buku simpanan): a member's savings per type with a running balance.

One section per savings type (pokok, wajib, sukarela, or the one asked for) over a
period: the balance brought forward, every movement with its receipt number, deposits
and withdrawals in their own columns, the running balance and the closing balance.
Rendered from the template ``savings/passbook.html`` (a deployment overrides it by
name) as the portal's page and, through :mod:`dyncrm.documents`, as a PDF.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs

from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor, MemberInfo
from dyncrm_expand.savings.common import can_view, canonical_product, member_row, product_name
from dyncrm_expand.savings.config import PRODUCTS

TEMPLATE = "savings/passbook.html"


@attrs.frozen
class PassbookLine:
    """One movement: date, what it was, money in or out, the balance after, its receipt."""

    date: dt.date
    entry_id: int
    memo: str
    deposit: Money | None
    withdrawal: Money | None
    balance: Money
    receipt: str | None


@attrs.frozen
class PassbookSection:
    """One savings type of the passbook."""

    product: str
    name: str
    opening: Money
    lines: tuple[PassbookLine, ...]
    closing: Money


@attrs.frozen
class Passbook:
    """A member's passbook over ``since``..``until`` (either open)."""

    member_id: int
    member_name: str
    member_number: str | None
    since: dt.date | None
    until: dt.date | None
    sections: tuple[PassbookSection, ...]
    printed_on: dt.date


def _section(crm, member_id: int, product: str, since: dt.date | None,
             until: dt.date | None) -> PassbookSection:
    from dyncrm.db.models import Account

    zero = Money.zero(crm.currency)
    code = f"savings.{product}:m{member_id}"
    name = product_name(crm, product)
    if not Account.select().where(Account.code == code).exists():
        return PassbookSection(product, name, zero, (), zero)
    opening = (crm.ledger.balance(code, as_of=since - dt.timedelta(days=1))
               if since else zero)
    raw = crm.ledger.statement(code, since=since, until=until)
    numbers = crm.receipts.for_entries(r["entry"] for r in raw)
    lines = tuple(
        PassbookLine(date=r["date"], entry_id=r["entry"], memo=r["memo"],
                     deposit=r["amount"] if r["amount"].amount > 0 else None,
                     withdrawal=-r["amount"] if r["amount"].amount < 0 else None,
                     balance=r["balance"], receipt=numbers.get(r["entry"]))
        for r in raw)
    return PassbookSection(product, name, opening, lines, lines[-1].balance if lines else opening)


def passbook(crm, actor: Actor, member: MemberInfo | int | str, *,
             products: list[str] | None = None, since: dt.date | None = None,
             until: dt.date | None = None) -> Passbook:
    """The passbook of ``member`` for ``products`` (default: every savings type).

    Members see their own; anyone else needs ``savings.view``.
    """
    row = member_row(crm, member)
    can_view(crm, actor, row.id)
    if since and until and since > until:
        raise ValidationError(f"the period starts ({since.isoformat()}) after it ends "
                              f"({until.isoformat()})", field="from")
    chosen = [canonical_product(crm, p) for p in products] if products else list(PRODUCTS)
    return Passbook(member_id=row.id, member_name=row.name, member_number=row.number,
                    since=since, until=until,
                    sections=tuple(_section(crm, row.id, p, since, until) for p in chosen),
                    printed_on=crm.today())


def context(crm, book: Passbook) -> dict[str, Any]:
    """What ``savings/passbook.html`` is given: ``passbook`` and ``organisation``."""
    return {"passbook": book, "organisation": crm.config.organisation}


def passbook_html(crm, book: Passbook) -> str:
    """The passbook as an HTML fragment (the portal's page, the PDF's source)."""
    return crm.render(TEMPLATE, **context(crm, book))


def passbook_pdf(crm, book: Passbook) -> bytes:
    """The passbook as PDF bytes."""
    from dyncrm.documents import html_to_pdf

    return html_to_pdf(passbook_html(crm, book),
                       title=f"{crm.t('Passbook')} {book.member_number or book.member_id}",
                       author=crm.config.organisation.name)


def write_passbook(crm, book: Passbook, path: str | Path) -> Path:
    """Write the passbook's PDF to ``path`` whole or not at all, mode 0600."""
    from dyncrm.documents import write_private

    return write_private(path, passbook_pdf(crm, book))


__all__ = ["Passbook", "PassbookLine", "PassbookSection", "passbook", "passbook_html",
           "passbook_pdf", "write_passbook"]
