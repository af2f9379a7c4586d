"""``dyncrm loan ...`` and ``dyncrm rewards ...`` through the real command line: apply,
approval by another person, disbursement, a late repayment with denda, an on-time one
that earns points, an early payoff, and redeeming points."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from test_loan_helpers import add_member, staff

from dyncrm.app import open_crm
from dyncrm.money import Money
from dyncrm.testing import run_cli

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
enabled = ["expand.savings", "expand.loans", "expand.rewards"]

[plugins."expand.loans".products.konsumtif]
name = "Pinjaman Konsumtif"
method = "flat"
rate = "1"
rate_unit = "per_month"
term_min = 1
term_max = 36
due_day = 25
fees = [{ name = "provisi", percent = "1", mode = "deducted" }]
penalty = { kind = "percent_per_month", percent = "2" }
limits = { max_savings_multiple = "3", one_active_loan = true }
payoff = { interest_months = 1 }

[plugins."expand.rewards".rules]
on_time_installment = 10

[plugins."expand.rewards".catalogue.payung]
name = "Umbrella"
points = 150
stock = 1

[notify]
default_channel = "file"
file_directory = "outbox"
"""

TODAY = dt.date.today()
START = TODAY - dt.timedelta(days=120)


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def deployment(tmp_path: Path):
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, out, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    assert "applied expand.loans:0001_initial" in out
    assert "applied expand.rewards:0001_initial" in out
    with open_crm(config) as crm:
        for name, role in (("kasir", "cashier"), ("bendahara", "treasurer"),
                           ("sekretaris", "secretary"), ("komite", "credit_committee"),
                           ("komite2", "credit_committee")):
            staff(crm, name, role)
        add_member(crm, "Siti Aminah", number="XYZ-0001", login="siti",
                   joined=START - dt.timedelta(days=400))
    return config


def cli(config: Path, *args: str, user: str = "kasir") -> tuple[int, str, str]:
    return run_cli(["-c", str(config), "--as", user, *args])


