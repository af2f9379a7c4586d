"""E-mail addresses within RFC 5321/5322 limits, lower-cased; the rest refused.

Refused: a local part over 64 characters, more than 254 in all, leading,
trailing or doubled dots, domain labels starting or ending with ``-`` or
longer than 63, a domain without a dot or ending in digits, non-ASCII, control
characters.  Through the CLI the application is refused naming ``email`` and
nothing is written.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from input_support import cli, data_dump, make_deployment

from dyncrm.app import open_crm
from dyncrm.errors import ValidationError
from dyncrm.inputs import MAX_EMAIL, MAX_LABEL, MAX_LOCAL, email

ACCEPTED = {
    "siti@example.org": "siti@example.org",
    " Siti.Aminah@XYZ.co.id ": "siti.aminah@xyz.co.id",
    "o'brien+koperasi@mail-1.example.com": "o'brien+koperasi@mail-1.example.com",
    "a" * MAX_LOCAL + "@example.org": "a" * MAX_LOCAL + "@example.org",
    "x@" + "d" * MAX_LABEL + ".id": "x@" + "d" * MAX_LABEL + ".id",
}
LONG_DOMAIN = ".".join(["d" * 60] * 4) + ".id"  # 247 characters
REFUSED = {
    "local part of 65": ("a" * (MAX_LOCAL + 1) + "@example.org", "1 to 64 characters"),
    "255 in all": ("abcdefgh@" + LONG_DOMAIN, "at most 254"),
    "leading dot": (".siti@example.org", "start or end with a dot"),
    "trailing dot": ("siti.@example.org", "start or end with a dot"),
    "double dot": ("si..ti@example.org", "two dots in a row"),
    "label starts with -": ("siti@-example.org", "may not start or end with a hyphen"),
    "label ends with -": ("siti@example-.org", "may not start or end with a hyphen"),
    "label of 64": ("siti@" + "d" * (MAX_LABEL + 1) + ".org", "longer than 63"),
    "empty label": ("siti@example..org", "needs a domain"),
    "no dot": ("siti@localhost", "needs a domain"),
    "numeric end": ("siti@10.0.0.1", "must end in a name"),
    "two @": ("si@ti@example.org", "is not an e-mail address"),
    "no @": ("siti.example.org", "is not an e-mail address"),
    "non-ASCII": ("jos\u00e9@example.org", "only ASCII"),
    "control character": ("siti\x00@example.org", "control character"),
    "bidi override": ("siti\u202e@example.org", "bidirectional"),
    "space inside": ("si ti@example.org", "holds a character"),
    "underscore in domain": ("siti@ex_ample.org", "only letters, digits and hyphens"),
}


@pytest.mark.parametrize("typed", sorted(ACCEPTED))
def test_addresses_within_the_limits_are_accepted_lower_cased(typed) -> None:
    assert email(typed) == ACCEPTED[typed]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_addresses_outside_the_limits_are_refused(case) -> None:
    typed, message = REFUSED[case]
    with pytest.raises(ValidationError, match=message) as caught:
        email(typed)
    assert caught.value.field == "email"
    assert len("abcdefgh@" + LONG_DOMAIN) == MAX_EMAIL + 1


ATOM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-", min_size=1,
               max_size=12)
LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")


@given(st.lists(ATOM, min_size=1, max_size=4), st.lists(LABEL, min_size=1, max_size=3),
       st.from_regex(r"\A[a-z]{2,6}\Z"))
@settings(max_examples=300, deadline=None)
def test_any_dot_atom_address_within_the_limits_is_accepted(atoms, labels, tld) -> None:
    address = ".".join(atoms) + "@" + ".".join([*labels, tld])
    if len(".".join(atoms)) <= MAX_LOCAL:
        assert email(address.upper()) == address


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_the_check_never_raises_anything_but_validation_error(text) -> None:
    try:
        result = email(text)
    except ValidationError:
        return
    local, _, domain = result.partition("@")
    assert len(result) <= MAX_EMAIL and 1 <= len(local) <= MAX_LOCAL
    assert all(1 <= len(label) <= MAX_LABEL and not label.startswith("-")
               and not label.endswith("-") for label in domain.split("."))


def test_the_cli_refuses_an_application_with_a_bad_address(tmp_path) -> None:
    config = make_deployment(tmp_path)
    with open_crm(config) as crm:
        before = data_dump(crm)
    for address, message in (("a" * 65 + "@example.org", "email: the part before @ must be"),
                             ("budi@-example.org", "may not start or end with a hyphen"),
                             (".budi@example.org", "may not start or end with a dot")):
        code, out, err = cli(config, "member", "apply", "--full-name", "Budi Santoso",
                             "--nik", "3201111505900002", "--date-of-birth", "1990-05-15",
                             "--employee-number", "E-00001", "--department", "Produksi",
                             "--email", address, "--mobile", "0812-0001-7890",
                             "--address", "Jl. Merdeka 1, Bogor", user="sekretaris")
        assert code == 1 and message in err, (out, err)
    with open_crm(config) as crm:
        assert data_dump(crm) == before
