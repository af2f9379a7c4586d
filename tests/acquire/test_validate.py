"""Field checks of applications (no database) and referral codes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm.errors import ValidationError
from dyncrm_acquire import referrals, validate

TODAY = dt.date(2026, 3, 2)


def make_nik(province: int, born: dt.date, female: bool, serial: int = 1) -> str:
    day = born.day + (40 if female else 0)
    return f"{province:02d}0101{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


@given(province=st.sampled_from(sorted(validate.PROVINCES)),
       born=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2009, 1, 1)),
       female=st.booleans(), serial=st.integers(1, 9999))
@settings(max_examples=200, deadline=None)
def test_a_well_formed_nik_tells_birth_date_gender_and_province(province, born, female,
                                                                serial):
    facts = validate.nik(make_nik(province, born, female, serial), on=TODAY, date_of_birth=born)
    assert facts.birth_date == born
    assert facts.gender == ("female" if female else "male")
    assert facts.province == validate.PROVINCES[province]


def test_nik_century_is_inferred_without_a_date_of_birth():
    assert validate.nik("3201014508920003", on=TODAY).birth_date == dt.date(1992, 8, 5)
    assert validate.nik("3201010101050001", on=TODAY).birth_date == dt.date(2005, 1, 1)


@pytest.mark.parametrize("nik, message", [
    ("320101150590001", "exactly 16 digits"),
    ("32010115059000011", "exactly 16 digits"),
    ("3201011505900O01", "exactly 16 digits"),
    ("9901011505900001", "not an Indonesian province code"),
    ("2001011505900001", "not an Indonesian province code"),
    ("3200011505900001", "regency and district"),
    ("3201001505900001", "regency and district"),
    ("3201013205900001", "birth date DDMMYY"),
    ("3201017205900001", "birth date DDMMYY"),
    ("3201011513900001", "birth date DDMMYY"),
    ("3201013102900001", "not a possible birth date"),
    ("3201011505900000", "serial"),
])
def test_malformed_niks_are_refused_with_the_reason(nik, message):
    with pytest.raises(ValidationError, match=message) as err:
        validate.nik(nik, on=TODAY)
    assert err.value.field == "nik"


def test_nik_accepts_spaces_and_dots_as_people_type_them():
    assert validate.nik("32.01.01 150590 0001", on=TODAY).nik == "3201011505900001"


def test_women_add_forty_to_the_day():
    facts = validate.nik("3201015505900001", on=TODAY, date_of_birth=dt.date(1990, 5, 15))
    assert facts.gender == "female"
    with pytest.raises(ValidationError, match="does not match"):
        validate.nik("3201015505900001", on=TODAY, date_of_birth=dt.date(1990, 5, 16))


@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890",
                                   "812 3456 7890", "(0812) 3456.7890"])
def test_mobile_numbers_are_normalised(typed):
    assert validate.mobile(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["021-555-1234", "+1 812 3456 7890", "0812", "08123456789012",
                                   "0812-3456-78x0", "٠٨١٢٣٤٥٦٧٨٩٠"])
def test_other_numbers_are_not_mobiles(typed):
    with pytest.raises(ValidationError):
        validate.mobile(typed)


@given(st.from_regex(r"\A(\+62|62|0)?8[0-9]{8,11}\Z"))
@settings(max_examples=100, deadline=None)
def test_normalising_a_mobile_twice_changes_nothing(typed):
    once = validate.mobile(typed)
    assert validate.mobile(once) == once and once.startswith("+628")


def test_email_names_and_addresses():
    assert validate.email(" Budi@Example.COM ") == "budi@example.com"
    for bad in ("budi", "budi@", "budi@example", "a b@example.com", "x..y@example.com"):
        with pytest.raises(ValidationError):
            validate.email(bad)
    assert validate.full_name("  Drs.  H. Ahmad, S.E. ") == "Drs. H. Ahmad, S.E."
    assert validate.full_name("Ni Made Ayu") == "Ni Made Ayu"
    for bad in ("B", "R2D2", "<script>", "x" * 101, "..."):
        with pytest.raises(ValidationError):
            validate.full_name(bad)
    assert validate.address("Jl. Merdeka 1\nBogor") == "Jl. Merdeka 1, Bogor"
    assert validate.employee_number(" e-1001 ") == "E-1001"


def test_ages():
    assert validate.date_of_birth("2009-03-02", on=TODAY, min_age=17) == dt.date(2009, 3, 2)
    with pytest.raises(ValidationError, match="at least 17"):
        validate.date_of_birth("2009-03-03", on=TODAY, min_age=17)
    with pytest.raises(ValidationError, match="future"):
        validate.date_of_birth("2027-01-01", on=TODAY, min_age=17)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        validate.date_of_birth("15 Mei 1990", on=TODAY, min_age=17)


@given(st.integers(1, referrals.SPACE - 1))
@settings(max_examples=300, deadline=None)
def test_referral_codes_round_trip(member_id):
    code = referrals.referral_code(member_id)
    assert len(code) == 6 and set(code) <= set(referrals.ALPHABET)
    assert referrals.member_id_of(code.lower()) == member_id
    assert referrals.member_id_of(code[:3] + "-" + code[3:]) == member_id


@given(st.integers(1, 100_000), st.integers(0, 5), st.sampled_from(referrals.ALPHABET))
@settings(max_examples=300, deadline=None)
def test_a_mistyped_character_is_caught(member_id, position, char):
    code = referrals.referral_code(member_id)
    typo = code[:position] + char + code[position + 1:]
    if typo != code:
        with pytest.raises(ValidationError):
            referrals.member_id_of(typo)


def test_referral_codes_avoid_look_alikes_and_are_distinct():
    codes = {referrals.referral_code(i) for i in range(1, 5001)}
    assert len(codes) == 5000
    assert not any(c in code for code in codes for c in "01IO")
