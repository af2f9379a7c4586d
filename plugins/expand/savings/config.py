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


@attrs.frozen
class SukarelaProduct:
    """Simpanan sukarela: any amount, any time, withdrawable down to a minimum."""

    code: str = "sukarela"
    name: str = "Simpanan Sukarela"
    minimum_balance: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)


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
