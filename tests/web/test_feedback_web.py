"""Kritik & saran pages: members file, follow, write back and rate; staff handle tickets."""

from __future__ import annotations

import io

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.errors import PermissionDenied
from dyncrm.testing import snapshot, web_client
from dyncrm_retain.feedback import tickets
from dyncrm_retain.feedback.member import member_reply

FORM = {"kind": "complaint", "category": "layanan", "subject": "Antrian lama",
        "text": "Antrian di kantor lebih dari satu jam."}


def file_ticket(kop, user, **changes) -> str:
    client = web_client(kop, user)
    response = client.post("/feedback/", {**FORM, **changes})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_member_files_and_follows_a_ticket(kop):
    _, user = member_login(kop)
    number = file_ticket(kop, user)
    client = web_client(kop, user)
    page = client.get(f"/feedback/{number}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Antrian di kantor" in text and number in text
    assert number in client.get("/feedback/").get_data(as_text=True)
    reply = client.post(f"/feedback/{number}/reply", {"text": "Sudah dua kali terjadi."})
    assert reply.status_code == 303
    assert "Sudah dua kali terjadi." in client.get(f"/feedback/{number}").get_data(as_text=True)


def test_flow_complaint_resolved_by_secretary_then_rated(kop):
    _, user = member_login(kop)
    number = file_ticket(kop, user)
    staff = web_client(kop, "sekretaris")
    assert number in staff.get("/queue").get_data(as_text=True)
    assert number in staff.get("/feedback/handle/").get_data(as_text=True)
    assert staff.post(f"/feedback/handle/{number}", {"action": "acknowledge"}).status_code == 303
    staff.post(f"/feedback/handle/{number}", {"action": "reply", "text": "Kami periksa."})
    done = staff.post(f"/feedback/handle/{number}",
                      {"action": "resolve", "text": "Loket kedua dibuka."})
    assert done.status_code == 303
    member = web_client(kop, user)
    page = member.get(f"/feedback/{number}").get_data(as_text=True)
    assert "Loket kedua dibuka." in page and "Kami periksa." in page
    rated = member.post(f"/feedback/{number}/rate", {"rating": "5", "comment": "Cepat"})
    assert rated.status_code == 303
    assert tickets.to_ticket(tickets.get_row(number)).rating == 5


def test_resolve_without_text_is_refused_and_writes_nothing(kop):
    _, user = member_login(kop)
    number = file_ticket(kop, user)
    staff = web_client(kop, "sekretaris")
    staff.post(f"/feedback/handle/{number}", {"action": "acknowledge"})
    before = snapshot(kop)
    response = staff.post(f"/feedback/handle/{number}", {"action": "resolve", "text": ""})
    assert response.status_code == 400 and 'id="e-text"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_bad_submission_is_refused_with_the_fields_error(kop):
    _, user = member_login(kop)
    client = web_client(kop, user)
    before = snapshot(kop)
    response = client.post("/feedback/", {**FORM, "category": "bukan-kategori"})
    assert response.status_code == 400 and 'id="e-category"' in response.get_data(as_text=True)
    response = client.post("/feedback/", {**FORM, "subject": ""})
    assert response.status_code == 400 and 'id="e-subject"' in response.get_data(as_text=True)
    upload = client.post("/feedback/", {**FORM, "attachment": (io.BytesIO(b"<?php echo 1;"),
                                                                 "x.php")},
                         content_type="multipart/form-data")
    assert upload.status_code == 400 and "error" in upload.get_data(as_text=True)
    assert snapshot(kop) == before


def test_rating_an_open_ticket_is_refused(kop):
    _, user = member_login(kop)
    number = file_ticket(kop, user)
    before = snapshot(kop)
    response = web_client(kop, user).post(f"/feedback/{number}/rate", {"rating": "4"})
    assert response.status_code == 400
    assert snapshot(kop) == before


def test_post_without_csrf_is_refused(kop):
    _, user = member_login(kop)
    before = snapshot(kop)
    assert web_client(kop, user).post_without_csrf("/feedback/", FORM).status_code == 400
    assert snapshot(kop) == before


def test_member_cannot_open_another_members_ticket(kop):
    _, a_user = member_login(kop, "Siti Aminah")
    _, b_user = member_login(kop, "Budi Santoso")
    number = file_ticket(kop, b_user, text="Rahasia Budi tentang pinjaman.")
    a = web_client(kop, a_user)
    assert a.get(f"/feedback/{number}").status_code == 404
    assert a.post(f"/feedback/{number}/reply", {"text": "x"}).status_code == 404
    assert a.post(f"/feedback/{number}/rate", {"rating": "5"}).status_code == 404
    assert "Rahasia Budi" not in a.get("/feedback/").get_data(as_text=True)
    assert number not in a.get("/feedback/").get_data(as_text=True)


def test_member_reply_library_only_for_the_owner(kop):
    _, a_user = member_login(kop, "Siti Aminah")
    _, b_user = member_login(kop, "Budi Santoso")
    number = file_ticket(kop, b_user)
    with pytest.raises(PermissionDenied):
        member_reply(kop, kop.actor(a_user), number, "bukan milik saya")
    first = member_reply(kop, kop.actor(b_user), number, "tambahan", key="k1")
    again = member_reply(kop, kop.actor(b_user), number, "tambahan", key="k1")
    assert not first.replayed and again.replayed


@pytest.mark.parametrize("url", ["/feedback/", "/feedback/handle/", "/feedback/KS-2026-00001"])
def test_anonymous_goes_to_sign_in(kop, url):
    response = web_client(kop).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_staff_pages_permission_matrix(kop, role):
    _, owner = member_login(kop, "Budi Santoso")
    number = file_ticket(kop, owner)
    _, user = member_login(kop, "Siti Aminah")
    allowed = role in {"admin", "secretary"}
    client = web_client(kop, user if role == "member" else USER_OF[role])
    assert client.get("/feedback/handle/").status_code == (200 if allowed else 403)
    assert client.get(f"/feedback/handle/{number}").status_code == (200 if allowed else 403)
    response = client.post(f"/feedback/handle/{number}", {"action": "acknowledge"})
    assert response.status_code == (303 if allowed else 403)


def test_anonymous_ticket_hides_the_writer_from_the_secretary(kop):
    _, user = member_login(kop, "Budi Santoso")
    number = file_ticket(kop, user, anonymous="1")
    page = web_client(kop, "sekretaris").get(f"/feedback/handle/{number}").get_data(as_text=True)
    assert "Budi" not in page and "budi" not in page


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_attachment_is_served_only_as_a_download_to_the_owner_and_staff(kop):
    _, a_user = member_login(kop, "Siti Aminah")
    _, b_user = member_login(kop, "Budi Santoso")
    png = _png()
    owner = web_client(kop, b_user)
    made = owner.post("/feedback/", {**FORM, "attachment": (io.BytesIO(png), "foto.png")},
                      content_type="multipart/form-data")
    assert made.status_code == 303
    number = made.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    got = owner.get(f"/feedback/{number}/attachment")
    assert got.status_code == 200 and got.data == png
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert web_client(kop, a_user).get(f"/feedback/{number}/attachment").status_code == 404
    staff = web_client(kop, "sekretaris").get(f"/feedback/handle/{number}/attachment")
    assert staff.status_code == 200 and staff.data == png
    assert web_client(kop, "kasir").get(f"/feedback/handle/{number}/attachment"
                                        ).status_code == 403


def test_queue_marks_a_ticket_past_its_acknowledgement_date_late(kop):
    import datetime as dt

    _, user = member_login(kop)
    number = file_ticket(kop, user)
    later = kop.now() + dt.timedelta(days=10)
    kop.set_clock(lambda: later)
    try:
        page = web_client(kop, "sekretaris").get("/queue").get_data(as_text=True)
    finally:
        kop.set_clock(None)
    row = page[page.index(number) - 400: page.index(number) + 600]
    assert "overdue" in row and "terlambat" in row


def test_internal_note_is_never_shown_to_the_member(kop):
    _, user = member_login(kop)
    number = file_ticket(kop, user)
    staff = web_client(kop, "sekretaris")
    done = staff.post(f"/feedback/handle/{number}", {"action": "note",
                                                     "text": "Catatan rahasia pengurus"})
    assert done.status_code == 303
    assert "Catatan rahasia pengurus" in staff.get(f"/feedback/handle/{number}"
                                                   ).get_data(as_text=True)
    page = web_client(kop, user).get(f"/feedback/{number}").get_data(as_text=True)
    assert "Catatan rahasia pengurus" not in page
    before = snapshot(kop)
    empty = staff.post(f"/feedback/handle/{number}", {"action": "note", "text": ""})
    assert empty.status_code == 400 and 'id="e-text"' in empty.get_data(as_text=True)
    unknown = staff.post(f"/feedback/handle/{number}", {"action": "delete"})
    assert unknown.status_code == 400 and 'id="e-action"' in unknown.get_data(as_text=True)
    assert snapshot(kop) == before
