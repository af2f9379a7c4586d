"""Indonesian formatting of amounts, dates and percentages for reports and slips."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from dyncrm.money import from_minor

if TYPE_CHECKING:
    from collections.abc import Callable

    from dyncrm.app import CRM


def rupiah(crm: CRM, units: int | Fraction, currency: str | None = None) -> str:
    """Minor units as ``Rp 1.250.000`` (a fraction is rounded half-even for display only)."""
    currency = currency or crm.currency
    exp = crm.ledger.exponent(currency)
    if isinstance(units, Fraction):
        exact = Decimal(units.numerator) / Decimal(units.denominator)
        units = int(exact.quantize(Decimal(1), ROUND_HALF_EVEN))
    return crm.format_money(from_minor(int(units), currency, exp))


def rupiah_texts(crm: CRM, currency: str | None = None) -> Callable[[int | Fraction], str]:
    """:func:`rupiah` for one report being built, each distinct amount formatted once
    (amounts repeat across members: monthly wajib, standard installments, equal shares)."""
    seen: dict[int | Fraction, str] = {}

    def text(units: int | Fraction) -> str:
        found = seen.get(units)
        if found is None:
            found = seen[units] = rupiah(crm, units, currency)
        return found

    return text


def amount_plain(crm: CRM, units: int | Fraction, currency: str | None = None) -> str:
    """``1.250.000`` without the currency symbol (for CSV columns and narrow tables)."""
    text = rupiah(crm, units, currency)
    return text.replace("Rp ", "").replace("Rp", "")


def tanggal(crm: CRM, day: dt.date | dt.datetime | str | None, *, long: bool = True) -> str:
    """``31 Desember 2025`` (long) or ``31-12-2025``."""
    return crm.locale.date(day, long=long)


def persen(value: Decimal | str) -> str:
    """``7,5%`` for Decimal("7.5")."""
    d = Decimal(str(value)).normalize()
    text = f"{d:f}"
    return text.replace(".", ",") + "%"
