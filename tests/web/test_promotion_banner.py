"""Promotion banners in the portal: staff attach, replace and remove them; members see them."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, web_client
from dyncrm.values import Actor
from dyncrm_acquire.promotion import banners
from dyncrm_acquire.promotion import promotions as promos


def png(size=(64, 32), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_php() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 120, 30)).save(out, "JPEG")
    return out.getvalue() + b"<?php system($_GET['c']); ?>"


def stored_files(kop) -> list[str]:
    folder = banners.banners_dir(kop)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def promotion(kop, **fields):
    fields.setdefault("title", "Simpanan sukarela berhadiah")
    fields.setdefault("body", "Setor sukarela bulan ini, {{ member.name }}.")
    return promos.add(kop, Actor.operator(), **fields)


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def upload(client, promotion_id: int, data: bytes, name: str = "spanduk.png"):
    key = key_of(client.get(f"/promotions/manage/{promotion_id}").get_data(as_text=True))
    return client.post(f"/promotions/manage/{promotion_id}/banner",
                       {"key": key, "banner": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_staff_attach_a_banner_and_the_addressed_member_sees_it(kop):
    _, ani = member_login(kop, "Ani Lestari")
    _, budi = member_login(kop, "Budi Santoso")
    offer = promotion(kop)
    hidden = promotion(kop, title="Khusus Produksi", audience="department:Produksi")
    staff = web_client(kop, "sekretaris")
    assert upload(staff, offer.id, png()).status_code == 303
    assert upload(staff, hidden.id, png(colour=(0, 0, 200))).status_code == 303
    assert len(stored_files(kop)) == 2
    stored = promos.get(kop, offer.id)
    assert stored.banner and (stored.banner_width, stored.banner_height) == (64, 32)
    # stored in the deployment's data folder, readable by the owner only
    path = banners.banners_dir(kop) / stored.banner
    assert path.parent == kop.config.data_dir / "promotions"
    assert path.stat().st_mode & 0o077 == 0

    for user in (ani, budi):
        client = web_client(kop, user)
        page = client.get("/promotions/").get_data(as_text=True)
        assert (f'<img src="/promotions/{offer.id}/banner" alt="Simpanan sukarela berhadiah" '
                'width="64" height="32">') in page
        assert f"/promotions/{hidden.id}/banner" not in page
        assert "style=" not in page
        image = client.get(f"/promotions/{offer.id}/banner")
        assert image.status_code == 200
        assert image.headers["Content-Type"] == "image/png"
        assert image.headers["Content-Disposition"] == "inline"
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert image.headers["Cache-Control"].startswith("private")
        assert Image.open(io.BytesIO(image.data)).size == (64, 32)
        # a promotion not addressed to the member: as if it had no banner
        assert client.get(f"/promotions/{hidden.id}/banner").status_code == 404
    # staff managing promotions see every banner; other staff and visitors do not
    assert staff.get(f"/promotions/{hidden.id}/banner").status_code == 200
    assert web_client(kop, "kasir").get(f"/promotions/{offer.id}/banner").status_code == 404
    visitor = web_client(kop).get(f"/promotions/{offer.id}/banner")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]


def test_a_promotion_without_banner_or_unknown_gives_404(kop):
    _, ani = member_login(kop, "Ani Lestari")
    offer = promotion(kop)
    client = web_client(kop, ani)
    assert client.get(f"/promotions/{offer.id}/banner").status_code == 404
    assert client.get("/promotions/999/banner").status_code == 404
    assert "<img" not in client.get("/promotions/").get_data(as_text=True)


def test_a_banner_given_when_creating_the_promotion(kop):
    staff = web_client(kop, "sekretaris")
    response = staff.post("/promotions/manage", {
        "title": "Pinjaman jasa ringan", "body": "Ajukan sekarang.", "audience": "everyone",
        "starts_on": "", "ends_on": "", "product": "",
        "banner": (io.BytesIO(png((120, 40))), "banner.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    [p] = promos.find(kop)
    assert p.banner and p.banner_width == 120 and stored_files(kop) == [p.banner]
    assert "dengan spanduk" in staff.get("/promotions/manage").get_data(as_text=True)


@pytest.mark.parametrize(("data", "name"), [
    (b"<?php system($_GET['c']); ?>", "spanduk.png"),
    (b"Ini hanya teks, bukan gambar.\n", "spanduk.txt"),
    (png()[:40], "terpotong.png"),
])
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_written(kop, data, name):
    staff = web_client(kop, "sekretaris")
    offer = promotion(kop)
    staff.get(f"/promotions/manage/{offer.id}")
    before = snapshot(kop)
    response = upload(staff, offer.id, data, name)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="e-banner"' in page and 'aria-invalid="true"' in page
    assert snapshot(kop) == before and stored_files(kop) == []
    # refused on creation too: no promotion, no file
    response = staff.post("/promotions/manage", {
        "title": "Dengan berkas salah", "body": "Teks.", "audience": "everyone",
        "banner": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="e-banner"' in response.get_data(as_text=True)
    assert snapshot(kop) == before and stored_files(kop) == []


def test_a_php_payload_riding_on_a_jpeg_is_dropped_by_re_encoding(kop):
    staff = web_client(kop, "sekretaris")
    offer = promotion(kop)
    assert upload(staff, offer.id, jpeg_with_php(), "x.php.jpg").status_code == 303
    [name] = stored_files(kop)
    assert name.endswith(".jpg") and not name.startswith("x")
    data = (banners.banners_dir(kop) / name).read_bytes()
    assert b"<?php" not in data
    image = staff.get(f"/promotions/{offer.id}/banner")
    assert image.headers["Content-Type"] == "image/jpeg"


def test_replace_and_remove_a_banner(kop):
    _, ani = member_login(kop, "Ani Lestari")
    staff = web_client(kop, "sekretaris")
    offer = promotion(kop)
    assert upload(staff, offer.id, png()).status_code == 303
    [first] = stored_files(kop)
    # a double submit of the same form replays: one file, the same banner
    page = staff.get(f"/promotions/manage/{offer.id}").get_data(as_text=True)
    assert f'src="/promotions/{offer.id}/banner"' in page
    key = key_of(page)
    for _ in range(2):
        response = staff.post(f"/promotions/manage/{offer.id}/banner",
                              {"key": key, "banner": (io.BytesIO(png((80, 20))), "b.png")},
                              content_type="multipart/form-data")
        assert response.status_code == 303
    [second] = stored_files(kop)
    assert second != first and promos.get(kop, offer.id).banner_width == 80
    assert staff.post(f"/promotions/manage/{offer.id}/banner/remove").status_code == 303
    assert stored_files(kop) == [] and promos.get(kop, offer.id).banner is None
    assert web_client(kop, ani).get(f"/promotions/{offer.id}/banner").status_code == 404
    # removing again changes nothing
    before = snapshot(kop)
    assert staff.post(f"/promotions/manage/{offer.id}/banner/remove").status_code == 303
    assert snapshot(kop) == before
    # no file chosen: the field says so
    response = staff.post(f"/promotions/manage/{offer.id}/banner", {"key": key_of(
        staff.get(f"/promotions/manage/{offer.id}").get_data(as_text=True))},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "Pilih berkas gambar." in response.get_data(
        as_text=True)


@pytest.mark.parametrize("who", [*ROLES, "member"])
def test_only_promotion_managers_upload_or_remove_banners(kop, who):
    _, member_user = member_login(kop, "Ani Lestari")
    offer = promotion(kop)
    client = web_client(kop, member_user if who == "member" else USER_OF[who])
    allowed = who in ("admin", "secretary")
    assert client.get(f"/promotions/manage/{offer.id}").status_code == (200 if allowed
                                                                        else 403)
    before = snapshot(kop)
    response = client.post(f"/promotions/manage/{offer.id}/banner",
                           {"banner": (io.BytesIO(png()), "b.png")},
                           content_type="multipart/form-data")
    assert response.status_code == (303 if allowed else 403)
    if not allowed:
        assert snapshot(kop) == before and stored_files(kop) == []
        assert client.post(f"/promotions/manage/{offer.id}/banner/remove").status_code == 403


def test_banner_pages_send_visitors_to_sign_in(kop):
    offer = promotion(kop)
    visitor = web_client(kop)
    for url in (f"/promotions/manage/{offer.id}", f"/promotions/{offer.id}/banner"):
        response = visitor.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
