"""The Koperasi XYZ deployment's portal: Indonesian, and every staff role signs in."""

from __future__ import annotations

import pytest
from portal import STAFF, member_login

from dyncrm.testing import web_client


def test_the_portal_speaks_indonesian(kop):
    page = web_client(kop).get("/login").get_data(as_text=True)
    assert '<html lang="id">' in page and "Nama pengguna" in page and "Kata sandi" in page


@pytest.mark.parametrize("user", sorted(STAFF))
def test_every_staff_member_reaches_the_dashboard_and_the_queue(kop, user):
    client = web_client(kop, user)
    assert "Dasbor" in client.get("/").get_data(as_text=True)
    assert client.get("/queue").status_code == 200


def test_a_member_reaches_their_own_dashboard(kop):
    _, username = member_login(kop)
    page = web_client(kop, username).get("/").get_data(as_text=True)
    assert "Dasbor saya" in page
