"""Amounts, rates, percentages and terms: one parser each, bounded, never a crash.

Refused: amounts beyond the BIGINT column or the configured maximum, NaN,
infinities, exponent notation (for amounts and rates alike), a rate above
100 %, a percent of a whole above 100, a term of 100,000 months.  Accepted
and normalised: ``Rp 50.000,-``, ``12%``.  Through the CLI a refusal exits 1
naming the field and leaves the database as it was.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from input_support import cli, data_dump, make_deployment

from dyncrm.app import open_crm
from dyncrm.errors import ValidationError
from dyncrm.inputs import MAX_TERM_MONTHS, parse_term
from dyncrm.money import (
    BIGINT_MAX,
    DEFAULT_MAX_AMOUNT,
    Money,
    check_amount,
    format_amount,
    parse_amount,
    parse_money,
    parse_percent,
    parse_rate,
    to_minor,
)

ACCEPTED_AMOUNTS = {
    "Rp 50.000,-": 50_000, "Rp. 50.000,-": 50_000, "50.000,-": 50_000, "Rp50.000": 50_000,
    "1.250.000": 1_250_000, "Rp 1.250.000,00": 1_250_000, "1250000": 1_250_000,
    "IDR 75.000": 75_000, "Rp\u00a01.000": 1_000, "1\u202f000\u202f000": 1_000_000,
    " 7 ": 7, "+5": 5, "12,5": Decimal("12.5"),
}
REFUSED_AMOUNTS = {
    "1e6": "exponent notation", "1E6": "exponent notation", "2.5e3": "exponent notation",
    "1e400": "exponent notation", "NaN": "is not an amount", "nan": "is not an amount",
    "Infinity": "is not an amount", "-inf": "is not an amount", "sNaN": "is not an amount",
    "\u00b2": "is not an amount", "\uff11\uff12": "is not an amount",
    "\u0661\u0662\u0663": "is not an amount", "1.2.3": "misplaced thousands",
    "": "is not an amount", "Rp": "is not an amount", "12 ribu": "is not an amount",
    "9" * 70: "longer than 64 characters",
}


@pytest.mark.parametrize("text", sorted(ACCEPTED_AMOUNTS))
def test_amounts_typed_the_indonesian_way_are_accepted(text) -> None:
    assert parse_amount(text) == ACCEPTED_AMOUNTS[text]


@pytest.mark.parametrize("text", sorted(REFUSED_AMOUNTS))
def test_amounts_that_are_no_amounts_are_refused_naming_the_field(text) -> None:
    with pytest.raises(ValidationError, match=REFUSED_AMOUNTS[text]) as caught:
        parse_amount(text, field="jumlah")
    assert caught.value.field == "jumlah"


@pytest.mark.parametrize("text", ["99999999999999999999999", "1.000.000.000.000.001",
                                  str(BIGINT_MAX + 1), "-" + str(BIGINT_MAX + 1)])
def test_amounts_beyond_the_bound_are_refused_before_the_database(text) -> None:
    with pytest.raises(ValidationError, match="more than the largest amount") as caught:
        parse_money(text, "IDR", exponent=0)
    assert caught.value.field == "amount"


def test_the_bound_is_configurable_and_the_column_is_the_last_word() -> None:
    assert parse_money("Rp 5.000.000", "IDR", exponent=0, maximum=Decimal(5_000_000))
    with pytest.raises(ValidationError, match="more than the largest amount"):
        parse_money("Rp 5.000.001", "IDR", exponent=0, maximum=Decimal(5_000_000))
    with pytest.raises(ValidationError, match="too large to be stored"):
        check_amount(Money.of(10**17, "IDR"), 2, maximum=Decimal(10**30))
    with pytest.raises(ValidationError, match="too large to be stored"):
        to_minor(Money.of(10**19, "IDR"), 0)
    assert to_minor(Money.of(BIGINT_MAX, "IDR"), 0) == BIGINT_MAX
    with pytest.raises(ValidationError, match="not a number"):
        Money.of(Decimal("NaN"), "IDR")
    with pytest.raises(ValidationError, match="not a number"):
        Money.of("Infinity", "IDR")


ACCEPTED_RATES = {"12%": Decimal(12), "12 %": Decimal(12), "1,5": Decimal("1.5"),
                  "1.5%": Decimal("1.5"), "0": Decimal(0), "100": Decimal(100),
                  "0,125": Decimal("0.125")}
REFUSED_RATES = {"NaN": "is not a percentage", "Infinity": "is not a percentage",
                 "1e400": "exponent notation", "1e2": "exponent notation",
                 "-1": "must not be negative", "101": "more than 100%",
                 "1000": "more than 100%", "1 persen": "is not a percentage",
                 "0,0000001": "at most 6 decimals", "1.000,5": "is not a percentage"}


@pytest.mark.parametrize("text", sorted(ACCEPTED_RATES))
def test_rates_and_percentages_as_people_type_them(text) -> None:
    assert parse_rate(text) == ACCEPTED_RATES[text]
    assert parse_percent(text) == ACCEPTED_RATES[text]


@pytest.mark.parametrize("text", sorted(REFUSED_RATES))
def test_rates_that_are_no_rates_are_refused(text) -> None:
    with pytest.raises(ValidationError, match=REFUSED_RATES[text]) as caught:
        parse_rate(text)
    assert caught.value.field == "rate"


def test_a_percent_of_a_whole_stops_at_100() -> None:
    assert parse_percent("100%", field="share") == 100
    with pytest.raises(ValidationError, match=r"100\.5% is more than 100%"):
        parse_percent("100,5", field="share")
    assert parse_percent("250", maximum=Decimal(1000)) == 250


@pytest.mark.parametrize("value", ["100000", "0", "-3", "12.5", "abc", "", "6" * 30])
def test_terms_outside_1_to_600_months_are_refused(value) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_term(value)
    assert caught.value.field == "term"
    assert parse_term(str(MAX_TERM_MONTHS)) == MAX_TERM_MONTHS


# --- properties -----------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=int(DEFAULT_MAX_AMOUNT)), st.booleans(),
       st.sampled_from(["", "Rp ", "Rp. ", "IDR "]), st.sampled_from(["", ",-", ",00"]))
@settings(max_examples=300, deadline=None)
def test_any_valid_amount_round_trips_exactly(units, grouped, prefix, suffix) -> None:
    body = format_amount(Decimal(units), 0) if grouped else str(units)
    money = parse_money(prefix + body + suffix, "IDR", exponent=0)
    assert to_minor(money, 0) == units


@given(st.text(max_size=40) | st.from_regex(r"\A[-+]?[0-9.,eE%\s]{0,30}\Z"))
@settings(max_examples=400, deadline=None)
def test_the_parsers_never_raise_anything_but_validation_error(text) -> None:
    for parse in (lambda t: parse_money(t, "IDR", exponent=0), parse_rate, parse_percent,
                  parse_term):
        with contextlib.suppress(ValidationError):
            parse(text)


# --- through the command line ----------------------------------------------------------


@pytest.fixture
def deployment(tmp_path):
    return make_deployment(tmp_path)


def test_the_cli_refuses_what_crashed_and_accepts_rupiah_with_a_dash(deployment) -> None:
    with open_crm(deployment) as crm:
        before = data_dump(crm)
    cases = [
        (("savings", "deposit", "XYZ-0001", "sukarela", "99999999999999999999999", "--method",
          "cash", "--ref", "KW-1"), "amount: 99.999.999.999.999.999.999.999 is more than"),
        (("savings", "deposit", "XYZ-0001", "sukarela", "1e6", "--method", "cash", "--ref",
          "KW-1"), "amount: '1e6': write the number in full digits"),
        (("savings", "withdraw", "XYZ-0001", "NaN", "--ref", "KW-2"), "amount: 'NaN'"),
        (("loan", "simulate", "--amount", "1e6", "--term", "12", "--method", "flat",
          "--rate", "1"), "amount: '1e6'"),
        (("loan", "simulate", "--amount", "1000000", "--term", "12", "--method", "flat",
          "--rate", "1e2"), "rate: '1e2': write the number in full digits"),
        (("loan", "simulate", "--amount", "1000000", "--term", "12", "--method", "flat",
          "--rate", "NaN"), "rate: 'NaN'"),
        (("loan", "simulate", "--amount", "1000000", "--term", "12", "--method", "flat",
          "--rate", "Infinity"), "rate: 'Infinity'"),
        (("loan", "simulate", "--amount", "1000000", "--term", "12", "--method", "flat",
          "--rate", "1e400"), "rate: '1e400'"),
        (("loan", "simulate", "--amount", "1000000", "--term", "100000", "--method", "flat",
          "--rate", "1"), "term: must be from 1 to 600, not 100.000"),
        (("loan", "apply", "XYZ-0001", "konsumtif", "Rp 5.000.000", "--term", "100000"),
         "term: must be from 1 to 600"),
        (("loan", "apply", "XYZ-0001", "konsumtif", "1" + "0" * 25, "--term", "12"),
         "amount:"),
    ]
    for args, message in cases:
        code, out, err = cli(deployment, *args)
        assert code == 1, (args, out, err)
        assert message in err, (args, err)
        assert "Traceback" not in err and "bug" not in err and "Plugin error" not in err
    with open_crm(deployment) as crm:
        assert data_dump(crm) == before
    code, out, err = cli(deployment, "loan", "simulate", "--amount", "Rp 1.000.000,-",
                         "--term", "12", "--method", "flat", "--rate", "1,5%")
    assert code == 0 and "Rp 1.000.000 over 12 months, flat, 1.5%" in out, err
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela",
                         "Rp 50.000,-", "--method", "cash", "--ref", "KW-3")
    assert code == 0 and "Rp 50.000" in out, err
