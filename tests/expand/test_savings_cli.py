"""``dyncrm savings ...`` through the real command line, on a fresh SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from test_savings_helpers import JPEG, PDF, add_member, staff

from dyncrm.app import open_crm
from dyncrm.money import Money
from dyncrm.testing import run_cli, today_of

TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["expand.savings", "expand.deactivation"]

[plugins."expand.savings".sukarela]
minimum_balance = "10000"

[notify]
default_channel = "file"
file_directory = "outbox"
"""


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def deployment(tmp_path: Path):
    """A fresh deployment: config, schema, staff and one member (``XYZ-0001``)."""
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, out, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    assert "applied expand.savings:0001_initial" in out
    with open_crm(config) as crm:
        for name, role in (("kasir", "cashier"), ("kasir2", "cashier"),
                           ("bendahara", "treasurer"), ("sekretaris", "secretary"),
                           ("ketua", "admin")):
            staff(crm, name, role)
        member = add_member(crm, "Siti Aminah", number="XYZ-0001",
                            joined=dt.date.today() - dt.timedelta(days=40))
        staff(crm, "siti", "member", member_id=member)
        add_member(crm, "Budi Santoso", number="XYZ-0002")
    return config


def cli(config: Path, *args: str, user: str = "kasir") -> tuple[int, str, str]:
    return run_cli(["-c", str(config), "--as", user, *args])


def test_deposits_verification_withdrawal_and_reports(deployment, tmp_path):
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "pokok", "100.000",
                         "--method", "cash", "--ref", "KW-001")
    assert code == 0, err
    assert "posted deposit #1: Rp 100.000 to Simpanan Pokok of XYZ-0001" in out
    code, out, _ = cli(deployment, "savings", "deposit", "XYZ-0001", "pokok", "100000",
                       "--method", "cash", "--ref", "KW-001")
    assert code == 0 and out.startswith("already recorded: deposit #1")
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "wajib", "50000",
                         "--method", "payroll", "--ref", "PAY-1:7")
    assert code == 0, err

    proof = tmp_path / "bukti.jpg"
    proof.write_bytes(JPEG)
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "500000",
                         "--method", "transfer", "--ref", "TRF-9", "--proof", str(proof),
                         user="siti")
    assert code == 0, err
    assert "waiting for a cashier to verify it (dyncrm savings verify 3)" in out
    code, out, err = cli(deployment, "savings", "pending", "--json")
    pending = json.loads(out)["data"]
    assert [p["id"] for p in pending] == [3] and pending[0]["recorded_by"] == "siti"
    assert Path(pending[0]["proof"]).read_bytes()[:3] == JPEG[:3]  # stored re-encoded
    assert "bukti" not in Path(pending[0]["proof"]).name
    code, out, err = cli(deployment, "savings", "show", "3", user="siti")
    assert code == 0 and "bukti.jpg" in out and "image/jpeg" in out
    code, out, err = cli(deployment, "savings", "verify", "3")
    assert code == 0, err
    assert "verified deposit #3: Rp 500.000 posted to Simpanan Sukarela" in out
    code, out, _ = cli(deployment, "savings", "verify", "3", user="kasir2")
    assert code == 0 and "already posted" in out

    code, out, err = cli(deployment, "savings", "withdraw", "XYZ-0001", "495.000",
                         "--ref", "TT-1")
    assert code == 1 and "at most Rp 490.000 can be withdrawn" in err
    code, out, err = cli(deployment, "savings", "withdraw", "XYZ-0001", "200000", "--ref",
                         "TT-1")
    assert code == 0, err
    assert "Simpanan Sukarela is now Rp 300.000" in out
    code, out, err = cli(deployment, "savings", "withdraw", "XYZ-0001", "50000", "--ref",
                         "TT-2", "--product", "wajib")
    assert code == 1
    assert "Simpanan Wajib cannot be withdrawn while member XYZ-0001 is a member" in err

    code, out, err = cli(deployment, "savings", "balance", "XYZ-0001", "--json", user="siti")
    assert code == 0, err
    data = json.loads(out)["data"]
    assert {k: v["amount"] for k, v in data["balances"].items()} == {
        "pokok": "100000", "wajib": "50000", "sukarela": "300000"}
    assert data["total"] == {"amount": "450000", "currency": "IDR"}
    code, out, err = cli(deployment, "savings", "balance", "XYZ-0002", user="siti")
    assert code == 1 and "may not savings.view" in err
    code, out, _ = cli(deployment, "savings", "balance", "XYZ-0001")
    assert re.search(r"Simpanan Sukarela +Rp 300\.000", out)

    year = str(today_of(deployment).year)  # the deployment's year (Jakarta)
    target = tmp_path / "statement.csv"
    code, out, err = cli(deployment, "savings", "statement", "XYZ-0001", "--year", year,
                         "--product", "sukarela", "--csv", str(target))
    assert code == 0, err
    assert "closing Rp 300.000" in out
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["amount"], r["balance"]) for r in rows] == [("500000", "500000"),
                                                          ("-200000", "300000")]
    code, out, _ = cli(deployment, "savings", "statement", "XYZ-0001", "--json")
    assert len(json.loads(out)["data"]["statements"]) == 3

    code, out, err = cli(deployment, "savings", "arrears", "--json")
    assert code == 0, err
    arrears = {r["member"]: r["amount"]["amount"]
               for r in json.loads(out)["data"]["arrears"]}
    with open_crm(deployment) as crm:
        from dyncrm_expand import savings

        expected = savings.arrears_by_member(crm, crm.today())
        assert arrears == {crm.member(i).number: str(a.amount) for i, a in expected.items()}
    assert "XYZ-0002" in arrears
    code, out, err = cli(deployment, "savings", "arrears")
    assert code == 0 and "member(s), total" in out

    code, out, err = cli(deployment, "ledger", "trial-balance", user="bendahara")
    assert code == 0 and "postings balance: yes" in out


