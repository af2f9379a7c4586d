"""Exact money: ``Decimal`` amounts tagged with their currency, never ``float``.

Amounts are built through one constructor, :meth:`Money.of`, stored in the
database as integers in the currency's minor unit (:func:`to_minor` /
:func:`from_minor`) and split with :func:`allocate`, whose parts always sum to
the whole.  Parsing accepts what Indonesian users type: ``1.250.000``,
``1250000``, ``Rp 1.250.000,00``, ``Rp 50.000,-``.  Every typed amount, rate and
percentage goes through :func:`parse_amount` / :func:`parse_money` (with
:func:`check_amount`'s bounds), :func:`parse_rate` or :func:`parse_percent`;
:mod:`dyncrm.params` wraps them as click parameter types.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
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
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"cannot make an amount from {type(value).__name__}")
    if not result.is_finite():
        raise ValidationError(f"{value!r} is not a number")
    return result


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
    """Integer minor units of ``money``; refuses amounts finer than the currency allows
    and amounts too large for the database's BIGINT columns."""
    if not money.amount.is_finite():
        raise ValidationError(f"{money.amount} is not an amount")
    scaled = money.amount.scaleb(exponent)
    if abs(scaled) > BIGINT_MAX:
        raise ValidationError(f"{money.amount} {money.currency} is too large to be stored")
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


#: The largest integer the database's amount columns hold (SQLite INTEGER,
#: PostgreSQL and MariaDB BIGINT): no amount in minor units may exceed it.
BIGINT_MAX = 2**63 - 1

#: The largest amount (in major units) typed into a command or form unless the
#: deployment sets ``[organisation] max_amount``: Rp 1.000 triliun.
DEFAULT_MAX_AMOUNT = Decimal(10) ** 15

#: The largest rate in percent per period a loan may carry (``parse_rate``).
MAX_RATE_PERCENT = Decimal(100)

_MAX_TYPED = 64  # characters: no amount, rate or percent anyone types is longer
_EXPONENT_RE = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")
_NOT_FINITE_RE = re.compile(r"^[+-]?(nan|s?nan\d*|inf|infinity)$", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"^[+-]?[0-9][0-9.,]*$")
_PREFIX_RE = re.compile(r"^(rp\.?|idr)\s*", re.IGNORECASE)
_NO_CENTS_RE = re.compile(r"[.,]\s*[-\u2013\u2014]$")  # "50.000,-": no cents
#: Spaces people (and spreadsheets) put between digit groups.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\u2007\u200a")


def _typed_number(text: str, field: str, what: str) -> str:
    """The typed number without spaces, refusing exponents, NaN and infinities."""
    if not isinstance(text, str):
        raise TypeError(f"parse a {what} from a str")
    if len(text) > _MAX_TYPED:
        raise ValidationError(f"is not {what}: longer than {_MAX_TYPED} characters",
                              field=field)
    compact = text.strip().translate(_GROUP_SPACES)
    if _NOT_FINITE_RE.match(compact):
        raise ValidationError(f"{text!r} is not {what}; write digits", field=field)
    if _EXPONENT_RE.search(compact):
        raise ValidationError(f"{text!r}: write the number in full digits (exponent "
                              "notation such as 1e6 is not accepted)", field=field)
    return compact


def parse_amount(text: str, *, decimal_mark: str = ",", field: str = "amount") -> Decimal:
    """Parse an amount as people type it.

    With the Indonesian decimal mark ``,`` the thousands separator is ``.``:
    ``"1.250.000"``, ``"Rp 1.250.000,00"``, ``"Rp. 50.000,-"`` (``,-``: no
    cents) and ``"1250000"`` all mean what they say.  A single ``.`` followed
    by exactly three digits is a thousands separator, otherwise it is read as
    a decimal point too, so ``"12.5"`` is twelve and a half.  Digits are ASCII;
    exponent notation (``1e6``), ``NaN`` and infinities are refused, always
    with a :class:`~dyncrm.errors.ValidationError` naming ``field``.
    """
    compact = _typed_number(text, field, "an amount")
    cleaned = _PREFIX_RE.sub("", compact)
    cleaned = _NO_CENTS_RE.sub("", cleaned)
    if not _AMOUNT_RE.match(cleaned):
        raise ValidationError(f"{text!r} is not an amount", field=field)
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:]
    thousands = "." if decimal_mark == "," else ","
    if decimal_mark in cleaned:
        whole, _, frac = cleaned.rpartition(decimal_mark)
        if thousands in frac or not re.fullmatch(r"[0-9]+", frac):
            raise ValidationError(f"{text!r} is not an amount", field=field)
        groups = whole.split(thousands)
    else:
        groups, frac = cleaned.split(thousands), ""
        if len(groups) == 2 and len(groups[1]) != 3:
            # "12.5" typed with a point as decimal mark
            groups, frac = [groups[0]], groups[1]
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise ValidationError(f"{text!r} has misplaced thousands separators", field=field)
    digits = "".join(groups)
    if not re.fullmatch(r"[0-9]+", digits) or (frac and not re.fullmatch(r"[0-9]+", frac)):
        raise ValidationError(f"{text!r} is not an amount", field=field)
    return Decimal(f"{sign}{digits}.{frac}" if frac else f"{sign}{digits}")


