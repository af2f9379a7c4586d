"""Exact money: ``Decimal`` amounts tagged with their currency, never ``float``.

Amounts are built through one constructor, :meth:`Money.of`, stored in the
database as integers in the currency's minor unit (:func:`to_minor` /
:func:`from_minor`) and split with :func:`allocate`, whose parts always sum to
the whole.  Parsing accepts what Indonesian users type: ``1.250.000``,
``1250000``, ``Rp 1.250.000,00``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction

import attrs

from dyncrm.errors import CurrencyMismatchError, ValidationError

#: ISO 4217 minor-unit exponents for the currencies dyncrm has met so far.
#: A deployment overrides them in config (rupiah is kept whole by most cooperatives).
DEFAULT_EXPONENTS: dict[str, int] = {
    "IDR": 2,
    "USD": 2,
    "EUR": 2,
    "MYR": 2,
    "SGD": 2,
    "PHP": 2,
    "JPY": 0,
    "POINTS": 0,
}

POINTS = "POINTS"


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never built from float; pass a str, int or Decimal")
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not a number") from None
    raise TypeError(f"cannot make an amount from {type(value).__name__}")


@attrs.frozen(order=False)
class Money:
    """An exact amount of one currency (or of reward points, currency ``POINTS``)."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str) -> Money:
        """Build an amount from ``str``, ``int`` or ``Decimal``; ``float`` raises ``TypeError``."""
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}|POINTS", currency):
            raise ValidationError(f"{currency!r} is not a currency code", field="currency")
        return cls(_to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """The zero amount of ``currency``."""
        return cls(Decimal(0), currency)

    def _check(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation)
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._check(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other, "subtract").amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float | Money | bool):
            raise TypeError("multiply Money by an int or Decimal")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other, "compare").amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    def quantize(self, exponent: int) -> Money:
        """Round half-even to ``exponent`` decimal places (a boundary operation)."""
        return Money(self.amount.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_EVEN),
                     self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def exponent_of(currency: str, exponents: dict[str, int] | None = None) -> int:
    """Minor-unit exponent of ``currency``, from ``exponents`` first, then ISO defaults."""
    if exponents and currency in exponents:
        return exponents[currency]
    try:
        return DEFAULT_EXPONENTS[currency]
    except KeyError:
        raise ValidationError(
            f"unknown currency {currency!r}; set its exponent in config") from None


def to_minor(money: Money, exponent: int) -> int:
    """Integer minor units of ``money``; refuses amounts finer than the currency allows."""
    scaled = money.amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{money.amount} {money.currency} has more decimals than the currency's "
            f"{exponent} allow"
        )
    return int(scaled)


def from_minor(units: int, currency: str, exponent: int) -> Money:
    """The amount that ``units`` minor units of ``currency`` stand for."""
    if not isinstance(units, int) or isinstance(units, bool):
        raise TypeError("minor units are an int")
    return Money(Decimal(units).scaleb(-exponent), currency)


_AMOUNT_RE = re.compile(r"^[+-]?[\d.,\s]+$")


def parse_amount(text: str, *, decimal_mark: str = ",") -> Decimal:
    """Parse an amount as people type it.

    With the Indonesian decimal mark ``,`` the thousands separator is ``.``:
    ``"1.250.000"``, ``"Rp 1.250.000,00"`` and ``"1250000"`` all mean one million
    two hundred fifty thousand.  A single ``.`` followed by exactly three digits
    is a thousands separator, otherwise it is read as a decimal point too, so
    ``"12.5"`` is twelve and a half.
    """
    if not isinstance(text, str):
        raise TypeError("parse_amount takes a str")
    raw = text.strip()
    cleaned = re.sub(r"^(rp\.?|idr)\s*", "", raw, flags=re.IGNORECASE).replace(" ", "")
    cleaned = cleaned.replace("\u00a0", "")
    if not cleaned or not _AMOUNT_RE.match(cleaned):
        raise ValidationError(f"{text!r} is not an amount")
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:]
    thousands = "." if decimal_mark == "," else ","
    if decimal_mark in cleaned:
        whole, _, frac = cleaned.rpartition(decimal_mark)
        if thousands in frac or not frac.isdigit():
            raise ValidationError(f"{text!r} is not an amount")
        groups = whole.split(thousands)
    else:
        groups, frac = cleaned.split(thousands), ""
        if len(groups) == 2 and len(groups[1]) != 3:
            # "12.5" typed with a point as decimal mark
            groups, frac = [groups[0]], groups[1]
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise ValidationError(f"{text!r} has misplaced thousands separators")
    digits = "".join(groups)
    if not digits.isdigit():
        raise ValidationError(f"{text!r} is not an amount")
    return Decimal(f"{sign}{digits}.{frac}" if frac else f"{sign}{digits}")


def parse_money(text: str | int | Decimal, currency: str, *, decimal_mark: str = ",") -> Money:
    """``Money`` from typed text (see :func:`parse_amount`) or an int/Decimal."""
    if isinstance(text, str):
        return Money.of(parse_amount(text, decimal_mark=decimal_mark), currency)
    return Money.of(text, currency)


def format_amount(amount: Decimal, exponent: int, *, decimal_mark: str = ",",
                  thousands: str = ".") -> str:
    """``1250000`` → ``"1.250.000"``; shows ``exponent`` decimals when above zero."""
    q = amount.quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_EVEN)
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", thousands)
    return f"{sign}{grouped}{decimal_mark + frac if exponent > 0 else ''}"


def format_money(money: Money, exponent: int, *, symbol: str | None = None,
                 decimal_mark: str = ",", thousands: str = ".") -> str:
    """Human format, e.g. ``Rp 1.250.000`` for IDR with exponent 0."""
    text = format_amount(money.amount, exponent, decimal_mark=decimal_mark, thousands=thousands)
    if symbol is None:
        symbol = {"IDR": "Rp", "POINTS": "poin"}.get(money.currency, money.currency)
    if money.currency == POINTS:
        return f"{text} {symbol}"
    if text.startswith("-"):
        return f"-{symbol} {text[1:]}"
    return f"{symbol} {text}"


def allocate(
    total: Money, weights: Sequence[int | Decimal | Fraction], exponent: int
) -> list[Money]:
    """Split ``total`` in proportion to ``weights``, exact to the minor unit.

    Largest-remainder method: every part gets the floor of its exact share, the
    leftover minor units go one each to the largest remainders, ties broken by
    position (earlier first), so the result is stable and the parts sum to
    ``total`` exactly.  Each part is within one minor unit of its exact share.
    All-zero weights are refused: there is nothing to split by.
    """
    if not weights:
        raise ValidationError("allocate needs at least one weight")
    if any(isinstance(w, float) for w in weights):
        raise TypeError("weights are int, Decimal or Fraction, never float")
    ws = [Fraction(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValidationError("weights must not be negative")
    weight_sum = sum(ws)
    if weight_sum == 0:
        raise ValidationError("cannot allocate by weights that are all zero")
    units = to_minor(total, exponent)
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [Fraction(units) * w / weight_sum for w in ws]
    floors = [e.numerator // e.denominator for e in exact]
    leftover = units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_minor(sign * f, total.currency, exponent) for f in floors]


def round_down(amount: Decimal, exponent: int) -> Decimal:
    """Truncate toward minus infinity to ``exponent`` decimals."""
    return amount.quantize(Decimal(1).scaleb(-exponent), ROUND_FLOOR)
