"""The membership pages: online application, verification and decision, the register."""

from __future__ import annotations

import re

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, web_client
from dyncrm.values import Actor
from dyncrm_acquire.registration import applications as apps

SITI = {"full_name": "Siti Aminah", "nik": "3275014508920003", "employee_number": "E-2001",
        "department": "Keuangan", "email": "siti@example.com", "mobile": "0812 9876 5432",
        "address": "Jl. Melati 3, Bekasi", "date_of_birth": "1992-08-05",
        "employment_status": "permanent", "employment_start": "2015-01-05",
        "take_home_pay": "6.500.000"}


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def apply_online(client, **changes):
    key = key_of(client.get("/members/join").get_data(as_text=True))
    return client.post("/members/join", {**SITI, **changes, "key": key})


def submitted(kop, **changes) -> int:
    return apps.submit(kop, {**SITI, **changes}, Actor.public()).application.id


def test_a_visitor_applies_and_follows_the_application_with_the_link(kop):
    client = web_client(kop)
    assert "/members/join" in client.get("/").get_data(as_text=True)
    page = client.get("/members/join")
    assert page.status_code == 200 and "Daftar menjadi anggota" in page.get_data(as_text=True)
    response = apply_online(client)
    assert response.status_code == 303
    status_url = response.headers["Location"]
    number = int(re.search(r"/status/(\d+)\?token=", status_url).group(1))
    application = apps.get(kop, number)
    assert application.channel == "web" and application.status == "submitted"
    text = client.get(status_url).get_data(as_text=True)
    assert "Siti Aminah" in text and "diajukan" in text and str(number) in text
    # without the token, or with another application's, nobody reads it
    assert client.get(f"/members/join/status/{number}").status_code == 404
    other = submitted(kop, full_name="Budi Santoso", nik="3201011505900001",
                      employee_number="E-9", email="budi@example.com",
                      date_of_birth="1990-05-15")
    token = status_url.split("token=")[1]
    assert client.get(f"/members/join/status/{other}?token={token}").status_code == 404


def test_a_double_submit_records_one_application(kop):
    client = web_client(kop)
    key = key_of(client.get("/members/join").get_data(as_text=True))
    first = client.post("/members/join", {**SITI, "key": key})
    second = client.post("/members/join", {**SITI, "key": key})
    assert first.headers["Location"] == second.headers["Location"]
    assert len(apps.find(kop)) == 1


