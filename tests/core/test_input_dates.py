"""One date parser with plausible bounds per meaning.

Birth dates: not in the future, at most 120 years ago.  Business dates
(deposits, applications, reports, promotions): 50 years back to 10 years
ahead of today; ``past`` business dates (a deposit, a payment) not after
today.  ``0001-01-01`` and ``9999-12-31`` are refused wherever a date is typed,
naming the field, and nothing is written.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from input_support import cli, data_dump, make_deployment

from dyncrm.app import open_crm
from dyncrm.errors import ValidationError
from dyncrm.inputs import (
    BUSINESS_YEARS_AHEAD,
    BUSINESS_YEARS_BACK,
    MAX_AGE,
    date_bounds,
    parse_date,
)
from dyncrm_acquire import validate as v

TODAY = dt.date(2026, 3, 2)

CASES = [  # (typed, kind, accepted?)
    ("0001-01-01", "birth", False), ("9999-12-31", "birth", False),
    ("0001-01-01", "business", False), ("9999-12-31", "business", False),
    ("0001-01-01", "past", False), ("9999-12-31", "past", False),
    ("1905-01-01", "birth", False), ("1906-03-02", "birth", True),
    ("2026-03-03", "birth", False), ("1990-05-15", "birth", True),
    ("15-05-1990", "birth", True), ("15/05/1990", "birth", True),
    ("1976-03-01", "business", False), ("1976-03-02", "business", True),
    ("2036-03-02", "business", True), ("2036-03-03", "business", False),
    ("2026-03-02", "past", True), ("2026-03-03", "past", False),
    ("2026-02-30", "business", False), ("2026-13-01", "business", False),
    ("20260302", "business", False), ("\u0662\u0660\u0662\u0666-03-02", "business", False),
    ("2026-03-02\x00", "business", False), ("", "business", False),
]


@pytest.mark.parametrize(("typed", "kind", "accepted"), CASES)
def test_dates_are_checked_against_their_meaning(typed, kind, accepted) -> None:
    if accepted:
        day = parse_date(typed, field="date", kind=kind, today=TODAY)
        earliest, latest = date_bounds(kind, TODAY)
        assert earliest <= day <= latest
    else:
        with pytest.raises(ValidationError) as caught:
            parse_date(typed, field="date", kind=kind, today=TODAY)
        assert caught.value.field == "date"


def test_the_bounds() -> None:
    assert date_bounds("birth", TODAY) == (dt.date(2026 - MAX_AGE, 3, 2), TODAY)
    assert date_bounds("business", TODAY) == (dt.date(2026 - BUSINESS_YEARS_BACK, 3, 2),
                                              dt.date(2026 + BUSINESS_YEARS_AHEAD, 3, 2))
    assert date_bounds("business", dt.date(2028, 2, 29))[0] == dt.date(1978, 2, 28)
    assert date_bounds("business", dt.date(9995, 1, 1))[1] == dt.date(9999, 1, 1)


@given(st.dates(), st.sampled_from(["birth", "business", "past"]))
@settings(max_examples=300, deadline=None)
def test_any_date_is_accepted_exactly_when_it_is_within_the_bounds(day, kind) -> None:
    earliest, latest = date_bounds(kind, TODAY)
    try:
        assert parse_date(day.isoformat(), field="d", kind=kind, today=TODAY) == day
        assert earliest <= day <= latest
    except ValidationError:
        assert not earliest <= day <= latest


def test_birth_dates_in_applications(make_crm) -> None:
    for typed in ("0001-01-01", "9999-12-31", "1850-01-01"):
        with pytest.raises(ValidationError) as caught:
            v.date_of_birth(typed, on=TODAY, min_age=17)
        assert caught.value.field == "date_of_birth"
    assert v.date_of_birth("1990-05-15", on=TODAY, min_age=17) == dt.date(1990, 5, 15)


def test_the_cli_refuses_implausible_dates_and_writes_nothing(tmp_path) -> None:
    config = make_deployment(tmp_path)
    with open_crm(config) as crm:
        before = data_dump(crm)
    for args, message in (
        (("savings", "deposit", "XYZ-0001", "sukarela", "1000", "--method", "cash", "--ref",
          "KW-1", "--date", "0001-01-01"), "date: 0001-01-01 is not a plausible date"),
        (("savings", "deposit", "XYZ-0001", "sukarela", "1000", "--method", "cash", "--ref",
          "KW-1", "--date", "9999-12-31"), "date: 9999-12-31 is too far in the future"),
        (("loan", "apply", "XYZ-0001", "konsumtif", "1000000", "--term", "12", "--date",
          "0001-01-01"), "date: 0001-01-01"),
        (("member", "apply", "--full-name", "Budi Santoso", "--nik", "3201111505900002",
          "--date-of-birth", "0001-01-01", "--employee-number", "E-00001", "--department",
          "Produksi", "--email", "budi@example.org", "--mobile", "0812-0001-7890",
          "--address", "Jl. Merdeka 1, Bogor"), "date_of_birth: 0001-01-01 is not a plausible"),
    ):
        code, out, err = cli(config, *args, user="sekretaris" if args[0] == "member"
                             else "kasir")
        assert code == 1 and message in err, (args, out, err)
    with open_crm(config) as crm:
        assert data_dump(crm) == before


@given(st.text(max_size=20) | st.from_regex(r"\A[0-9/-]{6,12}\Z"))
@settings(max_examples=300, deadline=None)
def test_the_parser_never_raises_anything_but_validation_error(text) -> None:
    for kind in ("birth", "business", "past"):
        try:
            day = parse_date(text, field="date", kind=kind, today=TODAY)
        except ValidationError:
            continue
        earliest, latest = date_bounds(kind, TODAY)
        assert earliest <= day <= latest
