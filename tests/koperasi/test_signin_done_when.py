"""Sign-in on the Koperasi XYZ deployment, as the issue asks it to work from a clean clone.

- ``dyncrm --as ketua shu approve`` and ``DYNCRM_USER=ketua dyncrm shu approve`` are
  refused without a session; after ``dyncrm login`` the chair's approval works and the
  audit names the chair and the channel;
- one credit-committee member cannot approve a loan the configuration gives a
  quorum of two, and an override needs a second person;
- ``dyncrm run-due && dyncrm outbox send`` works from cron with no session.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from kxyz_helpers import add_member

from dyncrm.app import open_crm
from dyncrm.db.models import ActionLog, Approval
from dyncrm.errors import ValidationError
from dyncrm.testing import TEST_PASSWORD, run_cli
from dyncrm.values import Actor

CHAIR_PASSWORD = "memimpin rapat sejak 2019"


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """``dyncrm init --from koperasi_xyz`` with the board, the committee and two members."""
    folder = tmp_path / "kop"
    code, _, err = run_cli(["init", str(folder), "--from", "koperasi_xyz",
                            "--admin-password-stdin"], input="sangat-rahasia-1\n")
    assert code == 0, err
    config = folder / "dyncrm.toml"
    text = config.read_text(encoding="utf-8")
    cap = 'max_deduction_share = "35", min_membership_months = 3'
    assert cap in text  # members seeded here have no payslip on file: no 35% check
    config.write_text(text.replace(cap, "min_membership_months = 3", 1), encoding="utf-8")
    with open_crm(config) as crm:
        with crm.database.atomic():
            crm.users.add("ketua", roles=["admin"], password=CHAIR_PASSWORD)
            for name, role in (("bendahara", "treasurer"), ("sekretaris", "secretary"),
                               ("panitia1", "credit_committee"),
                               ("panitia2", "credit_committee"), ("kasir", "cashier")):
                crm.users.add(name, roles=[role], password=TEST_PASSWORD)
        add_member(crm, "XYZ-2024-00001", "Andi Wijaya", pokok=100_000, wajib=900_000,
                   interest=300_000, joined=dt.date(2023, 1, 5))
        add_member(crm, "XYZ-2024-00002", "Budi Santoso", pokok=100_000, wajib=900_000,
                   joined=dt.date(2023, 1, 5))
    return config


def cli(config: Path, *args: str, user: str | None = None, env=None, input=None):
    base = ["-c", str(config)] + (["--as", user] if user else [])
    return run_cli(base + list(args), env=env, input=input, signed_in=False)


def login(config: Path, user: str, password: str = TEST_PASSWORD) -> None:
    code, _, err = cli(config, "login", user, "--password-stdin", input=password + "\n")
    assert code == 0, err


def test_the_chair_approves_the_shu_only_after_signing_in(deployment: Path) -> None:
    login(deployment, "bendahara")
    code, _, err = cli(deployment, "shu", "enter", "--year", "2025", "--amount", "10.000.000")
    assert code == 0, err
    code, out, err = cli(deployment, "shu", "approve", "--year", "2025")
    assert code == 0 and "still needs the chair" in out, err

    code, _, err = cli(deployment, "--as", "ketua", "shu", "approve", "--year", "2025")
    assert code == 1 and "ketua is not signed in" in err
    code, _, err = cli(deployment, "shu", "approve", "--year", "2025",
                       env={"DYNCRM_USER": "ketua"})
    assert code == 1 and "ketua is not signed in" in err
    # the treasurer, signed in, cannot approve "as" the chair: she is the treasurer
    code, out, _ = cli(deployment, "shu", "approve", "--year", "2025", user="bendahara")
    assert "locked" not in out

    login(deployment, "ketua", CHAIR_PASSWORD)
    code, out, err = cli(deployment, "shu", "approve", "--year", "2025",
                         "--rat-date", "2026-03-28", user="ketua")
    assert code == 0 and "locked" in out, err
    with open_crm(deployment):
        trail = {(r.actor, r.channel) for r in ActionLog.select()
                 .where(ActionLog.action == "shu.approve")}
    assert trail == {("bendahara", "cli"), ("ketua", "cli")}
    code, out, err = cli(deployment, "audit", "--action", "shu.approve", "--json",
                         user="ketua")
    assert code == 0, err
    assert [(r["by"], r["channel"]) for r in json.loads(out)["data"]][:1] == [("ketua", "cli")]
    code, _, err = cli(deployment, "audit", user="bendahara")
    assert code == 0, err


def _loan(config: Path, amount: str, *, member: str = "XYZ-2024-00001") -> int:
    from dyncrm_expand.loans.models import Loan

    code, _, err = cli(config, "loan", "apply", member, "konsumtif", amount,
                       "--term", "12", user="sekretaris")
    assert code == 0, err
    with open_crm(config):
        return Loan.select().order_by(Loan.id.desc()).get().id


def test_one_committee_member_cannot_approve_a_loan_with_a_quorum_of_two(deployment) -> None:
    for person in ("sekretaris", "panitia1", "panitia2", "bendahara"):
        login(deployment, person)
    with open_crm(deployment) as crm:  # enough savings for a large loan, long membership
        from kxyz_helpers import post_balances

        with crm.action("seed", Actor.operator()):
            post_balances(crm, crm.member("XYZ-2024-00001").id, wajib=10_000_000,
                          on=dt.date(2025, 6, 30))
    big = _loan(deployment, "15.000.000")
    code, out, err = cli(deployment, "loan", "approve", str(big), user="panitia1")
    assert code == 0, err
    assert "not approved yet" in out and "approved so far by panitia1" in out
    assert "1 more approval" in out
    code, out, _ = cli(deployment, "loan", "approve", str(big), user="panitia1")
    assert "you had already approved it" in out  # counts once
    code, _, err = cli(deployment, "loan", "disburse", str(big), "--method", "transfer",
                       "--ref", "CAIR-1", user="bendahara")
    assert code == 1 and "submitted" in err  # not approved: nothing to pay out
    code, out, err = cli(deployment, "loan", "approve", str(big), user="panitia2")
    assert code == 0 and "approved loan" in out and "panitia1, panitia2" in out, err
    with open_crm(deployment):
        rows = list(Approval.select().where(Approval.subject == f"loan:{big}"))
        assert {(r.username, r.channel) for r in rows} == {("panitia1", "cli"),
                                                          ("panitia2", "cli")}
    small = _loan(deployment, "2.000.000", member="XYZ-2024-00002")
    code, out, err = cli(deployment, "loan", "approve", str(small), user="panitia2")
    assert code == 0 and "approved loan" in out, err  # below the amount: one person


def test_an_override_needs_a_second_committee_member(deployment: Path) -> None:
    for person in ("sekretaris", "panitia1", "panitia2"):
        login(deployment, person)
    loan = _loan(deployment, "9.000.000", member="XYZ-2024-00002")  # over 3x savings
    with open_crm(deployment) as crm:
        from dyncrm_expand import loans

        assert loans.recheck(crm, loan)  # it has eligibility reasons
    code, _, err = cli(deployment, "loan", "approve", str(loan), user="panitia1")
    assert code == 1 and "--override" in err
    code, out, _ = cli(deployment, "loan", "approve", str(loan), "--override",
                       "Jaminan tambahan dari atasan", user="panitia1")
    assert "not approved yet" in out
    code, out, err = cli(deployment, "loan", "approve", str(loan), "--override",
                         "Setuju dengan jaminan tambahan", user="panitia2")
    assert code == 0 and "approved loan" in out, err


def test_the_quorum_counts_people_and_roles(deployment: Path) -> None:
    with open_crm(deployment) as crm:
        rule = crm.quorum.rule("loans.approve", crm.money("15000000"))
        assert (rule.approvals, rule.roles) == (2, ("credit_committee",))
        assert crm.quorum.rule("loans.approve", crm.money("10000000")).approvals == 1
        with crm.database.atomic():
            first = crm.quorum.record("loans.approve", "loan:99",
                                      crm.trusted_actor("panitia1"), rule=rule)
            assert not first.complete and first.approvers == ("panitia1",)
            with pytest.raises(ValidationError, match="holds none of these roles"):
                crm.quorum.record("loans.approve", "loan:99",
                                  crm.trusted_actor("bendahara"), rule=rule)
            with pytest.raises(ValidationError, match="scheduled work cannot approve"):
                crm.quorum.record("loans.approve", "loan:99", Actor.system(), rule=rule)
            again = crm.quorum.record("loans.approve", "loan:99",
                                      crm.trusted_actor("panitia1"), rule=rule)
            assert again.replayed and not again.complete
            done = crm.quorum.record("loans.approve", "loan:99",
                                     crm.trusted_actor("panitia2"), rule=rule)
            assert done.complete and done.approvers == ("panitia1", "panitia2")


def test_cron_runs_scheduled_work_without_a_session(deployment: Path) -> None:
    code, out, err = cli(deployment, "run-due", "--date", "2026-03-16")
    assert code == 0, err
    assert "reminders:" in out
    code, out, err = cli(deployment, "outbox", "send")
    assert code == 0 and "sent" in out, err
    code, _, err = cli(deployment, "loan", "approve", "1")  # a decision: a person's
    assert code == 1 and "not signed in" in err
