"""Interest on simpanan sukarela (jasa simpanan): worked examples computed by hand.

The month is April 2025 (30 days); the clock is 15 June 2025.  Rate 6 % a year,
so a month earns 6 / 12 = 0,5 % of the basis balance.  PPh final 10 % of the
whole interest when it is above Rp 240.000 a month.

Siti: 10.000.000 brought forward (deposited 10 March); 10 April deposit
      5.000.000; 20 April withdrawal 8.000.000.  End-of-day balances:
          1–9 April   (9 days)  10.000.000
          10–19 April (10 days) 15.000.000
          20–30 April (11 days)  7.000.000
      minimum       = 7.000.000                → 7.000.000 × 0,5 % = 35.000
      average daily = (9 × 10.000.000 + 10 × 15.000.000 + 11 × 7.000.000) / 30
                    = (90.000.000 + 150.000.000 + 77.000.000) / 30 = 317.000.000 / 30
                    = 10.566.666,67             → × 0,5 % = 52.833,33 → 52.833
Budi: 60.000.000 all month → 300.000 > 240.000: PPh 10 % = 30.000, net 270.000
Citra: 48.000.000 all month → 240.000, not above the threshold: no PPh
Dewi: no sukarela → nothing.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from test_savings_helpers import Staff, add_member, balanced, open_expand

from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.testing import snapshot
from dyncrm_expand import savings
from dyncrm_expand.savings.interest import (
    EXPENSE_ACCOUNT,
    TAX_ACCOUNT,
    basis_balance,
    compute_month,
    interest_of,
    post_month,
)

APRIL = dt.date(2025, 4, 1)
INTEREST = {"rate": "6", "pph_rate": "10", "pph_threshold": "240000"}


def cooperative(make_crm, basis: str = "minimum", **interest):
    conf = {**INTEREST, "basis": basis, **interest}
    crm = open_expand(make_crm, savings={"sukarela": {"interest": conf}})
    people = Staff(crm)
    siti = add_member(crm, "Siti Aminah")
    budi = add_member(crm, "Budi Santoso")
    citra = add_member(crm, "Citra Lestari")
    add_member(crm, "Dewi Anggraini")

    def deposit(member, amount, on, ref):
        savings.deposit(crm, people.cashier, member, "sukarela", amount, method="cash",
                        reference=ref, on=on)

    deposit(siti, "10000000", dt.date(2025, 3, 10), "S-1")
    deposit(siti, "5000000", dt.date(2025, 4, 10), "S-2")
    savings.withdraw(crm, people.cashier, siti, "8000000", reference="W-1",
                     on=dt.date(2025, 4, 20))
    deposit(budi, "60000000", dt.date(2025, 3, 31), "B-1")
    deposit(citra, "48000000", dt.date(2025, 3, 1), "C-1")
    return crm, people, (siti, budi, citra)


def lines(month):
    return [(x.member_id, x.gross, x.tax, x.net) for x in month.lines]


def test_minimum_balance_worked_example(make_crm) -> None:
    crm, _, (siti, budi, citra) = cooperative(make_crm, "minimum")
    april = compute_month(crm, APRIL)
    assert [x.balance for x in april.lines] == [7_000_000, 60_000_000, 48_000_000]
    assert lines(april) == [(siti, 35_000, 0, 35_000), (budi, 300_000, 30_000, 270_000),
                            (citra, 240_000, 0, 240_000)]


def test_average_daily_balance_worked_example(make_crm) -> None:
    crm, _, (siti, budi, citra) = cooperative(make_crm, "average_daily")
    april = compute_month(crm, APRIL)
    assert april.lines[0].balance == Fraction(317_000_000, 30)
    assert lines(april) == [(siti, 52_833, 0, 52_833), (budi, 300_000, 30_000, 270_000),
                            (citra, 240_000, 0, 240_000)]


def test_the_arithmetic_by_itself() -> None:
    # a balance going below zero counts as zero (one day at −100 of 3 days)
    assert basis_balance(100, {2: -200, 3: 250}, 3, "minimum") == 0
    # end-of-day balances 100, −100 (counted 0), 150: average (100 + 0 + 150) / 3
    assert basis_balance(100, {2: -200, 3: 250}, 3, "average_daily") == Fraction(250, 3)
    # 12 % a year on 1.000.001 = 10.000,01 a month → 10.000; PPh only above the threshold
    assert interest_of(1_000_001, 12, 10, 240_000) == (10_000, 0)
    assert interest_of(24_000_100, 12, 10, 240_000) == (240_001, 24_000)
    assert interest_of(0, 12, 10, 0) == (0, 0)


def test_post_credits_the_net_withholds_pph_and_a_rerun_posts_nothing(make_crm) -> None:
    crm, people, (siti, budi, citra) = cooperative(make_crm, "minimum")
    done = post_month(crm, people.treasurer, APRIL)
    assert (done.posted, done.gross, done.tax) == (3, 575_000, 30_000)
    bal = crm.ledger.balance
    assert int(bal(f"savings.sukarela:m{siti}").amount) == 7_000_000 + 35_000
    assert int(bal(f"savings.sukarela:m{budi}").amount) == 60_000_000 + 270_000
    assert int(bal(f"savings.sukarela:m{citra}").amount) == 48_000_000 + 240_000
    assert int(bal(TAX_ACCOUNT).amount) == 30_000
    assert int(bal(EXPENSE_ACCOUNT).amount) == 575_000
    assert balanced(crm)
    from dyncrm.db.models import JournalEntry

    entry = crm.ledger.entry(JournalEntry.get(
        JournalEntry.key == f"savings.interest:2025-04:{budi}").id)
    assert entry.kind == "savings.interest" and entry.effective_date == dt.date(2025, 4, 30)
    assert entry.meta["gross"] == 300_000 and entry.meta["tax"] == 30_000
    # the month's own interest (dated 30 April) does not change its computation
    assert lines(compute_month(crm, APRIL)) == lines(done)

    before = snapshot(crm)
    again = post_month(crm, people.treasurer, APRIL)
    assert again.replayed and again.posted == 0
    assert snapshot(crm) == before


def test_the_scheduled_job_posts_last_month_once(make_crm) -> None:
    crm, _, (siti, _, _) = cooperative(make_crm, "minimum")
    jobs = {j.name: j for batch in crm.hook.dyncrm_scheduled_jobs(crm=crm)
            for j in batch or []}
    job = jobs["savings.interest"]
    # run on 15 June: May is posted.  Siti held 7.000.000 all May → 35.000
    message = job.run(crm, dt.date(2025, 6, 15))
    assert "interest of 2025-05 posted for 3 members" in message
    assert int(crm.ledger.balance(f"savings.sukarela:m{siti}").amount) == 7_000_000 + 35_000
    before = snapshot(crm)
    assert job.run(crm, dt.date(2025, 6, 16)) == "interest of 2025-05 already posted"
    assert snapshot(crm) == before
    # run for 1 July while the clock still says 15 June: June is not over, nothing posted
    assert job.run(crm, dt.date(2025, 7, 1)) == \
        "the interest of 2025-06 waits until the month is over"
    assert snapshot(crm) == before


def test_refusals_change_nothing(make_crm) -> None:
    crm, people, _ = cooperative(make_crm, "minimum")
    before = snapshot(crm)
    with pytest.raises(ValidationError, match="after the month is over"):
        post_month(crm, people.treasurer, dt.date(2025, 6, 1))
    with pytest.raises(PermissionDenied):
        post_month(crm, people.cashier, APRIL)
    assert snapshot(crm) == before


def test_no_rate_no_interest(make_crm) -> None:
    off = open_expand(make_crm, savings={})
    with pytest.raises(ValidationError, match="no interest on simpanan sukarela is set"):
        post_month(off, Staff(off).treasurer, APRIL)
    assert compute_month(off, APRIL).lines == ()


def test_settings_are_checked() -> None:
    from dyncrm_expand.savings.config import SukarelaInterest

    with pytest.raises(ValueError, match="basis must be one of minimum, average_daily"):
        SukarelaInterest(basis="maximum")
    with pytest.raises(ValueError, match="rate is a percentage"):
        SukarelaInterest(rate=120)


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
enabled = ["expand.savings"]

[plugins."expand.savings".sukarela.interest]
rate = "6"
basis = "average_daily"
pph_rate = "10"
pph_threshold = "Rp 240.000"
"""


