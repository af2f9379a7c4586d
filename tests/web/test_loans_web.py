"""The portal's loan pages on the Koperasi XYZ deployment: members simulate, apply and follow
their loans; the credit committee decides; the treasurer disburses; the cashier records
repayments."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, staff, web_client
from dyncrm.values import Actor
from dyncrm_expand import loans


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def application(kop, member_id: int, amount: str = "5000000", term: int = 12,
                product: str = "konsumtif") -> int:
    """A loan application recorded by the secretary for the member (from paper)."""
    sekretaris = kop.users.trusted_actor("sekretaris")
    loan, _ = loans.apply(kop, sekretaris, member_id, product, kop.money(amount), term=term)
    return loan.id


def approved(kop, loan_id: int) -> None:
    for user in ("panitia1", "panitia2"):
        who = kop.users.trusted_actor(user)
        loans.approve(kop, who, loan_id, override="the committee knows the member")


def disbursed(kop, loan_id: int) -> None:
    approved(kop, loan_id)
    loans.disburse(kop, kop.users.trusted_actor("bendahara"), loan_id,
                   method="transfer", reference="TRF-1")


# -- members -------------------------------------------------------------------------


def test_members_pages_need_a_member(kop):
    anonymous = web_client(kop)
    for url in ("/loans/", "/loans/1", "/loans/simulate"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    staff = web_client(kop, "ketua")
    assert staff.get("/loans/").status_code == 403
    assert staff.get("/loans/simulate").status_code == 403


def test_no_loan_no_card_and_an_empty_list(kop):
    _, siti = member_login(kop, "Siti Aminah")
    client = web_client(kop, siti)
    home = client.get("/").get_data(as_text=True)
    assert "Outstanding principal" not in home and "Pokok pinjaman" not in home
    page = client.get("/loans/")
    assert page.status_code == 200


def test_the_card_shows_outstanding_and_next_installment(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    loan_id = application(kop, siti_id, "1200000", 12)
    disbursed(kop, loan_id)
    first = loans.installments(kop, loan_id)[0]
    home = web_client(kop, siti).get("/").get_data(as_text=True)
    assert f"/loans/{loan_id}" in home
    assert kop.format_money(loans.outstanding(kop, loan_id)) in home
    assert kop.format_money(first.total) in home


def test_member_sees_the_schedule_of_their_own_loan_only(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    budi_id, budi = member_login(kop, "Budi Santoso")
    siti_loan = application(kop, siti_id, "2000000", 10)
    budi_loan = application(kop, budi_id, "7777000", 6)
    disbursed(kop, budi_loan)
    client = web_client(kop, siti)
    assert client.get(f"/loans/{siti_loan}").status_code == 200
    assert client.get(f"/loans/{budi_loan}").status_code == 404
    assert client.get("/loans/999999").status_code == 404
    listing = client.get("/loans/").get_data(as_text=True)
    assert f"/loans/{siti_loan}" in listing and f"/loans/{budi_loan}" not in listing
    assert "7.777.000" not in listing
    assert "7.777.000" not in client.get("/").get_data(as_text=True)
    theirs = web_client(kop, budi).get(f"/loans/{budi_loan}").get_data(as_text=True)
    for item in loans.installments(kop, budi_loan):
        assert kop.format_money(item.total) in theirs


def test_simulate_shows_the_schedule_and_the_members_eligibility_reasons(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    client = web_client(kop, siti)
    response = client.get("/loans/simulate?product=konsumtif&amount=6.000.000&term=12")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    sim = loans.simulate(kop, amount=kop.money("6000000"), term=12, product="konsumtif")
    assert kop.format_money(sim.rows[0]["installment"]) in page
    expected = loans.eligibility(kop, siti_id, "konsumtif", kop.money("6000000"), 12)
    assert expected  # a new member with no savings: the committee would see reasons
    for reason in expected:
        assert str(escape(reason)) in page
    assert 'name="key"' in page


@pytest.mark.parametrize(("amount", "term", "field"), [("abc", "12", "amount"),
                                                       ("1000000", "0", "term"),
                                                       ("1000000", "99", "term")])
def test_bad_input_is_refused_with_the_fields_error_and_nothing_written(kop, amount, term, field):
    _, siti = member_login(kop, "Siti Aminah")
    client = web_client(kop, siti)
    before = snapshot(kop)
    shown = client.get(f"/loans/simulate?product=konsumtif&amount={amount}&term={term}")
    assert shown.status_code == 400
    assert f'id="e-{field}"' in shown.get_data(as_text=True)
    sent = client.post("/loans/apply", {"product": "konsumtif", "amount": amount, "term": term,
                                        "key": "0" * 32})
    assert sent.status_code == 400
    assert f'id="e-{field}"' in sent.get_data(as_text=True)
    assert snapshot(kop) == before


def test_an_unknown_product_is_refused(kop):
    _, siti = member_login(kop, "Siti Aminah")
    client = web_client(kop, siti)
    before = snapshot(kop)
    sent = client.post("/loans/apply", {"product": "nope", "amount": "100000", "term": "3"})
    assert sent.status_code == 400 and 'id="e-product"' in sent.get_data(as_text=True)
    assert snapshot(kop) == before


def test_apply_records_the_members_own_application_once(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    budi_id, _ = member_login(kop, "Budi Santoso")
    client = web_client(kop, siti)
    page = client.get("/loans/simulate?product=konsumtif&amount=3000000&term=6")
    form = {"product": "konsumtif", "amount": "3000000", "term": "6",
            "key": key_of(page.get_data(as_text=True)), "purpose": "renovasi dapur",
            "member_id": str(budi_id), "member": str(budi_id)}
    first = client.post("/loans/apply", form)
    again = client.post("/loans/apply", form)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    mine = loans.list_loans(kop, member_id=siti_id)
    assert len(mine) == 1 and mine[0].stage == "submitted"
    assert mine[0].purpose == "renovasi dapur"
    assert loans.list_loans(kop, member_id=budi_id) == []
    assert client.get(first.headers["Location"]).status_code == 200


def test_member_withdraws_their_own_application_only(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    budi_id, _ = member_login(kop, "Budi Santoso")
    mine = application(kop, siti_id, "1000000", 6)
    theirs = application(kop, budi_id, "1000000", 6)
    client = web_client(kop, siti)
    before = snapshot(kop)
    assert client.post(f"/loans/{theirs}/withdraw", {"reason": "x"}).status_code == 404
    assert snapshot(kop) == before
    page = client.get(f"/loans/{mine}").get_data(as_text=True)
    assert f'action="/loans/{mine}/withdraw"' in page
    done = client.post(f"/loans/{mine}/withdraw", {"reason": "tidak jadi"})
    assert done.status_code == 303
    assert loans.get(kop, mine).stage == "withdrawn"
    assert loans.get(kop, theirs).stage == "submitted"
    again = client.post(f"/loans/{mine}/withdraw", {}, follow_redirects=True)
    assert again.status_code == 200 and 'class="flash error"' in again.get_data(as_text=True)


# -- staff ---------------------------------------------------------------------------

STAFF_PAGES = [
    ("/loans/decide/", "loans.decide"),
    ("/loans/decide/{submitted}", "loans.decide"),
    ("/loans/disburse/", "loans.disburse"),
    ("/loans/disburse/{approved}", "loans.disburse"),
    ("/loans/repay/", "loans.repay"),
    ("/loans/repay/{disbursed}", "loans.repay"),
]


@pytest.fixture
def three_loans(kop):
    siti_id, _ = member_login(kop, "Siti Aminah")
    submitted = application(kop, siti_id, "1000000", 6)
    approved_id = application(kop, siti_id, "1500000", 6)
    approved(kop, approved_id)
    disbursed_id = application(kop, siti_id, "2000000", 6)
    disbursed(kop, disbursed_id)
    return {"submitted": submitted, "approved": approved_id, "disbursed": disbursed_id}


@pytest.mark.parametrize(("url", "permission"), STAFF_PAGES)
def test_staff_pages_permission_matrix(kop, three_loans, url, permission):
    url = url.format(**three_loans)
    assert web_client(kop).get(url).status_code == 302
    for role in ROLES:
        user = USER_OF[role]
        allowed = kop.users.can(kop.users.trusted_actor(user), permission)
        assert web_client(kop, user).get(url).status_code == (200 if allowed else 403), role
    member_login(kop, "Budi Santoso")
    assert web_client(kop, "budi").get(url).status_code == 403


@pytest.mark.parametrize(("url", "data"), [
    ("/loans/decide/{submitted}", {"decision": "reject", "reject_reason": "x"}),
    ("/loans/disburse/{approved}", {"method": "cash", "reference": "K-1"}),
    ("/loans/repay/{disbursed}", {"amount": "100000", "method": "cash", "reference": "R-1"}),
])
def test_staff_actions_refuse_others_and_write_nothing(kop, three_loans, url, data):
    url = url.format(**three_loans)
    member_login(kop, "Budi Santoso")
    before = snapshot(kop)
    for user in ("kasir", "sekretaris"):
        client = web_client(kop, user)
        if client.get(url).status_code == 200:
            continue
        assert client.post(url, data).status_code == 403
    assert web_client(kop, "budi").post(url, data).status_code == 403
    assert snapshot(kop) == before


def test_the_queue_lists_loans_to_decide_and_to_disburse(kop, three_loans):
    panitia = web_client(kop, "panitia1").get("/queue").get_data(as_text=True)
    assert f"/loans/decide/{three_loans['submitted']}" in panitia
    assert f"/loans/disburse/{three_loans['approved']}" not in panitia
    assert web_client(kop, "panitia1").get("/loans/decide/424242").status_code == 404
    assert web_client(kop, "bendahara").get("/loans/disburse/424242").status_code == 404
    bendahara = web_client(kop, "bendahara").get("/queue").get_data(as_text=True)
    assert f"/loans/disburse/{three_loans['approved']}" in bendahara
    assert f"/loans/decide/{three_loans['submitted']}" not in bendahara


def test_four_eyes_refusal_is_shown_and_nothing_written(kop):
    siti_id, _ = member_login(kop, "Siti Aminah")
    recorder = staff(kop, "panitia3", "credit_committee", "secretary")
    loan, _ = loans.apply(kop, recorder, siti_id, "konsumtif", kop.money("1000000"), term=6)
    client = web_client(kop, "panitia3")
    before = snapshot(kop)
    response = client.post(f"/loans/decide/{loan.id}", {"decision": "override",
                                                        "override": "known member"})
    assert response.status_code == 403
    assert "four eyes" in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_plain_approval_with_reasons_asks_for_the_override(kop):
    siti_id, _ = member_login(kop, "Siti Aminah")
    loan_id = application(kop, siti_id, "1000000", 6)
    client = web_client(kop, "panitia1")
    before = snapshot(kop)
    response = client.post(f"/loans/decide/{loan_id}", {"decision": "approve"})
    assert response.status_code == 400 and "not eligible" in response.get_data(as_text=True)
    empty = client.post(f"/loans/decide/{loan_id}", {"decision": "override", "override": " "})
    assert empty.status_code == 400 and 'id="e-override"' in empty.get_data(as_text=True)
    no_reason = client.post(f"/loans/decide/{loan_id}", {"decision": "reject"})
    assert no_reason.status_code == 400
    assert 'id="e-reject_reason"' in no_reason.get_data(as_text=True)
    assert snapshot(kop) == before


def test_reject_with_a_reason(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    loan_id = application(kop, siti_id, "1000000", 6)
    response = web_client(kop, "panitia1").post(
        f"/loans/decide/{loan_id}", {"decision": "reject", "reject_reason": "gaji belum cukup"})
    assert response.status_code == 303
    assert loans.get(kop, loan_id).stage == "rejected"
    late = web_client(kop, "panitia2").post(f"/loans/decide/{loan_id}",
                                            {"decision": "approve"})
    assert late.status_code == 409 and 'class="error form-error"' in late.get_data(as_text=True)
    assert loans.get(kop, loan_id).stage == "rejected"
    assert "gaji belum cukup" in web_client(kop, siti).get(f"/loans/{loan_id}").get_data(
        as_text=True)


def test_bad_disbursement_and_repayment_input_write_nothing(kop, three_loans):
    before = snapshot(kop)
    bendahara = web_client(kop, "bendahara")
    response = bendahara.post(f"/loans/disburse/{three_loans['approved']}",
                              {"method": "cash", "reference": " "})
    assert response.status_code == 400 and 'id="e-reference"' in response.get_data(as_text=True)
    kasir = web_client(kop, "kasir")
    response = kasir.post(f"/loans/repay/{three_loans['disbursed']}",
                          {"amount": "abc", "method": "cash", "reference": "R-1"})
    assert response.status_code == 400 and 'id="e-amount"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_the_repayment_page_lists_loans_being_repaid_and_opens_one_by_number(kop, three_loans):
    kasir = web_client(kop, "kasir")
    page = kasir.get("/loans/repay/").get_data(as_text=True)
    assert f"/loans/repay/{three_loans['disbursed']}" in page
    assert f"/loans/repay/{three_loans['approved']}" not in page
    opened = kasir.get(f"/loans/repay/?loan={three_loans['disbursed']}")
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/loans/repay/{three_loans['disbursed']}")
    bad = kasir.get("/loans/repay/?loan=abc")
    assert bad.status_code == 400 and 'id="e-loan"' in bad.get_data(as_text=True)
    assert kasir.get("/loans/repay/424242").status_code == 404


def test_apply_without_the_csrf_token_is_refused(kop):
    _, siti = member_login(kop, "Siti Aminah")
    client = web_client(kop, siti)
    before = snapshot(kop)
    response = client.post_without_csrf("/loans/apply", {"product": "konsumtif",
                                                          "amount": "1000000", "term": "6"})
    assert response.status_code == 400
    assert snapshot(kop) == before


def test_cashier_records_a_repayment(kop, three_loans):
    loan_id = three_loans["disbursed"]
    first = loans.installments(kop, loan_id)[0]
    kasir = web_client(kop, "kasir")
    response = kasir.post(f"/loans/repay/{loan_id}", {
        "amount": str(first.total.amount), "method": "cash", "reference": "KW-7"})
    assert response.status_code == 303
    assert loans.installments(kop, loan_id)[0].paid_on is not None
    assert [p.reference for p in loans.payments(kop, loan_id)] == ["KW-7"]


# -- the whole way ---------------------------------------------------------------------


def test_member_applies_committee_approves_treasurer_disburses_member_sees_schedule(kop):
    siti_id, siti = member_login(kop, "Siti Aminah")
    member = web_client(kop, siti)
    page = member.get("/loans/simulate?product=konsumtif&amount=12.000.000&term=24")
    assert page.status_code == 200
    sent = member.post("/loans/apply", {"product": "konsumtif", "amount": "12.000.000",
                                        "term": "24", "key": key_of(page.get_data(as_text=True))})
    assert sent.status_code == 303
    (loan,) = loans.list_loans(kop, member_id=siti_id)
    assert loan.applied_by == siti

    # above Rp 10 juta: two of the credit committee; the same person twice counts once
    panitia1 = web_client(kop, "panitia1")
    view = panitia1.get(f"/loans/decide/{loan.id}").get_data(as_text=True)
    assert "0 dari 2" in view
    assert loan.reasons  # a new member without savings
    for reason in loans.recheck(kop, loan.id):
        assert str(escape(reason)) in view
    override = {"decision": "override", "override": "gaji cukup, atasan menjamin"}
    assert panitia1.post(f"/loans/decide/{loan.id}", override).status_code == 303
    assert loans.get(kop, loan.id).stage == "submitted"
    twice = panitia1.post(f"/loans/decide/{loan.id}", override, follow_redirects=True)
    assert "Anda sudah menyetujui" in twice.get_data(as_text=True)
    assert loans.get(kop, loan.id).stage == "submitted"
    view = panitia1.get(f"/loans/decide/{loan.id}").get_data(as_text=True)
    assert "1 dari 2" in view
    panitia2 = web_client(kop, "panitia2")
    assert panitia2.post(f"/loans/decide/{loan.id}", override).status_code == 303
    assert loans.get(kop, loan.id).stage == "approved"

    bendahara = web_client(kop, "bendahara")
    queue = bendahara.get("/queue").get_data(as_text=True)
    assert f"/loans/disburse/{loan.id}" in queue
    done = bendahara.post(f"/loans/disburse/{loan.id}", {"method": "transfer",
                                                         "reference": "TRF-0042"})
    assert done.status_code == 303
    assert loans.get(kop, loan.id).stage == "disbursed"

    mine = member.get(f"/loans/{loan.id}").get_data(as_text=True)
    items = loans.installments(kop, loan.id)
    assert len(items) == 24
    assert kop.format_money(items[0].total) in mine
    home = member.get("/").get_data(as_text=True)
    assert kop.format_money(loans.outstanding(kop, loan.id)) in home



def eligible_member(kop, name: str) -> tuple[int, str]:
    """A member of a year's standing with savings and a known take-home pay: no reasons."""
    import datetime as dt

    from dyncrm_acquire.models import ApplicationRow
    from dyncrm_expand import savings

    member_id, username = member_login(kop, name,
                                       joined_on=kop.today() - dt.timedelta(days=400))
    with kop.action("test.profile", Actor.operator()):
        ApplicationRow.create(member=member_id, status="approved", nik="3171010190000042",
                              employee_number="E042", department="Produksi",
                              take_home_pay=8_000_000, submitted_by="test")
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", kop.money("2000000"),
                    method="cash", reference=f"setoran-{member_id}")
    return member_id, username


