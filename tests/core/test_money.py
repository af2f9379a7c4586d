"""Money: exact construction, arithmetic, parsing, formatting and allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyncrm.errors import CurrencyMismatchError, ValidationError
from dyncrm.money import (
    Money,
    allocate,
    format_amount,
    format_money,
    from_minor,
    parse_amount,
    parse_money,
    to_minor,
)


def test_money_refuses_float() -> None:
    with pytest.raises(TypeError, match="never built from float"):
        Money.of(1.5, "IDR")


def test_money_refuses_bad_currency() -> None:
    with pytest.raises(ValidationError, match="currency"):
        Money.of(1, "rupiah")


def test_arithmetic_refuses_mixed_currencies() -> None:
    with pytest.raises(CurrencyMismatchError, match="IDR and USD"):
        Money.of(1, "IDR") + Money.of(1, "USD")


@pytest.mark.parametrize(("text", "expected"), [
    ("1.250.000", Decimal(1250000)),
    ("1250000", Decimal(1250000)),
    ("Rp 1.250.000,00", Decimal("1250000.00")),
    ("Rp1.250.000", Decimal(1250000)),
    ("IDR 50.000", Decimal(50000)),
    ("12,5", Decimal("12.5")),
    ("12.5", Decimal("12.5")),
    ("-75.000", Decimal(-75000)),
])
def test_parse_amount_accepts_what_people_type(text: str, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.25.000", "1,2,3", "Rp", "1.2345.000", "--5"])
def test_parse_amount_refuses_garbage(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_amount(text)


def test_to_minor_refuses_excess_precision() -> None:
    with pytest.raises(ValidationError, match="more decimals"):
        to_minor(Money.of("10.5", "IDR"), 0)
    assert to_minor(Money.of("10.50", "USD"), 2) == 1050


def test_format_money_indonesian() -> None:
    assert format_money(Money.of(1250000, "IDR"), 0) == "Rp 1.250.000"
    assert format_money(Money.of(-5000, "IDR"), 0) == "-Rp 5.000"
    assert format_money(Money.of("1234.5", "USD"), 2, decimal_mark=".", thousands=",") == \
        "USD 1,234.50"


amounts = st.integers(min_value=-10**15, max_value=10**15)


@given(units=amounts, exponent=st.integers(min_value=0, max_value=4))
def test_minor_units_round_trip(units: int, exponent: int) -> None:
    assert to_minor(from_minor(units, "IDR", exponent), exponent) == units


@given(units=amounts, exponent=st.integers(min_value=0, max_value=3))
def test_format_then_parse_round_trips(units: int, exponent: int) -> None:
    money = from_minor(units, "IDR", exponent)
    text = format_amount(money.amount, exponent)
    assert parse_money(text, "IDR").amount == money.amount


@given(
    total=st.integers(min_value=-10**12, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40)
    .filter(lambda ws: sum(ws) > 0),
)
def test_allocate_parts_sum_exactly_and_stay_within_one_unit(total: int, weights: list[int]
                                                             ) -> None:
    parts = allocate(Money.of(total, "IDR"), weights, 0)
    assert sum(to_minor(p, 0) for p in parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total) * weight / sum(weights)
        assert abs(Fraction(to_minor(part, 0)) - exact) < 1
        if weight == 0:
            assert to_minor(part, 0) == 0


def test_allocate_is_stable_on_ties() -> None:
    parts = allocate(Money.of(10, "IDR"), [1, 1, 1], 0)
    assert [to_minor(p, 0) for p in parts] == [4, 3, 3]


def test_allocate_refuses_zero_and_negative_weights() -> None:
    with pytest.raises(ValidationError, match="all zero"):
        allocate(Money.of(10, "IDR"), [0, 0], 0)
    with pytest.raises(ValidationError, match="negative"):
        allocate(Money.of(10, "IDR"), [1, -1], 0)
    with pytest.raises(TypeError):
        allocate(Money.of(10, "IDR"), [0.5, 0.5], 0)


@given(a=amounts, b=amounts)
def test_addition_commutes_and_subtraction_inverts(a: int, b: int) -> None:
    x, y = Money.of(a, "IDR"), Money.of(b, "IDR")
    assert x + y == y + x
    assert (x + y) - y == x
