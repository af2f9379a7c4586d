"""Settings of ``expand.loans``: loan products, denda, limits and collectibility grades.

A deployment writes them under ``[plugins."expand.loans"]``, e.g.::

    [plugins."expand.loans".products.konsumtif]
    name = "Pinjaman Konsumtif"
    method = "flat"              # flat | declining (efektif) | annuity (anuitas)
    rate = "1"                   # percent, always with its unit
    rate_unit = "per_month"      # per_month | per_year
    term_min = 1
    term_max = 36
    due_day = 25
    fees = [{ name = "provisi", percent = "1", mode = "deducted" }]
    penalty = { kind = "percent_per_month", percent = "2", grace_days = 3 }
    limits = { max_amount = "20000000", max_savings_multiple = "3",
               max_deduction_share = "35", min_membership_months = 6,
               one_active_loan = true }
    payoff = { interest_months = 1 }
    installment_multiple = "100" # every installment but the last a multiple of Rp 100
    annuity_interest = "ipmt"    # ipmt (default) | outstanding  (annuity only)

Amounts and rates are strings or whole numbers (never floats) so they stay
exact.  Each loan copies its product's terms when it is applied for, so a later
change of the product does not alter loans already made.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from dyncrm.inputs import MAX_TERM_MONTHS
from dyncrm.money import MAX_RATE_PERCENT
from dyncrm_expand.loans.schedule import (
    ANNUITY_INTEREST,
    PENALTY_KINDS,
    RATE_UNITS,
    Row,
    canonical_method,
    monthly_rate,
    schedule,
)

FEE_MODES = ("deducted", "added")
SAVINGS_PRODUCTS = ("pokok", "wajib", "sukarela")


def _not_negative(instance, attribute, value) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


def _positive(instance, attribute, value) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be above zero, not {value}")


def _one_of(choices: tuple[str, ...]):
    def check(instance, attribute, value) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, "
                             f"not {value!r}")
    return check


def _day_of_month(instance, attribute, value) -> None:
    if not 1 <= value <= 31:
        raise ValueError(f"{attribute.name} must be a day of the month (1-31), not {value}")


def _percent(instance, attribute, value) -> None:
    if value is not None and not 0 <= value <= 100:
        raise ValueError(f"{attribute.name} is a percentage (0-100), not {value}")


def _rate(instance, attribute, value) -> None:
    if not 0 <= value <= MAX_RATE_PERCENT:
        raise ValueError(f"{attribute.name} is a percentage per period (0-{MAX_RATE_PERCENT}), "
                         f"not {value}")


def _term(instance, attribute, value) -> None:
    if not 1 <= value <= MAX_TERM_MONTHS:
        raise ValueError(f"{attribute.name} must be 1 to {MAX_TERM_MONTHS} months, not {value}")


def _method(value: str) -> str:
    return canonical_method(value)


@attrs.frozen
class FeeRule:
    """A fee charged when the loan is disbursed (provisi, administrasi, insurance...).

    Exactly one of ``percent`` (of the amount applied for) and ``fixed`` is given.
    ``deducted``: taken from the amount paid out; ``added``: added to the principal.
    """

    name: str
    percent: Decimal | None = attrs.field(default=None, validator=_percent)
    fixed: Decimal | None = attrs.field(default=None, validator=_not_negative)
    mode: str = attrs.field(default="deducted", validator=_one_of(FEE_MODES))

    def __attrs_post_init__(self) -> None:
        if (self.percent is None) == (self.fixed is None):
            raise ValueError(f"fee {self.name!r} needs exactly one of percent and fixed")


@attrs.frozen
class PenaltyRule:
    """Denda on overdue installments; never compounding (never charged on denda).

    ``percent_per_month``: ``percent`` % of the installment's unpaid principal and
    interest for each started month late.  ``fixed_per_day``: ``fixed`` per day
    late.  ``grace_days`` late days are free; ``max_periods`` caps the months/days
    charged per installment.
    """

    kind: str = attrs.field(default="none", validator=_one_of(PENALTY_KINDS))
    percent: Decimal = attrs.field(default=Decimal(0), validator=_percent)
    fixed: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)
    grace_days: int = attrs.field(default=0, validator=_not_negative)
    max_periods: int | None = attrs.field(default=None, validator=_positive)


@attrs.frozen
class Limits:
    """Eligibility limits; each is off when left out.

    ``max_savings_multiple``: the amount may be at most this many times the
    member's savings in ``savings_products``.  ``max_deduction_share``: all
    monthly deductions together (wajib, installments, this loan's installment)
    may take at most this percentage of take-home pay.
    """

    max_amount: Decimal | None = attrs.field(default=None, validator=_positive)
    max_savings_multiple: Decimal | None = attrs.field(default=None, validator=_positive)
    savings_products: tuple[str, ...] = SAVINGS_PRODUCTS
    max_deduction_share: Decimal | None = attrs.field(default=None, validator=_percent)
    min_membership_months: int | None = attrs.field(default=None, validator=_not_negative)
    one_active_loan: bool = False

    def __attrs_post_init__(self) -> None:
        unknown = set(self.savings_products) - set(SAVINGS_PRODUCTS)
        if unknown:
            raise ValueError(f"savings_products must be some of {', '.join(SAVINGS_PRODUCTS)}")


@attrs.frozen
class PayoffRule:
    """Early payoff (pelunasan dipercepat): remaining principal plus ``interest_months``
    months of interest (never more than the interest still scheduled)."""

    interest_months: int = attrs.field(default=1, validator=_not_negative)


@attrs.frozen
class LoanProduct:
    """One loan product as configured."""

    name: str
    method: str = attrs.field(converter=_method)
    rate: Decimal = attrs.field(validator=_rate)
    rate_unit: str = attrs.field(validator=_one_of(RATE_UNITS))
    term_min: int = attrs.field(default=1, validator=_term)
    term_max: int = attrs.field(default=12, validator=_term)
    due_day: int = attrs.field(default=25, validator=_day_of_month)
    fees: tuple[FeeRule, ...] = ()
    penalty: PenaltyRule = PenaltyRule()
    limits: Limits = Limits()
    payoff: PayoffRule = PayoffRule()
    description: str = ""
    #: every installment but the last is a multiple of this amount (e.g. 100, 500,
    #: 1000 rupiah); none: whole minor units (Fineract's "installment in multiples of")
    installment_multiple: Decimal | None = attrs.field(default=None, validator=_positive)
    #: annuities: ``ipmt`` = interest on the exact schedule's balance (spreadsheet
    #: IPMT, the default), ``outstanding`` = on the balance actually owed (Fineract)
    annuity_interest: str = attrs.field(default="ipmt", validator=_one_of(ANNUITY_INTEREST))

    def __attrs_post_init__(self) -> None:
        if self.term_min > self.term_max:
            raise ValueError(f"term_min ({self.term_min}) is above term_max ({self.term_max})")

    @property
    def monthly_rate(self) -> Fraction:
        """The monthly rate as an exact fraction."""
        return monthly_rate(self.rate, self.rate_unit)

    def terms(self) -> dict[str, Any]:
        """The product's terms as JSON, copied onto each loan at application."""
        return terms_to_json(self)

    def multiple_units(self, exponent: int) -> int:
        """The installment multiple in minor units of a currency with ``exponent``
        decimals (1 when none is set).

        :raises ValidationError: when the multiple is not a whole number of minor units.
        """
        from dyncrm.errors import ValidationError

        if self.installment_multiple is None:
            return 1
        units = self.installment_multiple * 10 ** exponent
        if units != units.to_integral_value() or units < 1:
            raise ValidationError(f"installment_multiple {self.installment_multiple} of loan "
                                  f"product {self.name!r} is not a whole number of the "
                                  "currency's smallest unit")
        return int(units)

    def schedule(self, principal: int, term: int, exponent: int) -> list[Row]:
        """The installments of a loan of ``principal`` minor units over ``term`` months
        on these terms (method, rate, installment multiple, annuity interest)."""
        return schedule(principal, self.monthly_rate, term, self.method,
                        multiple=self.multiple_units(exponent),
                        annuity_interest=self.annuity_interest)


@attrs.frozen
class Grade:
    """A collectibility grade from ``min_days`` past due upward."""

    name: str
    min_days: int = attrs.field(validator=_not_negative)


#: Kolektibilitas as Indonesian lenders grade loans (days past due).
DEFAULT_GRADES: tuple[Grade, ...] = (
    Grade("lancar", 0),
    Grade("dalam perhatian khusus", 1),
    Grade("kurang lancar", 91),
    Grade("diragukan", 121),
    Grade("macet", 181),
)


def _grades(instance, attribute, value) -> None:
    if not value:
        raise ValueError("collectibility needs at least one grade")
    days = [g.min_days for g in value]
    if days[0] != 0 or days != sorted(set(days)):
        raise ValueError("collectibility grades must start at min_days = 0 and rise strictly")


@attrs.frozen
class LoansSettings:
    """Everything ``expand.loans`` reads from the configuration."""

    products: dict[str, LoanProduct] = attrs.field(factory=dict)
    collectibility: tuple[Grade, ...] = attrs.field(default=DEFAULT_GRADES, validator=_grades)
    #: due items for reminders: unpaid installments due up to this many days ahead
    reminder_lookahead_days: int = attrs.field(default=14, validator=_not_negative)
    #: account kind debited when a loan is written off
    write_off_account: str = "expense.loan_writeoff"

    def product(self, code: str) -> LoanProduct:
        """The product ``code`` (raises ``KeyError``)."""
        return self.products[code]

    def grade(self, days_past_due: int) -> str:
        """The collectibility grade for ``days_past_due``."""
        name = self.collectibility[0].name
        for g in self.collectibility:
            if days_past_due >= g.min_days:
                name = g.name
        return name


def terms_to_json(product: LoanProduct) -> dict[str, Any]:
    """JSON-able snapshot of a product's terms (Decimals as strings)."""
    def conv(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple):
            return [conv(v) for v in value]
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        return value
    return conv(attrs.asdict(product, recurse=True))


def terms_from_json(data: dict[str, Any]) -> LoanProduct:
    """Rebuild the :class:`LoanProduct` a loan copied at application."""
    def dec(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))
    limits = data.get("limits", {})
    return LoanProduct(
        name=data["name"], method=data["method"], rate=Decimal(data["rate"]),
        rate_unit=data["rate_unit"], term_min=data["term_min"], term_max=data["term_max"],
        due_day=data["due_day"], description=data.get("description", ""),
        fees=tuple(FeeRule(name=f["name"], percent=dec(f.get("percent")),
                           fixed=dec(f.get("fixed")), mode=f["mode"])
                   for f in data.get("fees", [])),
        penalty=PenaltyRule(kind=data["penalty"]["kind"],
                            percent=Decimal(data["penalty"]["percent"]),
                            fixed=Decimal(data["penalty"]["fixed"]),
                            grace_days=data["penalty"]["grace_days"],
                            max_periods=data["penalty"].get("max_periods")),
        limits=Limits(max_amount=dec(limits.get("max_amount")),
                      max_savings_multiple=dec(limits.get("max_savings_multiple")),
                      savings_products=tuple(limits.get("savings_products", SAVINGS_PRODUCTS)),
                      max_deduction_share=dec(limits.get("max_deduction_share")),
                      min_membership_months=limits.get("min_membership_months"),
                      one_active_loan=bool(limits.get("one_active_loan", False))),
        payoff=PayoffRule(interest_months=data.get("payoff", {}).get("interest_months", 1)),
        # terms copied before these settings existed keep the schedule they were shown
        installment_multiple=dec(data.get("installment_multiple")),
        annuity_interest=data.get("annuity_interest", "ipmt"),
    )


def fee_amounts(product: LoanProduct, amount_units: int,
                exponent: int) -> list[tuple[str, str, int]]:
    """``(name, mode, minor units)`` of each fee on a loan of ``amount_units``.

    Percent fees are rounded half-even to whole minor units.
    """
    out = []
    for fee in product.fees:
        if fee.percent is not None:
            units = round(Fraction(fee.percent) / 100 * amount_units)
        else:
            units = round(Fraction(fee.fixed) * 10 ** exponent)
        out.append((fee.name, fee.mode, units))
    return out