def test_through_the_command_line(tmp_path, monkeypatch) -> None:
    """Last month's interest through ``savings interest compute|post`` and ``run-due``."""
    from test_savings_helpers import staff

    from dyncrm.app import open_crm
    from dyncrm.testing import run_cli, today_of

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    today = today_of(config)  # the deployment's month (Jakarta), not the machine's
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    label = f"{last_month.year:04d}-{last_month.month:02d}"
    with open_crm(config) as crm:
        crm.upgrade()
        cashier = staff(crm, "kasir", "cashier")
        staff(crm, "bendahara", "treasurer")
        member = add_member(crm, "Budi Santoso", number="XYZ-0001",
                            joined=last_month - dt.timedelta(days=40))
        savings.deposit(crm, cashier, member, "sukarela", "60000000", method="cash",
                        reference="B-1", on=last_month - dt.timedelta(days=1))

    def cli(*args, user="bendahara"):
        return run_cli(["-c", str(config), "--as", user, *args])

    code, out, err = cli("savings", "interest", "compute", "--month", label)
    assert code == 0, err
    assert "Rp 300.000" in out and "Rp 30.000" in out and "Rp 270.000" in out
    code, _, err = cli("savings", "interest", "post", "--month", label, user="kasir")
    assert code != 0 and "savings.interest" in err
    code, out, err = run_cli(["-c", str(config), "run-due"])
    assert code == 0, err
    assert f"savings.interest: interest of {label} posted for 1 members" in out
    code, out, err = cli("savings", "interest", "post", "--month", label)
    assert code == 0 and "already posted; nothing was posted again" in out
    code, _, err = cli("savings", "interest", "post", "--month", "2999-01")
    assert code != 0 and "month" in err
