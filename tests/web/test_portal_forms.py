"""The form helpers of dyncrm.web.forms."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.web.forms import field_error, form_key


def test_a_submitted_uuid_is_kept_so_a_second_submit_replays():
    key = uuid.uuid4().hex
    assert form_key(key) == key
    assert form_key(str(uuid.UUID(key))) == key


@given(st.text())
def test_anything_else_becomes_a_fresh_uuid(text):
    key = form_key(text)
    assert uuid.UUID(key).hex == key
    assert len(key) == 32


def test_errors_go_to_their_field_or_to_the_form():
    assert field_error(ValidationError("too much", field="amount")) == {"amount": "too much"}
    assert str(ValidationError("too much", field="amount")) == "amount: too much"
    assert field_error(ValidationError("no")) == {"_": "no"}
    assert list(field_error(PermissionDenied("siti", "approve"), default="reason")) == ["reason"]


def test_a_refusal_is_shown_beside_its_field_without_the_fields_name(kop):
    from portal import member_login

    from dyncrm.testing import web_client

    _, username = member_login(kop)
    page = web_client(kop, username).post("/savings/withdraw", {"amount": "banyak",
                                                             "method": "cash"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    error = text.split('id="e-amount">')[1].split("</p>")[0]
    assert not error.startswith("amount:"), error


def test_extra_attributes_of_a_field_are_written_as_attributes(kop):
    from portal import member_login

    from dyncrm.testing import web_client

    _, username = member_login(kop)
    page = web_client(kop, username).get("/savings/withdraw").get_data(as_text=True)
    assert 'inputmode="decimal"' in page and "&#34;" not in page


def test_a_parsers_refusal_reaches_the_member_in_indonesian(kop):
    from portal import member_login

    from dyncrm.testing import web_client

    _, username = member_login(kop)
    page = web_client(kop, username).post("/savings/withdraw", {"amount": "banyak",
                                                             "method": "cash"})
    error = page.get_data(as_text=True).split('id="e-amount">')[1].split("</p>")[0]
    assert error == "&#39;banyak&#39; bukan jumlah uang yang sah"
