"""``dyncrm leave ...`` and the Done-when path of savings and leaving, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_savings_cli import TOML
from test_savings_helpers import PNG, add_member, staff

from dyncrm.app import open_crm
from dyncrm.money import Money
from dyncrm.testing import run_cli


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def deployment(tmp_path: Path):
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    with open_crm(config) as crm:
        for name, role in (("kasir", "cashier"), ("kasir2", "cashier"),
                           ("bendahara", "treasurer"), ("sekretaris", "secretary"),
                           ("ketua", "admin")):
            staff(crm, name, role)
        # joined this month on the 1st: this month's wajib is due on the 10th (this month in
        # the cooperative's time zone: in Jakarta the day starts 7 hours before UTC's)
        member = add_member(crm, "Siti Aminah", number="XYZ-0001",
                            joined=crm.today().replace(day=1))
        staff(crm, "siti", "member", member_id=member)
    return config


def cli(config: Path, *args: str, user: str = "kasir") -> tuple[int, str, str]:
    return run_cli(["-c", str(config), "--as", user, *args])


def ok(config: Path, *args: str, user: str = "kasir") -> str:
    code, out, err = cli(config, *args, user=user)
    assert code == 0, f"{args}: {err}"
    return out


def test_done_when_a_member_saves_and_leaves_with_a_correct_settlement(deployment, tmp_path):
    # pokok and wajib in cash / by payroll
    ok(deployment, "savings", "deposit", "XYZ-0001", "pokok", "100.000", "--method", "cash",
       "--ref", "KW-1")
    ok(deployment, "savings", "deposit", "XYZ-0001", "wajib", "50.000", "--method", "payroll",
       "--ref", "PAY-1:1")
    # sukarela by transfer with a proof, verified by a cashier
    proof = tmp_path / "bukti-transfer.png"
    proof.write_bytes(PNG)
    out = ok(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "750.000", "--method",
             "transfer", "--ref", "BCA-123", "--proof", str(proof), user="siti")
    deposit_id = out.split("#", 1)[1].split(":", 1)[0]
    ok(deployment, "savings", "verify", deposit_id, user="kasir2")
    # withdraw sukarela
    ok(deployment, "savings", "withdraw", "XYZ-0001", "250.000", "--ref", "TT-1")
    balance = json.loads(ok(deployment, "savings", "balance", "XYZ-0001", "--json"))["data"]
    assert {k: v["amount"] for k, v in balance["balances"].items()} == {
        "pokok": "100000", "wajib": "50000", "sukarela": "500000"}
    assert balance["wajib_arrears"] == []

    # leave: request by the member, settlement shown as a table
    out = ok(deployment, "leave", "request", "XYZ-0001", "--reason", "resigned from the company",
             user="siti")
    assert "recorded leave request #1" in out
    assert "Simpanan Pokok" in out and "Total refund" in out and "Rp 650.000" in out
    preview = json.loads(ok(deployment, "leave", "settlement", "XYZ-0001", "--json",
                            user="siti"))["data"]
    assert preview["total"]["amount"] == "650000"
    assert [ln["amount"]["amount"] for ln in preview["lines"]] == ["100000", "50000", "500000"]
    assert {ln["amount"]["currency"] for ln in preview["lines"]} == {"IDR"}
    code, out, err = cli(deployment, "leave", "approve", "1", user="sekretaris")
    assert code == 1 and "may not leave.approve" in err
    with open_crm(deployment) as crm:
        payout = crm.today().isoformat()  # the approval's day: today in the cooperative
    out = ok(deployment, "leave", "approve", "1", "--payout-on", payout, user="ketua")
    assert "XYZ-0001 Siti Aminah is now leaving" in out and "Rp 650.000" in out
    shown = ok(deployment, "leave", "show", "1", user="siti")
    assert "approved" in shown and "Settlement posted on" in shown
    out = ok(deployment, "leave", "pay", "1", "--method", "transfer", "--ref", "OUT-1")
    assert "paid Rp 650.000 to XYZ-0001 Siti Aminah" in out
    out = ok(deployment, "leave", "pay", "1", "--method", "transfer", "--ref", "OUT-1")
    assert out.startswith("already recorded")
    listed = json.loads(ok(deployment, "leave", "list", "--json", user="sekretaris"))["data"]
    assert [(r["id"], r["status"], r["settlement_total"]) for r in listed] == [
        (1, "paid", {"amount": "650000", "currency": "IDR"})]
    assert "paid" in ok(deployment, "leave", "list", "--status", "paid", user="sekretaris")

    with open_crm(deployment) as crm:
        from dyncrm_expand import savings

        member = crm.member("XYZ-0001")
        assert member.stage == "inactive"
        assert all(not v for v in savings.balances(crm, member.id).values())
        assert crm.ledger.balance("bank") == rp(50000 + 750000 - 650000)
        assert crm.ledger.balance("cash") == rp(100000 - 250000)
        assert all(v == 0 for v in crm.ledger.trial_balance().values())
        assert len(crm.timeline(member.id)) >= 8
    out = ok(deployment, "ledger", "trial-balance", user="bendahara")
    assert "postings balance: yes" in out


def test_cancel_and_refusals_through_the_cli(deployment):
    ok(deployment, "savings", "deposit", "XYZ-0001", "wajib", "50000", "--method", "cash",
       "--ref", "W")
    ok(deployment, "leave", "request", "XYZ-0001", "--reason", "moving", user="sekretaris")
    code, out, err = cli(deployment, "leave", "request", "XYZ-0001", "--reason", "again",
                         user="sekretaris")
    assert code == 1 and "already has leave request #1 (requested)" in err
    code, out, err = cli(deployment, "leave", "pay", "1", "--method", "cash", "--ref", "X")
    assert code == 1 and "cannot pay leave request #1: it is 'requested'" in err
    ok(deployment, "leave", "approve", "1", user="bendahara")
    out = ok(deployment, "leave", "cancel", "1", "--reason", "stays after all",
             user="sekretaris")
    assert "settlement reversed by ledger entry" in out
    assert "cancelled" in ok(deployment, "leave", "show", "1", user="sekretaris")
    code, out, err = cli(deployment, "leave", "cancel", "1", "--reason", "twice",
                         user="sekretaris")
    assert code == 1 and "it is 'cancelled'" in err
    code, out, err = cli(deployment, "leave", "show", "99", user="sekretaris")
    assert code == 1 and "leave request 99 not found" in err
    with open_crm(deployment) as crm:
        from dyncrm_expand import savings

        member = crm.member("XYZ-0001")
        assert member.stage == "active"
        assert savings.balance(crm, member.id, "wajib") == rp(50000)
    assert "no leave requests" in ok(deployment, "leave", "list", "--status", "paid",
                                     user="sekretaris")