def test_rejection_and_bad_input_through_the_cli(deployment, tmp_path):
    fake = tmp_path / "bukti.jpg"
    fake.write_text("not really a photo")
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "1000",
                         "--method", "transfer", "--ref", "T1", "--proof", str(fake))
    assert code == 1 and "content was checked" in err
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "1000",
                         "--method", "transfer", "--ref", "T1")
    assert code == 1 and "needs the proof" in err
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "saham", "1000",
                         "--method", "cash", "--ref", "X")
    assert code == 1 and "unknown savings product 'saham'" in err
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0404", "wajib", "1000",
                         "--method", "cash", "--ref", "X")
    assert code == 1 and "not found" in err
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "wajib", "1000",
                         "--method", "cash", "--ref", "X", user="sekretaris")
    assert code == 1 and "may not savings.deposit" in err
    code, out, err = cli(deployment, "savings", "pending")
    assert "no transfers are waiting" in out

    good = tmp_path / "bukti.pdf"
    good.write_bytes(PDF)
    cli(deployment, "savings", "deposit", "XYZ-0001", "wajib", "50000", "--method", "transfer",
        "--ref", "T2", "--proof", str(good))
    code, out, err = cli(deployment, "savings", "verify", "1")
    assert code == 1 and "another cashier must check it" in err
    code, out, err = cli(deployment, "savings", "reject", "1", "--reason",
                         "no such transfer on the bank statement", user="kasir2")
    assert code == 0 and "rejected deposit #1" in out
    code, out, err = cli(deployment, "outbox", "send", user="ketua")
    assert code == 0 and "sent 1" in out
    outbox = list((deployment.parent / "outbox").iterdir())
    assert any("no such transfer" in p.read_text(encoding="utf-8") for p in outbox)


def test_set_class_changes_the_wajib_amount(tmp_path):
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML + '\n[plugins."expand.savings".wajib]\namount = "50000"\n'
                      'by_class = { III = "75000" }\n', encoding="utf-8")
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    with open_crm(config) as crm:
        staff(crm, "bendahara", "treasurer")
        add_member(crm, "Siti", number="XYZ-0001", joined=dt.date.today())
    code, _, err = cli(config, "savings", "set-class", "XYZ-0001", "III", user="bendahara")
    assert code == 0, err
    with open_crm(config) as crm:
        from dyncrm_expand import savings

        assert savings.wajib_due(crm, crm.member("XYZ-0001").id, dt.date.today()) == rp(75000)
    code, _, err = cli(config, "savings", "set-class", "XYZ-0001", "IX", user="bendahara")
    assert code == 1 and "unknown class 'IX'; classes: III" in err
