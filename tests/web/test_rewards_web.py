"""The rewards pages: the member's points, tier, history and catalogue; staff look-up."""

from __future__ import annotations

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import web_client
from dyncrm.values import Actor
from dyncrm_expand import rewards


def points_for(kop, member_id: int, points: int, reason: str) -> None:
    with kop.database.atomic():
        rewards.award(kop, Actor.operator(), member_id, points, reason=reason,
                      reference=f"ref-{member_id}-{points}")


def test_member_sees_card_history_and_catalogue(kop):
    member_id, user = member_login(kop)
    points_for(kop, member_id, 70, "Bantu bazar")
    client = web_client(kop, user)
    home = client.get("/").get_data(as_text=True)
    assert "Poin saya" in home and "70" in home
    page = client.get("/rewards/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bantu bazar" in text and "Katalog" in text
    for item in rewards.catalogue(kop):
        assert item.name in text


@pytest.mark.parametrize("url", ["/rewards/", "/rewards/members"])
def test_anonymous_goes_to_sign_in(kop, url):
    response = web_client(kop).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_have_no_points_page_of_their_own(kop):
    assert web_client(kop, "kasir").get("/rewards/").status_code == 403


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_member_points_permission_matrix(kop, role):
    member_id, user = member_login(kop, number="XYZ-2025-00077")
    number = kop.member_row(member_id).number
    allowed = role in {"admin", "secretary", "treasurer", "cashier"}
    client = web_client(kop, user if role == "member" else USER_OF[role])
    assert client.get(f"/rewards/members?member={number}").status_code == (
        200 if allowed else 403)


def test_staff_look_up_a_member(kop):
    member_id, _ = member_login(kop, number="XYZ-2025-00078")
    points_for(kop, member_id, 55, "Rapat anggota")
    client = web_client(kop, "sekretaris")
    number = kop.member_row(member_id).number
    page = client.get(f"/rewards/members?member={number}").get_data(as_text=True)
    assert "Rapat anggota" in page and "55" in page
    unknown = client.get("/rewards/members?member=XYZ-1900-99999")
    assert unknown.status_code == 400 and 'id="e-member"' in unknown.get_data(as_text=True)


def test_a_member_never_sees_another_members_points(kop):
    _, a_user = member_login(kop, "Siti Aminah")
    b_id, _ = member_login(kop, "Budi Santoso")
    points_for(kop, b_id, 90, "Rahasia Budi")
    page = web_client(kop, a_user).get("/rewards/").get_data(as_text=True)
    assert "Rahasia Budi" not in page
