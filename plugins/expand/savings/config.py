"""Settings of ``expand.savings``: the three products and how deposits are handled.

A deployment writes them under ``[plugins."expand.savings"]``, e.g.::

    [plugins."expand.savings".pokok]
    amount = "100000"

    [plugins."expand.savings".wajib]
    amount = "50000"
    due_day = 25
    by_class = { "II" = "25000", "III" = "50000", "IV" = "100000" }

    [plugins."expand.savings".sukarela]
    minimum_balance = "10000"

    [plugins."expand.savings".sukarela.interest]
    rate = "3"                 # % per year, paid monthly
    basis = "average_daily"    # or "minimum"
    pph_rate = "10"            # PPh final on the month's whole interest ...
    pph_threshold = "240000"   # ... when it is above this

Amounts are written as strings or whole numbers (never floats) in the
organisation's currency.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

PRODUCTS = ("pokok", "wajib", "sukarela")
METHODS = ("cash", "transfer", "payroll")
PROOF_TYPES = ("jpeg", "png", "pdf")


def _positive(instance, attribute, value) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be above zero, not {value}")


def _not_negative(instance, attribute, value) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


def _day_of_month(instance, attribute, value) -> None:
    if not 1 <= value <= 31:
        raise ValueError(f"{attribute.name} must be a day of the month (1-31), not {value}")


def _class_amounts(instance, attribute, value) -> None:
    for name, amount in value.items():
        if amount <= 0:
            raise ValueError(f"by_class.{name} must be above zero, not {amount}")


def _proof_types(instance, attribute, value) -> None:
    unknown = set(value) - set(PROOF_TYPES)
    if unknown or not value:
        raise ValueError(f"proof_types must be some of {', '.join(PROOF_TYPES)}")


@attrs.frozen
class PokokProduct:
    """Simpanan pokok: paid once on joining, the same amount for every member."""

    code: str = "pokok"
    name: str = "Simpanan Pokok"
    amount: Decimal = attrs.field(default=Decimal(100000), validator=_positive)
    #: days after joining by which pokok is due (reminders use it)
    due_days: int = attrs.field(default=7, validator=_not_negative)


@attrs.frozen
class WajibProduct:
    """Simpanan wajib: a monthly amount, which may differ by member class (grade)."""

    code: str = "wajib"
    name: str = "Simpanan Wajib"
    amount: Decimal = attrs.field(default=Decimal(50000), validator=_positive)
    by_class: dict[str, Decimal] = attrs.field(factory=dict, validator=_class_amounts)
    #: day of the month the month's wajib is due (the month's last day if shorter)
    due_day: int = attrs.field(default=10, validator=_day_of_month)


INTEREST_BASES = ("minimum", "average_daily")


def _percent(instance, attribute, value) -> None:
    if not 0 <= value <= 100:
        raise ValueError(f"{attribute.name} is a percentage (0-100), not {value}")


def _interest_basis(instance, attribute, value) -> None:
    if value not in INTEREST_BASES:
        raise ValueError(f"{attribute.name} must be one of {', '.join(INTEREST_BASES)}, "
                         f"not {value!r}")


@attrs.frozen
class SukarelaInterest:
    """Interest on simpanan sukarela (jasa simpanan), computed and posted monthly.

    Every figure is a setting the cooperative decides (AD/ART, pengurus) or the tax
    law sets; the defaults are the PPh final on savings interest of PP 15/2009 as
    commonly cited (0 % up to Rp 240.000 a month, 10 % of the whole interest above
    it) — verify them before use.  ``rate = 0`` (the default) pays no interest.
    """

    #: interest per year, percent; a month earns rate / 12
    rate: Decimal = attrs.field(default=Decimal(0), validator=_percent)
    #: ``minimum``: the lowest end-of-day balance of the month; ``average_daily``:
    #: the average of the month's end-of-day balances
    basis: str = attrs.field(default="minimum", validator=_interest_basis)
    #: PPh final withheld, percent of the month's whole interest when above the threshold
    pph_rate: Decimal = attrs.field(default=Decimal(10), validator=_percent)
    #: a month's interest up to this amount is not taxed
    pph_threshold: Decimal = attrs.field(default=Decimal(240000), validator=_not_negative)


@attrs.frozen
class SukarelaProduct:
    """Simpanan sukarela: any amount, any time, withdrawable down to a minimum."""

    code: str = "sukarela"
    name: str = "Simpanan Sukarela"
    minimum_balance: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)
    #: monthly interest (``[plugins."expand.savings".sukarela.interest]``)
    interest: SukarelaInterest = SukarelaInterest()


@attrs.frozen
class SavingsSettings:
    """Everything ``expand.savings`` reads from the configuration."""

    pokok: PokokProduct = PokokProduct()
    wajib: WajibProduct = WajibProduct()
    sukarela: SukarelaProduct = SukarelaProduct()
    #: largest transfer proof accepted, in bytes
    proof_max_bytes: int = attrs.field(default=5_000_000, validator=_positive)
    #: file types accepted as proof, recognised by content
    proof_types: tuple[str, ...] = attrs.field(default=PROOF_TYPES, validator=_proof_types)
    #: may the person who recorded a transfer also verify it? (four eyes when false)
    verify_own_transfers: bool = False
    #: queue a receipt message for cash and payroll deposits too (transfers always get one)
    notify_deposits: bool = False
    #: deduct unpaid simpanan wajib from a leaving member's settlement
    deduct_arrears_on_leaving: bool = True
    #: account kind credited with wajib arrears deducted at leaving
    arrears_account: str = "equity.reserve"
    #: due items returned for reminders: due dates from this many days back ...
    reminder_lookback_days: int = attrs.field(default=92, validator=_not_negative)
    #: ... to this many days ahead of the reminder date
    reminder_lookahead_days: int = attrs.field(default=31, validator=_not_negative)

    def product(self, product: str) -> PokokProduct | WajibProduct | SukarelaProduct:
        """The settings of canonical product ``pokok``, ``wajib`` or ``sukarela``."""
        return getattr(self, product)

    def canonical(self, product: str) -> str | None:
        """``pokok``/``wajib``/``sukarela`` for a canonical name or a configured code."""
        text = (product or "").strip()
        if text.lower() in PRODUCTS:
            return text.lower()
        for name in PRODUCTS:
            if self.product(name).code.lower() == text.lower():
                return name
        return None
