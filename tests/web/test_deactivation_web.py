"""Leaving the cooperative: the member asks with a reason and sees the settlement preview;
staff approve, pay the refund or cancel, as ``dyncrm leave`` does."""

from __future__ import annotations

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, web_client
from dyncrm.values import Actor
from dyncrm_expand import deactivation


def ask(kop, user, reason="Pindah kerja ke luar kota.") -> int:
    response = web_client(kop, user).post("/leave/", {"reason": reason})
    assert response.status_code == 303, response.get_data(as_text=True)
    member_id = kop.actor(user).member_id
    return deactivation.list_requests(kop, member_id=member_id)[0].id


def test_member_sees_the_settlement_preview_and_asks_to_leave(kop):
    member_id, user = member_login(kop)
    client = web_client(kop, user)
    page = client.get("/leave/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for line in deactivation.settlement(kop, member_id).lines:
        assert line.label in text
    request_id = ask(kop, user)
    found = deactivation.get_request(kop, request_id)
    assert found.member_id == member_id and found.requested_by == user
    assert "Pindah kerja" in client.get("/leave/").get_data(as_text=True)


def test_member_withdraws_their_request(kop):
    _, user = member_login(kop)
    request_id = ask(kop, user)
    client = web_client(kop, user)
    assert client.post(f"/leave/{request_id}/withdraw").status_code == 303
    assert deactivation.get_request(kop, request_id).status == "cancelled"


def test_reason_is_required_and_nothing_is_written(kop):
    _, user = member_login(kop)
    client = web_client(kop, user)
    client.get("/leave/")  # the preview opens the member's (empty) loan accounts once
    before = snapshot(kop)
    response = client.post("/leave/", {"reason": "  "})
    assert response.status_code == 400 and 'id="e-reason"' in response.get_data(as_text=True)
    assert client.post_without_csrf("/leave/", {"reason": "Pindah"}).status_code == 400
    assert snapshot(kop) == before


def test_a_second_request_is_refused(kop):
    _, user = member_login(kop)
    ask(kop, user)
    before = snapshot(kop)
    response = web_client(kop, user).post("/leave/", {"reason": "Lagi"})
    assert response.status_code == 400
    assert snapshot(kop) == before


def test_member_cannot_touch_another_members_request(kop):
    _, a_user = member_login(kop, "Siti Aminah")
    _, b_user = member_login(kop, "Budi Santoso")
    request_id = ask(kop, b_user, "Alasan pribadi Budi.")
    a = web_client(kop, a_user)
    assert a.post(f"/leave/{request_id}/withdraw").status_code == 404
    assert "Alasan pribadi Budi" not in a.get("/leave/").get_data(as_text=True)
    assert a.get(f"/leave/requests/{request_id}").status_code == 403
    assert deactivation.get_request(kop, request_id).status == "requested"


@pytest.mark.parametrize("url", ["/leave/", "/leave/requests/", "/leave/requests/1"])
def test_anonymous_goes_to_sign_in(kop, url):
    response = web_client(kop).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


PERMISSIONS = {"leave.view": {"admin", "secretary", "treasurer", "cashier"},
               "leave.approve": {"admin", "treasurer"},
               "leave.cancel": {"admin", "secretary", "treasurer"}}


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_staff_permission_matrix(kop, role):
    _, leaver = member_login(kop, "Budi Santoso")
    request_id = ask(kop, leaver)
    _, user = member_login(kop, "Siti Aminah")
    client = web_client(kop, user if role == "member" else USER_OF[role])
    view = role in PERMISSIONS["leave.view"]
    assert client.get("/leave/requests/").status_code == (200 if view else 403)
    assert client.get(f"/leave/requests/{request_id}").status_code == (200 if view else 403)
    if role not in PERMISSIONS["leave.approve"]:
        assert client.post(f"/leave/requests/{request_id}/approve").status_code == 403
    if role not in PERMISSIONS["leave.cancel"]:
        assert client.post(f"/leave/requests/{request_id}/cancel",
                           {"reason": "x"}).status_code == 403
    if role not in {"treasurer", "cashier"}:
        assert client.post(f"/leave/requests/{request_id}/pay",
                           {"method": "cash", "reference": "K-1"}).status_code == 403
    assert deactivation.get_request(kop, request_id).status == "requested"


def test_flow_request_approve_pay(kop):
    member_id, user = member_login(kop)
    request_id = ask(kop, user)
    staff = web_client(kop, "bendahara")
    assert f"/leave/requests/{request_id}" in staff.get("/queue").get_data(as_text=True)
    before = snapshot(kop)
    bad = staff.post(f"/leave/requests/{request_id}/approve", {"payout_on": "kemarin"})
    assert bad.status_code == 400 and 'id="e-payout_on"' in bad.get_data(as_text=True)
    assert snapshot(kop) == before
    today = kop.today().isoformat()
    assert staff.post(f"/leave/requests/{request_id}/approve",
                      {"payout_on": today}).status_code == 303
    assert kop.member(member_id).stage == "leaving"
    page = staff.get(f"/leave/requests/{request_id}").get_data(as_text=True)
    assert "Settlement" in page or "Penyelesaian" in page or "Total" in page
    empty = staff.post(f"/leave/requests/{request_id}/pay", {"method": "cash", "reference": ""})
    assert empty.status_code == 400 and 'id="e-reference"' in empty.get_data(as_text=True)
    paid = staff.post(f"/leave/requests/{request_id}/pay",
                      {"method": "cash", "reference": "KW-001"})
    assert paid.status_code == 303
    assert deactivation.get_request(kop, request_id).status == "paid"
    assert kop.member(member_id).stage == "inactive"


def test_secretary_cancels_an_approved_request(kop):
    member_id, user = member_login(kop)
    request_id = ask(kop, user)
    with kop.database.atomic():
        deactivation.approve_leave(kop, Actor.operator(), request_id)
    staff = web_client(kop, "sekretaris")
    before = snapshot(kop)
    empty = staff.post(f"/leave/requests/{request_id}/cancel", {"reason": ""})
    assert empty.status_code == 400 and 'id="e-reason"' in empty.get_data(as_text=True)
    assert snapshot(kop) == before
    done = staff.post(f"/leave/requests/{request_id}/cancel", {"reason": "Berubah pikiran"})
    assert done.status_code == 303
    assert kop.member(member_id).stage == "active"