def test_loan_from_application_to_early_payoff(deployment) -> None:
    day = START.isoformat()
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "2.000.000",
                         "--method", "cash", "--ref", "KW-1", "--date", day)
    assert code == 0, err
    # simulate before applying: the koperasi.md vector
    code, out, err = cli(deployment, "loan", "simulate", "--amount", "12.000.000", "--term",
                         "12", "--method", "efektif", "--rate", "1", "--rate-unit",
                         "per_month", "--json")
    assert code == 0, err
    sim = json.loads(out)["data"]
    assert sim["rows"][0]["installment"] == {"amount": "1120000", "currency": "IDR"}
    assert sim["rows"][-1]["installment"]["amount"] == "1010000"
    code, out, err = cli(deployment, "loan", "simulate", "konsumtif", "--amount", "3000000",
                         "--term", "3")
    assert code == 0 and "fee provisi: Rp 30.000 (deducted)" in out
    assert "total interest Rp 90.000" in out

    # the member applies; 7,000,000 is more than 3× her savings
    code, out, err = cli(deployment, "loan", "apply", "XYZ-0001", "konsumtif", "7.000.000",
                         "--term", "6", "--date", day, user="siti")
    assert code == 0, err
    assert "recorded loan 1" in out and "above 3× the member's savings" in out
    code, out, err = cli(deployment, "loan", "withdraw", "1", "--reason", "too much",
                         user="siti")
    assert code == 0 and "withdrew loan 1" in out
    code, out, err = cli(deployment, "loan", "apply", "XYZ-0001", "konsumtif", "3.000.000",
                         "--term", "3", "--date", day, "--purpose", "school fees",
                         user="siti")
    assert code == 0 and "recorded loan 2" in out and "note for" not in out

    # four eyes: the applicant cannot approve; a committee member can
    code, out, err = cli(deployment, "loan", "approve", "2", user="siti")
    assert code == 1 and "siti may not loans.decide" in err
    code, out, err = cli(deployment, "loan", "show", "2", user="komite")
    assert code == 0, err
    assert "Loan 2 — Pinjaman Konsumtif (submitted)" in out
    assert "no reasons against it" in out and "savings sukarela" in out
    code, out, err = cli(deployment, "loan", "approve", "2", "--reason", "good history",
                         "--date", day, user="komite")
    assert code == 0 and "approved loan 2" in out
    code, out, err = cli(deployment, "loan", "approve", "2", user="komite2")
    assert code == 1 and "cannot approve loan 2: it is 'approved'" in err

    code, out, err = cli(deployment, "loan", "disburse", "2", "--method", "transfer", "--ref",
                         "TRF-9", "--date", day, user="bendahara")
    assert code == 0, err
    assert "paid out Rp 2.970.000 (fees: provisi Rp 30.000)" in out
    code, out, _ = cli(deployment, "loan", "disburse", "2", "--method", "transfer", "--ref",
                       "TRF-9", user="bendahara")
    assert code == 0 and "already disbursed" in out

    code, out, err = cli(deployment, "loan", "schedule", "2", "--json")
    assert code == 0, err
    rows = json.loads(out)["data"]
    first_due = dt.date.fromisoformat(rows[0]["due_on"])
    second_due = dt.date.fromisoformat(rows[1]["due_on"])
    assert [r["principal"] for r in rows] == [{"amount": "1000000", "currency": "IDR"}] * 3

    # installment 1 paid five days late: 2% denda first
    late = (first_due + dt.timedelta(days=5)).isoformat()
    code, out, err = cli(deployment, "loan", "overdue", "--date", late)
    assert code == 0 and "dalam perhatian khusus" in out and "Rp 20.600" in out
    code, out, err = cli(deployment, "loan", "repay", "2", "1.050.600", "--method", "cash",
                         "--ref", "KW-2", "--date", late)
    assert code == 0, err
    assert "denda Rp 20.600, interest Rp 30.000, principal Rp 1.000.000" in out
    code, out, _ = cli(deployment, "loan", "repay", "2", "1.050.600", "--method", "cash",
                       "--ref", "KW-2", "--date", late)
    assert code == 0 and out.startswith("already recorded: payment KW-2")
    # installment 2 on its due date: points
    code, out, err = cli(deployment, "loan", "repay", "2", "1030000", "--method", "payroll",
                         "--ref", "PAY-2", "--date", second_due.isoformat())
    assert code == 0, err

    # early payoff: remaining principal + one month's interest
    when = (second_due + dt.timedelta(days=3)).isoformat()
    code, out, err = cli(deployment, "loan", "payoff-quote", "2", "--date", when, "--json")
    assert code == 0, err
    quote = json.loads(out)["data"]
    assert (quote["principal"]["amount"], quote["payoff_interest"]["amount"],
            quote["total"]["amount"]) == ("1000000", "30000", "1030000")
    code, out, err = cli(deployment, "loan", "repay", "2", "1.000.000", "--method", "cash",
                         "--ref", "KW-3", "--date", when, "--payoff")
    assert code == 1 and "takes Rp 1.030.000" in err
    code, out, err = cli(deployment, "loan", "repay", "2", "1.050.000", "--method", "cash",
                         "--ref", "KW-3", "--date", when, "--payoff")
    assert code == 0, err
    assert "Rp 20.000 more than the loan owed went to sukarela savings" in out
    assert "fully repaid and closed" in out
    code, out, err = cli(deployment, "loan", "list", "--json", user="sekretaris")
    assert [(x["id"], x["stage"]) for x in json.loads(out)["data"]] == [(2, "closed"),
                                                                (1, "withdrawn")]
    code, out, _ = cli(deployment, "ledger", "trial-balance", user="bendahara")
    assert "postings balance: yes" in out

    # points: one on-time installment (installment 3 was settled by the payoff)
    code, out, err = cli(deployment, "rewards", "balance", "XYZ-0001", "--json", user="siti")
    assert code == 0, err
    assert json.loads(out)["data"] == {"member": "XYZ-0001 Siti Aminah", "points": 10, "earned": 10,
                               "tier": "Bronze"}
    code, out, err = cli(deployment, "rewards", "redeem", "XYZ-0001", "payung", "--ref",
                         "R-1", user="siti")
    assert code == 1 and "takes 150 points; the member has 10" in err
    code, out, err = cli(deployment, "rewards", "award", "XYZ-0001", "200", "--reason",
                         "volunteered at the RAT", "--ref", "RAT-2025", user="sekretaris")
    assert code == 0 and "awarded 200 points" in out
    code, out, err = cli(deployment, "rewards", "redeem", "XYZ-0001", "payung", "--ref",
                         "R-1", user="siti")
    assert code == 0 and "60 points left" in out
    code, out, err = cli(deployment, "rewards", "redeem", "XYZ-0001", "payung", "--ref",
                         "R-1", user="siti")
    assert code == 0 and out.startswith("already recorded")
    code, out, err = cli(deployment, "rewards", "catalogue")
    assert code == 0 and "Umbrella" in out
    code, out, err = cli(deployment, "rewards", "statement", "XYZ-0001", user="siti")
    assert code == 0, err
    assert "installment 2 of loan 2 paid on time" in out and "-150" in out
    code, out, err = cli(deployment, "rewards", "tiers", "XYZ-0001", user="siti")
    assert code == 0 and "XYZ-0001 Siti Aminah is Bronze" in out