@pytest.mark.parametrize(("changes", "field", "text"), [
    ({"nik": "123"}, "nik", "16 digits"),
    ({"email": "not-an-email"}, "email", ""),
    ({"take_home_pay": "banyak"}, "take_home_pay", "amount"),
    ({"employment_status": "probation"}, "_", ""),
])
def test_bad_input_is_shown_with_nothing_written(kop, changes, field, text):
    client = web_client(kop)
    client.get("/members/join")
    before = snapshot(kop)
    response = apply_online(client, **changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    marker = 'id="e-' + field + '"' if field != "_" else "form-error"
    assert marker in page and text in page
    assert snapshot(kop) == before


def test_a_duplicate_nik_is_refused(kop):
    submitted(kop)
    client = web_client(kop)
    before = snapshot(kop)
    response = apply_online(client, employee_number="E-77", email="lain@example.com")
    assert response.status_code == 400 and "NIK" in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_a_post_without_csrf_is_refused(kop):
    client = web_client(kop)
    before = snapshot(kop)
    assert client.post_without_csrf("/members/join", SITI).status_code in (400, 403)
    application = submitted(kop)
    staff = web_client(kop, "sekretaris")
    before = snapshot(kop)
    response = staff.post_without_csrf(f"/members/applications/{application}/verify")
    assert response.status_code in (400, 403)
    assert snapshot(kop) == before


def staff_routes(application: int, member_id: int) -> list[tuple[str, str, set[str]]]:
    view = {"admin", "secretary", "treasurer", "cashier", "credit_committee"}
    return [
        ("GET", f"/members/applications/{application}", view),
        ("GET", "/members/", view),
        ("GET", "/members/?q=Siti", view),
        ("GET", f"/members/{member_id}", view),
        ("POST", f"/members/applications/{application}/verify", {"admin", "secretary"}),
        ("POST", f"/members/applications/{application}/return", {"admin", "secretary"}),
        ("POST", f"/members/applications/{application}/approve", {"admin"}),
        ("POST", f"/members/applications/{application}/reject", {"admin"}),
    ]


@pytest.mark.parametrize("who", [*ROLES, "member"])
def test_permission_matrix_of_the_staff_pages(kop, who):
    application = submitted(kop)
    member_id, member_user = member_login(kop, "Ani Lestari")
    client = web_client(kop, member_user if who == "member" else USER_OF[who])
    for method, url, allowed in staff_routes(application, member_id):
        if method == "GET":
            status = client.get(url).status_code
            assert status == (200 if who in allowed else 403), (who, url, status)
        else:
            before = snapshot(kop)
            status = client.post(url, {"return_reason": "", "reason": ""}).status_code
            if who in allowed:
                assert status in (303, 400), (who, url, status)
            else:
                assert status == 403, (who, url, status)
                assert snapshot(kop) == before


def test_anonymous_staff_pages_go_to_sign_in(kop):
    application = submitted(kop)
    client = web_client(kop)
    for url in (f"/members/applications/{application}", "/members/", "/members/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_return_needs_a_reason_and_writes_nothing_without_it(kop):
    application = submitted(kop)
    client = web_client(kop, "sekretaris")
    before = snapshot(kop)
    response = client.post(f"/members/applications/{application}/return",
                           {"return_reason": ""})
    assert response.status_code == 400 and 'id="e-return_reason"' in response.get_data(
        as_text=True)
    assert snapshot(kop) == before
    response = client.post(f"/members/applications/{application}/return",
                           {"return_reason": "Fotokopi KTP belum dilampirkan"})
    assert response.status_code == 303
    assert apps.get(kop, application).status == "returned"


def test_the_queue_lists_applications_to_verify_and_to_decide(kop):
    application = submitted(kop)
    text = web_client(kop, "sekretaris").get("/queue").get_data(as_text=True)
    assert "Permohonan untuk diverifikasi" in text and "Siti Aminah" in text
    assert f"/members/applications/{application}" in text
    apps.accept(kop, application, Actor("sekretaris", frozenset({"secretary"})))
    text = web_client(kop, "ketua").get("/queue").get_data(as_text=True)
    assert "Permohonan untuk diputuskan" in text and "Siti Aminah" in text


def test_visitor_applies_secretary_verifies_chair_approves_member_activates(kop):
    visitor = web_client(kop)
    status_url = apply_online(visitor).headers["Location"]
    number = int(re.search(r"/status/(\d+)", status_url).group(1))

    secretary = web_client(kop, "sekretaris")
    page = secretary.get(f"/members/applications/{number}").get_data(as_text=True)
    assert "Siti Aminah" in page and "3275014508920003" in page
    assert secretary.post(f"/members/applications/{number}/verify").status_code == 303
    assert secretary.post(f"/members/applications/{number}/approve").status_code == 403

    chair = web_client(kop, "ketua")
    response = chair.post(f"/members/applications/{number}/approve")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = re.search(r"<code>([^<]+)</code>", page).group(1)
    member = kop.member(number)
    assert member.stage == "active" and member.number in page
    username = re.search(r"<dt>Nama pengguna</dt><dd>([^<]+)</dd>", page).group(1)
    # approving again changes nothing
    assert chair.post(f"/members/applications/{number}/approve").status_code == 303

    assert "disetujui" in visitor.get(status_url).get_data(as_text=True)
    newcomer = web_client(kop)
    newcomer.get("/activate")
    response = newcomer.post("/activate", {"username": username, "code": code,
                                           "password": "Kop3rasi-Baru!2026",
                                           "password2": "Kop3rasi-Baru!2026"})
    assert response.status_code == 200, response.get_data(as_text=True)
    newcomer.sign_in(username, "Kop3rasi-Baru!2026")
    assert newcomer.get("/").status_code == 200

    # the register finds her, with her timeline
    found = secretary.get("/members/?q=3275014508920003").get_data(as_text=True)
    assert member.number in found
    record = secretary.get(f"/members/{number}").get_data(as_text=True)
    assert "application.submitted" in record and "application.accepted" in record


def test_reject_with_a_reason(kop):
    application = submitted(kop)
    chair = web_client(kop, "ketua")
    response = chair.post(f"/members/applications/{application}/reject",
                          {"reason": "Bukan karyawan perusahaan"})
    assert response.status_code == 303
    assert apps.get(kop, application).status == "rejected"


def test_an_unknown_application_or_member_is_404(kop):
    client = web_client(kop, "ketua")
    assert client.get("/members/applications/999").status_code == 404
    assert client.get("/members/999").status_code == 404


# --- the member's own profile and card -------------------------------------------------------


def enrolled_with_profile(kop, name="Siti Aminah", **changes) -> tuple[int, str]:
    """A member who joined through registration, with a login."""
    from dyncrm.testing import TEST_PASSWORD

    application = submitted(kop, full_name=name, **changes)
    apps.accept(kop, application, Actor("sekretaris", frozenset({"secretary"})))
    approval = apps.approve(kop, application, Actor("ketua", frozenset({"admin"})))
    with kop.database.atomic():
        kop.users.set_password(approval.username, TEST_PASSWORD)
    return application, approval.username


def test_member_edits_contact_details_channel_and_opt_out(kop):
    member_id, user = enrolled_with_profile(kop)
    client = web_client(kop, user)
    page = client.get("/members/me")
    assert page.status_code == 200 and "siti@example.com" in page.get_data(as_text=True)
    response = client.post("/members/me", {"email": "siti.baru@example.com",
                                           "mobile": "0813 1111 2222",
                                           "address": "Jl. Kenanga 5, Bogor",
                                           "preferred_channel": "file",
                                           "marketing_opt_out": "1"})
    assert response.status_code == 303
    info = kop.member(member_id)
    assert info.email == "siti.baru@example.com" and info.phone.startswith("+62")
    assert info.preferred_channel == "file" and info.marketing_opt_out
    assert apps.profile(kop, member_id).address == "Jl. Kenanga 5, Bogor"
    kinds = [t.kind for t in kop.timeline(member_id)]
    assert "profile.updated" in kinds and "preferences.updated" in kinds


@pytest.mark.parametrize(("form", "field"), [
    ({"email": "bukan-email"}, "email"),
    ({"mobile": "12"}, "mobile"),
    ({"preferred_channel": "merpati"}, "preferred_channel"),
])
def test_bad_profile_input_is_shown_with_nothing_written(kop, form, field):
    _member_id, user = enrolled_with_profile(kop)
    client = web_client(kop, user)
    values = {"email": "siti@example.com", "mobile": "0812 9876 5432",
              "address": "Jl. Melati 3, Bekasi", "preferred_channel": "", **form}
    before = snapshot(kop)
    response = client.post("/members/me", values)
    assert response.status_code == 400
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_an_e_mail_of_another_member_is_refused(kop):
    enrolled_with_profile(kop, nik="3201011505900001",
                          employee_number="E-9", email="budi@example.com",
                          date_of_birth="1990-05-15", name="Budi Santoso")
    _member_id, user = enrolled_with_profile(kop)
    client = web_client(kop, user)
    before = snapshot(kop)
    response = client.post("/members/me", {"email": "budi@example.com",
                                           "mobile": "0812 9876 5432",
                                           "address": "Jl. Melati 3, Bekasi"})
    assert response.status_code == 400
    assert snapshot(kop) == before
    assert "Budi" not in response.get_data(as_text=True)


def test_member_downloads_their_own_card(kop, monkeypatch):
    import attrs

    from dyncrm_acquire.member_card import cards

    conf = attrs.evolve(cards.settings(kop), secret="kartu-anggota-rahasia-2026")
    monkeypatch.setattr(cards, "settings", lambda crm: conf)
    _member_id, user = enrolled_with_profile(kop)
    client = web_client(kop, user)
    assert "/card/my-card.pdf" in client.get("/members/me").get_data(as_text=True)
    response = client.get("/card/my-card.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]


def test_without_a_configured_secret_cards_are_signed_with_the_deployments_own_key(kop):
    import stat

    _, user = enrolled_with_profile(kop)
    client = web_client(kop, user)
    assert "/card/my-card.pdf" in client.get("/members/me").get_data(as_text=True)
    response = client.get("/card/my-card.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    key = kop.config.path.parent / "card-secret"
    assert stat.S_IMODE(key.stat().st_mode) & 0o077 == 0  # private to its owner
    assert len(key.read_text().strip()) >= 32


@pytest.mark.parametrize("url", ["/members/me", "/card/my-card.pdf"])
def test_member_pages_are_for_members_only(kop, url):
    assert web_client(kop).get(url).status_code == 302
    for role in ROLES:
        assert web_client(kop, USER_OF[role]).get(url).status_code == 403


def test_only_a_member_changes_their_own_contact_through_the_library(kop):
    from dyncrm.errors import PermissionDenied
    from dyncrm_acquire.registration.profile_edit import update_own_contact

    _member_id, _ = enrolled_with_profile(kop)
    with pytest.raises(PermissionDenied):
        update_own_contact(kop, Actor("sekretaris", frozenset({"secretary"})),
                           {"email": "x@example.com"})
    with pytest.raises(PermissionDenied):
        update_own_contact(kop, Actor.public(), {"email": "x@example.com"})


def test_a_member_gets_only_their_own_card_from_the_library(kop, monkeypatch):
    import attrs

    from dyncrm.errors import PermissionDenied
    from dyncrm_acquire.member_card import cards

    conf = attrs.evolve(cards.settings(kop), secret="kartu-anggota-rahasia-2026")
    monkeypatch.setattr(cards, "settings", lambda crm: conf)
    siti, _ = enrolled_with_profile(kop)
    budi, _ = enrolled_with_profile(kop, nik="3201011505900001", employee_number="E-9",
                                    email="budi@example.com", date_of_birth="1990-05-15",
                                    name="Budi Santoso")
    as_siti = Actor("siti", frozenset({"member"}), member_id=siti)
    [card] = cards.cards_for(kop, as_siti, member_ids=[siti])
    assert card.member_id == siti
    for asked in ([budi], [siti, budi]):
        with pytest.raises(PermissionDenied):
            cards.cards_for(kop, as_siti, member_ids=asked)
    with pytest.raises(PermissionDenied):
        cards.cards_for(kop, as_siti, stage="active")


# --- promotions ----------------------------------------------------------------------------


def promotion(kop, **fields):
    from dyncrm_acquire.promotion import promotions as promos

    fields.setdefault("title", "Pinjaman konsumtif jasa ringan")
    fields.setdefault("body", "Halo {{ member.name }}, ajukan pinjaman konsumtif sekarang.")
    return promos.add(kop, Actor.operator(), **fields)


def test_member_sees_offers_and_joins_one(kop):
    from dyncrm_acquire.promotion import promotions as promos

    _member_id, user = member_login(kop, "Ani Lestari")
    offer = promotion(kop, product="konsumtif")
    hidden = promotion(kop, title="Khusus Produksi", audience="department:Produksi")
    client = web_client(kop, user)
    page = client.get("/promotions/").get_data(as_text=True)
    assert "Pinjaman konsumtif jasa ringan" in page and "Halo Ani Lestari" in page
    assert "Khusus Produksi" not in page and "Simpanan Sukarela" in page
    response = client.post(f"/promotions/{offer.id}/claim")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/loans/simulate")
    [row] = [r for r in promos.funnel(kop, offer.id)]
    assert row.claimed == 1 and row.viewed == 1
    # a promotion not offered to her is refused, nothing written
    before = snapshot(kop)
    assert client.post(f"/promotions/{hidden.id}/claim").status_code == 400
    assert snapshot(kop) == before
    assert client.post(f"/promotions/{offer.id}/claim").status_code == 303  # replay
    assert promos.funnel(kop, offer.id)[0].claimed == 1


def test_promotion_pages_access(kop):
    _, user = member_login(kop, "Ani Lestari")
    assert web_client(kop).get("/promotions/").status_code == 302
    assert web_client(kop, "sekretaris").get("/promotions/").status_code == 403
    assert web_client(kop, user).get("/promotions/manage").status_code == 403


@pytest.mark.parametrize("who", [*ROLES, "member"])
def test_permission_matrix_of_promotion_management(kop, who):
    _, member_user = member_login(kop, "Ani Lestari")
    client = web_client(kop, member_user if who == "member" else USER_OF[who])
    allowed = who in ("admin", "secretary")
    assert client.get("/promotions/manage").status_code == (200 if allowed else 403)
    before = snapshot(kop)
    response = client.post("/promotions/manage", {"title": "x", "body": ""})
    assert response.status_code == (400 if allowed else 403)
    assert snapshot(kop) == before


def test_staff_create_a_promotion(kop):
    from dyncrm_acquire.promotion import promotions as promos

    client = web_client(kop, "sekretaris")
    response = client.post("/promotions/manage", {
        "title": "Simpanan sukarela berhadiah", "body": "Setor sukarela bulan ini.",
        "audience": "everyone", "starts_on": "", "ends_on": "", "product": "sukarela"})
    assert response.status_code == 303
    [p] = promos.find(kop)
    assert p.product == "sukarela" and p.created_by == "sekretaris"
    assert "Simpanan sukarela berhadiah" in client.get("/promotions/manage").get_data(
        as_text=True)
    before = snapshot(kop)
    response = client.post("/promotions/manage", {"title": "Salah", "body": "teks",
                                                  "audience": "semua"})
    assert response.status_code == 400 and 'id="e-audience"' in response.get_data(as_text=True)
    assert snapshot(kop) == before
    assert client.post_without_csrf("/promotions/manage", {"title": "Tanpa token",
                                                           "body": "x"}).status_code in (400,
                                                                                         403)
    assert len(promos.find(kop)) == 1


def test_members_see_only_their_own_profile_and_no_staff_pages(kop):
    siti, _ = enrolled_with_profile(kop)
    budi, budi_user = enrolled_with_profile(kop, nik="3201011505900001", employee_number="E-9",
                                            email="budi@example.com",
                                            date_of_birth="1990-05-15", name="Budi Santoso")
    client = web_client(kop, budi_user)
    page = client.get("/members/me").get_data(as_text=True)
    assert "budi@example.com" in page and "siti@example.com" not in page
    assert "Siti" not in page
    for url in (f"/members/{siti}", f"/members/applications/{siti}", "/members/?q=Siti"):
        assert client.get(url).status_code == 403
    # a form cannot point the change at someone else: the member is always the signed-in one
    response = client.post("/members/me", {"email": "budi@example.com",
                                           "mobile": "0812 9876 5432",
                                           "address": "Jl. Baru 1", "member_id": str(siti),
                                           "member": str(siti)})
    assert response.status_code == 303
    assert apps.profile(kop, siti).address == "Jl. Melati 3, Bekasi"
    assert apps.profile(kop, budi).address == "Jl. Baru 1"


def test_a_members_record_shows_the_timeline_by_phase_and_kind_of_information(kop):
    member_id, _ = member_login(kop, "Rina Kartika", username="rina")
    with kop.database.atomic():
        kop.touch(member_id, "retain", "for", "reminder.savings.wajib", Actor.system())
        kop.touch(member_id, "retain", "by", "feedback.submitted", Actor.system())
    page = web_client(kop, "sekretaris").get(f"/members/{member_id}").get_data(as_text=True)
    assert "Interaksi menurut fase dan jenis informasi" in page
    matrix = page.split('id="matrix-caption"')[1].split("</table>")[0]
    retensi = matrix.split("retensi</th>")[1].split("</tr>")[0]
    assert [c.split(">")[-1] for c in retensi.split("</td>")[:3]] == ["0", "1", "1"]
    assert "informasi untuk anggota" in page


def test_a_returned_application_is_corrected_from_its_status_link(kop):
    client = web_client(kop)
    client.get("/members/join")
    status_url = apply_online(client).headers["Location"]
    number = int(re.search(r"/status/(\d+)\?token=", status_url).group(1))
    token = status_url.split("token=")[1]
    apps.return_to_applicant(kop, number, kop.users.trusted_actor("sekretaris"),
                             "Nomor HP tidak aktif")
    page = client.get(status_url).get_data(as_text=True)
    assert "Perbaiki pendaftaran saya" in page
    amend_url = f"/members/join/status/{number}/amend?token={token}"
    form = client.get(amend_url).get_data(as_text=True)
    assert "Nomor HP tidak aktif" in form and 'value="3275014508920003"' in form
    assert client.get(f"/members/join/status/{number}/amend?token=x").status_code == 404
    bad = client.post(amend_url, {**SITI, "nik": "123", "key": key_of(form)})
    assert bad.status_code == 400 and 'id="e-nik"' in bad.get_data(as_text=True)
    done = client.post(amend_url, {**SITI, "mobile": "0813 1111 2222", "key": key_of(form)})
    assert done.status_code == 303
    application = apps.get(kop, number)
    assert application.status == "submitted" and application.mobile.endswith("2222")
    again = client.get(amend_url)  # nothing to correct any more
    assert again.status_code == 303 and "/status/" in again.headers["Location"]