def check_amount(money: Money, exponent: int, *, field: str = "amount",
                 maximum: Decimal | None = None) -> int:
    """The minor units of ``money``, refused unless it is storable and plausible.

    Refuses amounts finer than the currency's ``exponent`` allows, amounts
    whose minor units do not fit the database column (:data:`BIGINT_MAX`) and
    amounts above ``maximum`` (default :data:`DEFAULT_MAX_AMOUNT`) either way
    from zero.  Raises :class:`~dyncrm.errors.ValidationError` naming ``field``.
    """
    limit = DEFAULT_MAX_AMOUNT if maximum is None else maximum
    if not money.amount.is_finite():
        raise ValidationError(f"{money.amount} is not an amount", field=field)
    if abs(money.amount) > limit:
        raise ValidationError(
            f"{format_amount(money.amount.to_integral_value(), 0)} is more than the largest "
            f"amount accepted ({format_amount(limit.to_integral_value(), 0)} "
            f"{money.currency})", field=field)
    try:
        return to_minor(money, exponent)
    except ValidationError as exc:
        raise ValidationError(str(exc), field=field) from None


def parse_money(text: str | int | Decimal, currency: str, *, decimal_mark: str = ",",
                field: str = "amount", exponent: int | None = None,
                maximum: Decimal | None = None) -> Money:
    """``Money`` from typed text (see :func:`parse_amount`) or an int/Decimal.

    With ``exponent`` the amount is also checked by :func:`check_amount`
    (storable, within ``maximum``): what every command and form should do.
    """
    if isinstance(text, str):
        money = Money.of(parse_amount(text, decimal_mark=decimal_mark, field=field), currency)
    elif isinstance(text, Money):
        if text.currency != currency:
            raise ValidationError(f"must be in {currency}, not {text.currency}", field=field)
        money = text
    else:
        try:
            money = Money.of(text, currency)
        except ValidationError as exc:
            raise ValidationError(str(exc), field=field) from None
    if exponent is not None:
        check_amount(money, exponent, field=field, maximum=maximum)
    return money


def parse_percent(text: str | int | Decimal, *, field: str = "percent",
                  maximum: Decimal = Decimal(100), places: int = 6) -> Decimal:
    """A percentage as people type it: ``"12"``, ``"12%"``, ``"1,5"``, ``"1.5 %"``.

    Either ``,`` or ``.`` is the decimal mark (a percentage has no thousands);
    at most ``places`` decimals; from 0 to ``maximum`` (100 for a share of a
    whole).  Exponent notation, ``NaN``, infinities and negative numbers are
    refused with a :class:`~dyncrm.errors.ValidationError` naming ``field``.
    """
    if isinstance(text, bool | float):
        raise TypeError("a percentage is a str, int or Decimal")
    if isinstance(text, int | Decimal):
        value = Decimal(text)
        if not value.is_finite():
            raise ValidationError(f"{text} is not a percentage", field=field)
    else:
        compact = _typed_number(text, field, "a percentage")
        number = compact[:-1].rstrip() if compact.endswith("%") else compact
        if not re.fullmatch(r"[+-]?[0-9]+(?:[.,][0-9]+)?", number):
            raise ValidationError(f"{text!r} is not a percentage; write e.g. 12 or 1,5",
                                  field=field)
        value = Decimal(number.replace(",", "."))
    if value < 0:
        raise ValidationError(f"must not be negative, not {value:f}%", field=field)
    if value > maximum:
        raise ValidationError(f"{value:f}% is more than {maximum:f}%", field=field)
    if value != value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN):
        raise ValidationError(f"{value:f}%: at most {places} decimals", field=field)
    return value


def parse_rate(text: str | int | Decimal, *, field: str = "rate",
               maximum: Decimal = MAX_RATE_PERCENT) -> Decimal:
    """An interest rate in percent per period (see :func:`parse_percent`), 0 to ``maximum``."""
    return parse_percent(text, field=field, maximum=maximum)


def format_amount(amount: Decimal, exponent: int, *, decimal_mark: str = ",",
                  thousands: str = ".") -> str:
    """``1250000`` → ``"1.250.000"``; shows ``exponent`` decimals when above zero."""
    with localcontext() as ctx:  # enough digits for any amount, however large
        ctx.prec = max(ctx.prec, amount.adjusted() + exponent + 2)
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
