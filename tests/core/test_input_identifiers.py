"""Identifiers are ASCII where they are meant to be and never change under case mapping.

``ı123`` would upper-case to ``I123`` and ``ß1`` to ``SS1``: employee numbers,
user names, referral codes, ticket numbers and references refuse them (or
find nothing) instead.  ASCII typed in either case is accepted and stored in
the identifier's case.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from input_support import cli, data_dump, make_deployment

from dyncrm.app import open_crm
from dyncrm.errors import NotFoundError, ValidationError
from dyncrm.inputs import identifier, reference
from dyncrm_acquire import referrals
from dyncrm_acquire import validate as v

ACCEPTED = {"e-00001": "E-00001", " XYZ 10005 ": "XYZ10005", "hr/2026.7": "HR/2026.7",
            "\u212a1": "K1"}  # the Kelvin sign is canonically K: NFC, not a case mapping
REFUSED = {
    "dotless i": "\u0131123", "sharp s": "\u00df1", "long s": "\u017f1",
    "dotted I": "\u0130123", "fullwidth": "\uff25\uff11", "Greek": "\u03a3\u03a3",
    "ligature": "\ufb011", "Arabic-Indic digits": "\u0661\u0662", "ESC": "E1\x1b",
    "empty": "  ", "leading dash": "-E1", "underscore": "E_1", "33 characters": "E" * 33,
}


@pytest.mark.parametrize("typed", sorted(ACCEPTED))
def test_ascii_identifiers_are_accepted_in_their_case(typed) -> None:
    assert v.employee_number(typed) == ACCEPTED[typed]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_identifiers_that_case_mapping_would_change_are_refused(case) -> None:
    with pytest.raises(ValidationError) as caught:
        v.employee_number(REFUSED[case])
    assert caught.value.field == "employee_number"
    if case in ("dotless i", "sharp s", "long s", "dotted I"):
        assert "would change under upper- or lower-casing" in str(caught.value)


@given(st.text(max_size=40))
@settings(max_examples=400, deadline=None)
def test_an_accepted_identifier_is_stable_under_case_mapping(text) -> None:
    for case in ("upper", "lower", None):
        try:
            result = identifier(text, field="code", case=case)
        except ValidationError:
            continue
        assert result.isascii() and len(result) <= 32
        assert result.upper().lower() == result.lower() and len(result.upper()) == len(result)
        assert result.upper() == unicodedata.normalize("NFC", "".join(text.split())).upper()


def test_user_names_are_ascii_before_lower_casing(make_crm) -> None:
    crm = make_crm()
    before = data_dump(crm)
    for name in ("\u0131van", "stra\u00dfe", "\u212aasir\u00df"):
        with pytest.raises(ValidationError) as caught, crm.database.atomic():
            crm.users.add(name, roles=["cashier"])
        assert caught.value.field == "username"
    assert data_dump(crm) == before
    with crm.database.atomic():
        assert crm.users.add("  KASIR ", roles=["cashier"]).username == "kasir"
    assert crm.users.get("Kasir").username == "kasir"
    with pytest.raises(NotFoundError):
        crm.users.get("\u212aasir")  # the Kelvin sign lower-cases to k: never a match


def test_referral_codes_and_references_stay_ascii() -> None:
    with pytest.raises(ValidationError, match="referral code"):
        referrals.normalise("\u017f2345A")  # long s upper-cases to S
    assert referrals.normalise("ab-cd ef") == "ABCDEF"
    assert reference("  KW  12/III ") == "KW 12/III"
    for bad in ("KW\u00b712", "\u0131-1", "KW\x001", ""):
        with pytest.raises(ValidationError) as caught:
            reference(bad)
        assert caught.value.field == "reference"


def test_nik_digits_are_ascii() -> None:
    with pytest.raises(ValidationError, match="16 digits"):
        v.nik("\u0663\u0662\u0660\u0661\u0661\u0661\u0661\u0665\u0660\u0665\u0669\u0660"
              "\u0660\u0660\u0660\u0662", on=dt.date(2026, 3, 1))


def test_the_cli_refuses_identifiers_that_case_mapping_would_change(tmp_path) -> None:
    config = make_deployment(tmp_path)
    with open_crm(config) as crm:
        before = data_dump(crm)
    code, out, err = cli(config, "user", "add", "\u0131van", "--role", "cashier", user="ketua")
    assert code == 1 and "username: may contain only the letters A-Z" in err, (out, err)
    code, out, err = cli(config, "member", "apply", "--full-name", "Budi Santoso", "--nik",
                         "3201111505900002", "--date-of-birth", "1990-05-15",
                         "--employee-number", "\u00df1", "--department", "Produksi",
                         "--email", "budi@example.org", "--mobile", "0812-0001-7890",
                         "--address", "Jl. Merdeka 1, Bogor", user="sekretaris")
    assert code == 1 and "employee_number:" in err and "U+00DF" in err, (out, err)
    code, out, err = cli(config, "savings", "deposit", "XYZ-0001", "sukarela", "1000",
                         "--method", "cash", "--ref", "KW\u00b71")
    assert code == 1 and "reference: may contain only ASCII" in err, (out, err)
    with open_crm(config) as crm:
        assert data_dump(crm) == before
