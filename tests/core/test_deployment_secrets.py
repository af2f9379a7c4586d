"""Secrets of a deployment: made at ``dyncrm init``, and a missing ``$env`` stops only
the command that needs it (issue 14: card printing out of the box)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dyncrm.app import open_crm
from dyncrm.testing import active_member, run_cli

ADMIN_PASSWORD = "Sudirman-kop-2025"
CARD_ENV = "KOPERASI_XYZ_CARD_SECRET"
COMMENTED = '# secret = { "$env" = "KOPERASI_XYZ_CARD_SECRET" }'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def koperasi(tmp_path: Path) -> Path:
    """``dyncrm init --from koperasi_xyz`` with one numbered member; the config's path."""
    code, _, err = run_cli(["init", str(tmp_path / "kop"), "--from", "koperasi_xyz"],
                           env={"DYNCRM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert code == 0, err
    config = tmp_path / "kop" / "dyncrm.toml"
    with open_crm(config) as crm:
        active_member(crm, "Budi Santoso", number="XYZ-2025-00001")
    return config


def test_init_makes_the_card_and_web_secrets_readable_by_their_owner_only(koperasi) -> None:
    folder = koperasi.parent
    for name in ("card-secret", "web-secret"):
        path = folder / name
        assert mode(path) == 0o600, name
        assert len(path.read_text().strip()) >= 43, "48 random bytes as URL-safe text"
    assert (folder / "card-secret").read_text() != (folder / "web-secret").read_text()


def test_init_says_which_secret_files_it_made(tmp_path: Path) -> None:
    code, out, err = run_cli(["init", str(tmp_path / "kop"), "--from", "koperasi_xyz"],
                             env={"DYNCRM_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert code == 0, err
    assert "card-secret (readable by its owner only)" in out
    assert "web-secret (readable by its owner only)" in out


def test_a_card_prints_out_of_the_box_and_verifies(koperasi, tmp_path: Path) -> None:
    secret = (koperasi.parent / "card-secret").read_text()
    out_pdf = tmp_path / "kartu.pdf"
    code, _, err = run_cli(["-c", str(koperasi), "--as", "admin", "card", "print",
                            "XYZ-2025-00001", "--out", str(out_pdf)])
    assert code == 0, err
    assert out_pdf.read_bytes().startswith(b"%PDF") and mode(out_pdf) == 0o600
    assert (koperasi.parent / "card-secret").read_text() == secret, "the key made at init"
    from dyncrm_acquire.member_card import sign, verify

    with open_crm(koperasi) as crm:
        assert verify(crm, sign(crm, "XYZ-2025-00001", 1)).status == "valid"


def test_an_unset_card_secret_variable_stops_only_the_card_commands(koperasi, tmp_path,
                                                                     monkeypatch) -> None:
    monkeypatch.delenv(CARD_ENV, raising=False)
    text = koperasi.read_text(encoding="utf-8")
    assert COMMENTED in text
    koperasi.write_text(text.replace(COMMENTED, COMMENTED.lstrip("# ")), encoding="utf-8")

    code, out, err = run_cli(["-c", str(koperasi), "--as", "admin", "member", "list"])
    assert code == 0, err
    assert "XYZ-2025-00001" in out
    assert "No such command" not in err
    assert f"environment variable {CARD_ENV}, which is not set" in err  # a warning only

    from dyncrm_acquire.models import CardRow

    with open_crm(koperasi):
        cards = CardRow.select().count()
    code, out, err = run_cli(["-c", str(koperasi), "--as", "admin", "card", "print",
                              "XYZ-2025-00001", "--out", str(tmp_path / "k.pdf")])
    assert code == 2
    assert f"environment variable {CARD_ENV} is not set; this command needs it" in err
    assert "[plugins.acquire.member_card.secret]" in err
    assert "No such command" not in err
    assert not (tmp_path / "k.pdf").exists()
    with open_crm(koperasi):
        assert CardRow.select().count() == cards, "no card issued by the refused command"

    # the file's key is never used in place of the one the config names
    code, out, err = run_cli(["-c", str(koperasi), "--as", "admin", "card", "print",
                              "XYZ-2025-00001", "--out", str(tmp_path / "k.pdf")],
                             env={CARD_ENV: "kunci-kartu-koperasi-xyz-0123456789"})
    assert code == 0, err
    assert (tmp_path / "k.pdf").exists()


def test_a_config_that_does_not_load_is_named_instead_of_no_such_command(koperasi) -> None:
    text = koperasi.read_text(encoding="utf-8")
    koperasi.write_text(text.replace('[notify]\n', '[notify]\nnot_a_setting = 1\n'),
                        encoding="utf-8")
    code, _, err = run_cli(["-c", str(koperasi), "member", "list"])
    assert code == 2
    assert "not_a_setting" in err and "No such command" not in err