def test_an_eligible_loan_up_to_ten_million_needs_one_committee_member(kop):
    siti_id, siti = eligible_member(kop, "Siti Aminah")
    member = web_client(kop, siti)
    page = member.get("/loans/simulate?product=konsumtif&amount=3000000&term=12")
    text = page.get_data(as_text=True)
    assert loans.eligibility(kop, siti_id, "konsumtif", kop.money("3000000"), 12) == []
    assert "Tidak ada catatan yang menghalangi pinjaman ini." in text
    assert member.post("/loans/apply", {"product": "konsumtif", "amount": "3000000",
                                        "term": "12", "key": key_of(text)}).status_code == 303
    (loan,) = loans.list_loans(kop, member_id=siti_id)
    assert loan.reasons == ()
    panitia1 = web_client(kop, "panitia1")
    assert "0 dari 1" in panitia1.get(f"/loans/decide/{loan.id}").get_data(as_text=True)
    assert panitia1.post(f"/loans/decide/{loan.id}", {"decision": "approve"}).status_code == 303
    assert loans.get(kop, loan.id).stage == "approved"
    bendahara = web_client(kop, "bendahara")
    assert bendahara.post(f"/loans/disburse/{loan.id}", {
        "method": "cash", "reference": "KK-9"}).status_code == 303
    mine = member.get(f"/loans/{loan.id}").get_data(as_text=True)
    assert all(kop.format_money(i.total) in mine for i in loans.installments(kop, loan.id))
