"""The acquire commands end to end, through the real CLI on a fresh database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from acquire_support import SECRET, dump

from dyncrm.app import open_crm
from dyncrm.testing import run_cli

CONFIG = """\
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
address = "Jl. Industri No. 5, Bekasi"

[database]
url = "sqlite:///dyncrm.db"

[plugins]
enabled = ["acquire.registration", "acquire.member_card", "acquire.promotion"]

[plugins."acquire.registration"]
number_pattern = "XYZ-{year}-{seq:05d}"

[plugins."acquire.member_card"]
secret = { "$env" = "TEST_CARD_SECRET" }

[notify]
default_channel = "file"
"""

SITI = ["--full-name", "Siti Aminah", "--nik", "3275014508920003", "--employee-number",
        "E-2001", "--department", "Keuangan", "--email", "siti@example.com", "--mobile",
        "0812 9876 5432", "--address", "Jl. Melati 3, Bekasi", "--date-of-birth", "1992-08-05",
        "--take-home-pay", "6.500.000"]


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_CARD_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["init", str(tmp_path), "--admin-password-stdin"],
                           input="correct horse battery\n")
    assert code == 0, err
    config = tmp_path / "dyncrm.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0

    def cli(user: str, *args: str, input: str | None = None):
        return run_cli(["-c", str(config), "--as", user, *args], input=input)

    assert cli("admin", "user", "add", "sec", "--role", "secretary",
               "--password-stdin", input="correct horse battery\n")[0] == 0
    assert cli("admin", "user", "add", "kasir", "--role", "cashier",
               "--password-stdin", input="correct horse battery\n")[0] == 0
    for person in ("sec", "kasir"):  # signed in before any test takes its snapshot
        assert cli(person, "whoami")[0] == 0
    cli.config = config
    return cli


def state(config: Path):
    with open_crm(config) as crm:
        return dump(crm)


def test_apply_verify_approve_gives_a_member_a_welcome_and_a_card(deployment, tmp_path):
    cli = deployment
    code, out, err = cli("sec", "member", "apply", *SITI, "--json")
    assert code == 0, err
    app = json.loads(out)["data"]
    assert app["status"] == "submitted" and app["mobile"] == "+6281298765432"
    code, out, err = cli("sec", "member", "verify", str(app["id"]), "--accept")
    assert code == 0 and "accepted" in out
    code, out, err = cli("admin", "member", "approve", str(app["id"]))
    assert code == 0, err
    with open_crm(deployment.config) as crm:
        year = crm.today().year
    number = f"XYZ-{year}-00001"
    assert f"Siti Aminah is member {number}" in out and "welcome message" in out
    code, out, _ = cli("admin", "member", "approve", str(app["id"]))
    assert code == 0 and out.startswith("already recorded")

    code, out, _ = cli("sec", "member", "show", number, "--json")
    shown = json.loads(out)["data"]
    assert shown["member"]["stage"] == "active"
    details = {d["label"]: d["text"] for d in shown["details"]}
    assert details["KTP NIK"] == "3275014508920003"
    assert details["Take-home pay"] == "Rp 6.500.000"
    code, out, _ = cli("admin", "outbox", "list", "--json")
    kinds = [m["kind"] for m in json.loads(out)["data"]]
    assert kinds == ["acquire.application_received", "acquire.welcome"]

    code, out, err = cli("sec", "card", "print", number, "--out", "cards/siti.pdf")
    assert code == 0, err
    pdf = (tmp_path / "cards" / "siti.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(pdf)
    w, h = doc[0].get_size()
    assert round(w / 72 * 25.4, 1) == 85.6 and round(h / 72 * 25.4, 1) == 54.0
    text = doc[0].get_textpage().get_text_range()
    assert number in text and "Siti Aminah" in text and "Aktif" in text
    doc.close()
    code, out, err = cli("sec", "card", "print", number, "--png")
    assert code == 0, err
    assert (tmp_path / f"card-{number}.png").read_bytes().startswith(b"\x89PNG")

    with open_crm(deployment.config) as crm:
        from dyncrm_acquire.member_card import sign

        payload = sign(crm, number, 1)
    code, out, _ = cli("kasir", "card", "verify", payload)
    assert code == 0 and out.startswith("VALID") and "Siti Aminah" in out
    assert cli("sec", "card", "reissue", number, "--reason", "lost")[0] == 0
    code, out, err = cli("kasir", "card", "verify", payload, "--json")
    assert code == 1 and json.loads(out)["data"]["status"] == "superseded"
    assert "SUPERSEDED" in err
    code, _, err = cli("kasir", "card", "verify", payload[:-2] + "22")
    assert code == 1 and "INVALID" in err


def test_duplicates_and_bad_fields_are_refused_clearly(deployment):
    cli = deployment
    assert cli("sec", "member", "apply", *SITI)[0] == 0
    before = state(deployment.config)
    other = list(SITI)
    other[other.index("--email") + 1] = "SITI@example.com"
    other[other.index("--nik") + 1] = "3275014508920004"
    other[other.index("--employee-number") + 1] = "E-2002"
    code, out, err = cli("sec", "member", "apply", *other)
    assert code == 1 and out == ""
    assert err.strip() == ("Error: the application cannot be accepted: an application or "
                           "membership with this e-mail already exists")
    code, _, err = cli("sec", "member", "apply", "--full-name", "X", "--nik", "123",
                       "--email", "nope", "--mobile", "021-555", "--date-of-birth", "1990-13-01")
    assert code == 1
    for part in ("full_name:", "nik: a KTP NIK has exactly 16 digits", "email:", "mobile:",
                 "date_of_birth: write the date as YYYY-MM-DD", "department: is required"):
        assert part in err
    code, _, err = cli("kasir", "member", "apply", *other)
    assert code == 1 and "kasir may not members.apply" in err
    code, _, err = cli("sec", "member", "approve", "1")
    assert code == 1 and "may not members.decide" in err
    code, _, err = cli("admin", "member", "approve", "1")
    assert code == 1 and "cannot approve application #1: it is 'submitted'" in err
    code, _, err = cli("sec", "member", "verify", "1")
    assert code == 2 and "--accept or --return-reason" in err
    code, _, err = cli("sec", "member", "verify", "42", "--accept")
    assert code == 1 and "application '42' not found" in err
    assert state(deployment.config) == before


def test_a_promotion_reaches_its_audience_once_and_the_funnel_counts(deployment, tmp_path):
    cli = deployment
    for i, dept in enumerate(["Produksi", "Produksi", "Keuangan"], start=1):
        code, out, err = cli("sec", "member", "apply", "--full-name", f"Anggota {'ABC'[i - 1]}",
                             "--nik", f"32750145089200{i:02d}", "--employee-number", f"E-{i}",
                             "--department", dept, "--email", f"a{i}@example.com",
                             "--mobile", f"08129876500{i}", "--address", "Jl. Melati, Bekasi",
                             "--date-of-birth", "1992-08-05", "--json")
        assert code == 0, err
        app_id = str(json.loads(out)["data"]["id"])
        assert cli("sec", "member", "verify", app_id, "--accept")[0] == 0
        assert cli("admin", "member", "approve", app_id)[0] == 0
    code, out, err = cli("sec", "promo", "add", "--title", "Pinjaman lebaran",
                         "--body", "Halo {{ member.name }}!", "--audience",
                         "department:Produksi", "--json")
    assert code == 0, err
    promo_id = str(json.loads(out)["data"]["id"])
    code, out, _ = cli("sec", "promo", "push", promo_id)
    assert code == 0 and "queued 2 messages" in out
    code, out, _ = cli("sec", "promo", "push", promo_id)
    assert code == 0 and "queued 0 messages" in out and "already reached 2" in out
    code, out, _ = cli("admin", "outbox", "list", "--json")
    promos = [m for m in json.loads(out)["data"] if m["kind"] == "acquire.promotion"]
    assert sorted(m["to"] for m in promos) == ["a1@example.com", "a2@example.com"]
    with open_crm(deployment.config) as crm:
        year = crm.today().year
    first, third = f"XYZ-{year}-00001", f"XYZ-{year}-00003"
    assert cli("sec", "promo", "view", promo_id, first)[0] == 0
    code, out, _ = cli("sec", "promo", "view", promo_id, first)
    assert out.startswith("already recorded")
    assert cli("sec", "promo", "claim", promo_id, first)[0] == 0
    code, _, err = cli("sec", "promo", "view", promo_id, third)
    assert code == 1 and "not offered" in err
    code, out, _ = cli("sec", "promo", "funnel", promo_id, "--json")
    [row] = json.loads(out)["data"]
    assert (row["reached"], row["viewed"], row["claimed"], row["applied"], row["joined"]) == \
        (2, 1, 1, 0, 0)
    code, out, _ = cli("sec", "promo", "funnel")
    assert "Pinjaman lebaran" in out and "1 (50%)" in out
    code, out, _ = cli("sec", "promo", "for", first, "--json")
    assert [p["id"] for p in json.loads(out)["data"]] == [int(promo_id)]
    code, _, err = cli("sec", "promo", "push", "99")
    assert code == 1 and "promotion '99' not found" in err

    code, out, _ = cli("sec", "member", "list", "--department", "produksi", "--csv",
                       str(tmp_path / "members.csv"))
    assert code == 0 and "wrote 2 members" in out
    rows = list(csv.DictReader((tmp_path / "members.csv").open(encoding="utf-8")))
    assert [r["number"] for r in rows] == [first, f"XYZ-{year}-00002"]
    code, out, _ = cli("sec", "member", "list", "--stage", "active")
    assert out.rstrip().endswith("3 members")
    code, out, _ = cli("sec", "promo", "referral-code", first)
    assert code == 0 and len(out.strip()) == 6


def test_a_promotions_banner_from_the_command_line(deployment, tmp_path):
    import io

    from PIL import Image

    cli = deployment
    code, out, err = cli("sec", "promo", "add", "--title", "Simpanan Sukarela 5%", "--body",
                         "Halo {{ member.name }}.", "--json")
    assert code == 0, err
    promotion = json.loads(out)["data"]["id"]
    picture = tmp_path / "banner.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), (10, 90, 60)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    code, out, err = cli("sec", "promo", "banner", str(promotion), str(picture), "--json")
    assert code == 0, err
    assert json.loads(out)["data"]["content_type"] == "image/png"
    script = tmp_path / "banner.php"
    script.write_bytes(b"<?php system($_GET['c']); ?>")
    before = state(deployment.config)
    code, _, err = cli("sec", "promo", "banner", str(promotion), str(script))
    assert code == 1 and "banner: the file is not one of the accepted types" in err
    assert state(deployment.config) == before
    assert cli("kasir", "promo", "banner", str(promotion), "--remove")[0] != 0
    code, out, err = cli("sec", "promo", "banner", str(promotion), "--remove")
    assert code == 0 and "banner removed" in out, err
    code, out, _ = cli("sec", "promo", "banner", str(promotion), "--remove")
    assert "nothing changed" in out
