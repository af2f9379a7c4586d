"""Races between real processes on every backend: no overdraft, no double redemption,
each key posted once, every refusal a clear sentence.

Each test starts six processes (``spawn``) against the same database — a SQLite
file, or a database on the PostgreSQL or MariaDB server the test run started —
and lets them act on the same members at the same moment through the plugins'
library API (see race_worker.py).  Before ``crm.lock`` existed, the savings race
overdrew most members on the server databases.
"""

from __future__ import annotations

import random

import pytest
from race_worker import crashes, run_racers, tally
from test_loan_helpers import PRODUCTS, fund
from test_loan_helpers import add_member as add_loan_member
from test_loan_helpers import staff as loan_staff
from test_savings_helpers import add_member, staff

from dyncrm.db.models import JournalEntry
from dyncrm_expand import loans, rewards, savings
from dyncrm_expand.rewards.models import RewardRedemption
from dyncrm_expand.savings.models import SavingsDeposit

PROCESSES = 6
BACKENDS = [pytest.param(None, id="sqlite"),
            pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
            pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")]


@pytest.fixture(params=BACKENDS)
def database_url(request) -> str | None:
    """``None`` (a SQLite file in tmp_path) or a fresh database on a test server."""
    return request.getfixturevalue(request.param) if request.param else None


def plans_for(members: list[int], make_ops) -> list[list[tuple]]:
    """One list of operations per process, each visiting the members in its own order."""
    plans = []
    for p in range(PROCESSES):
        order = list(members)
        random.Random(p).shuffle(order)
        plans.append([op for m in order for op in make_ops(p, m)])
    return plans


def settled(counts, ok: int, total: int, other: str) -> bool:
    """``ok`` successes, and every other attempt ``other`` (a refusal or a replay), or
    DatabaseBusy: on MariaDB two sessions taking a brand-new lock name at the same
    moment can deadlock, and the server's victim is told to try again."""
    return (counts["ok"] == ok and set(counts) <= {"ok", other, "DatabaseBusy"}
            and counts[other] + counts["DatabaseBusy"] == total - ok)


def entries_with_prefix(prefix: str) -> int:
    return JournalEntry.select().where(JournalEntry.key.startswith(prefix)).count()


def test_withdrawals_race_without_overdraft(make_crm, database_url, request) -> None:
    """20 members hold exactly Rp 50.000 sukarela; six processes each deposit Rp 10.000
    under one shared reference per member, try to withdraw Rp 50.000 under their own
    reference, and withdraw Rp 5.000 under a second shared reference."""
    crm = make_crm(enabled=["expand.savings"], database_url=database_url)
    cashier = staff(crm, "kasir", "cashier")
    members = [add_member(crm, f"Anggota {i}") for i in range(20)]
    for m in members:
        savings.deposit(crm, cashier, m, "sukarela", crm.money("50000"), method="cash",
                        reference=f"open-{m}")

    plans = plans_for(members, lambda p, m: [("deposit", m, "10000", f"dep-{m}"),
                                             ("withdraw", m, "50000", f"wd-{m}-{p}"),
                                             ("withdraw", m, "5000", f"wr-{m}")])
    outcomes, seconds = run_racers(crm.config, "kasir", plans)

    balances = crm.ledger.balances_by_member(["savings.sukarela"])
    sukarela = {m: balances[m]["savings.sukarela"] for m in members}
    big = {m: sum(1 for op, out in outcomes
                  if op[:3] == ("withdraw", m, "50000") and out == ("ok", False))
           for m in members}
    overdrawn = sorted(m for m in members if sukarela[m] < 0)
    deposits, wd = tally(outcomes, "deposit"), tally(
        [(op, out) for op, out in outcomes if op[0] == "withdraw" and op[2] == "50000"],
        "withdraw")
    shared_wd = tally([(op, out) for op, out in outcomes
                       if op[0] == "withdraw" and op[2] == "5000"], "withdraw")
    print(f"\n[{request.node.callspec.id}] savings race: {PROCESSES} processes, "
          f"{len(outcomes)} operations in {seconds:.2f}s; overdrawn members "
          f"{len(overdrawn)}/{len(members)}, lowest balance {min(sukarela.values())}; "
          f"deposits {dict(deposits)}; Rp 50.000 withdrawals {dict(wd)}; "
          f"shared Rp 5.000 withdrawals {dict(shared_wd)}; crashes {len(crashes(outcomes))}")
    assert crashes(outcomes) == []

    # no account below its floor, and the one possible order of events left 5.000 each
    assert overdrawn == []
    assert big == {m: 1 for m in members}
    assert sukarela == {m: 5_000 for m in members}
    assert crm.ledger.trial_balance() == {"IDR": 0}
    # each shared key posted once; every repeat reported as a replay
    assert entries_with_prefix("deposit:dep-") == len(members)
    assert SavingsDeposit.select().where(SavingsDeposit.reference.startswith("dep-")).count() \
        == len(members)
    assert entries_with_prefix("withdrawal:wr-") == len(members)
    attempts = PROCESSES * len(members)
    assert settled(deposits, len(members), attempts, "replayed"), deposits
    assert settled(shared_wd, len(members), attempts, "replayed"), shared_wd
    # every refusal is the sentence a cashier can act on
    assert settled(wd, len(members), attempts, "ValidationError"), wd
    refusals = [out[2] for op, out in outcomes if out[0] == "refused"]
    assert all("at most Rp 10.000 can be withdrawn" in r or "at most Rp 5.000 can be"
               " withdrawn" in r or "at most Rp 0 can be withdrawn" in r
               or "the database is busy" in r for r in refusals), refusals[:5]


def test_sukarela_debits_race_without_overdraft(make_crm, database_url, request) -> None:
    """``debit_sukarela`` locks like a withdrawal: 10 members hold Rp 50.000; six
    processes each debit Rp 30.000 under their own reference and Rp 20.000 under one
    shared reference per member, towards a term-deposit account."""
    from dyncrm.values import Actor

    crm = make_crm(enabled=["expand.savings"], database_url=database_url)
    cashier = staff(crm, "kasir", "cashier")
    with crm.action("test.open_account", Actor.operator()):
        crm.ledger.open_account("deposito.principal", type="liability")
    members = [add_member(crm, f"Anggota {i}") for i in range(10)]
    for m in members:
        savings.deposit(crm, cashier, m, "sukarela", crm.money("50000"), method="cash",
                        reference=f"open-{m}")

    plans = plans_for(members, lambda p, m: [("debit", m, "30000", f"dd-{m}-{p}"),
                                             ("debit", m, "20000", f"ds-{m}")])
    outcomes, seconds = run_racers(crm.config, "kasir", plans)

    balances = crm.ledger.balances_by_member(["savings.sukarela"])
    sukarela = {m: balances[m]["savings.sukarela"] for m in members}
    own = tally([(op, out) for op, out in outcomes if op[0] == "debit" and op[2] == "30000"],
                "debit")
    shared = tally([(op, out) for op, out in outcomes
                    if op[0] == "debit" and op[2] == "20000"], "debit")
    print(f"\n[{request.node.callspec.id}] sukarela debit race: {PROCESSES} processes, "
          f"{len(outcomes)} operations in {seconds:.2f}s; lowest balance "
          f"{min(sukarela.values())}; Rp 30.000 debits {dict(own)}; shared Rp 20.000 "
          f"debits {dict(shared)}; crashes {len(crashes(outcomes))}")
    assert crashes(outcomes) == []
    # whichever came first, both fit exactly once and nothing more: every account at 0
    assert sukarela == {m: 0 for m in members}
    assert crm.ledger.balance("deposito.principal") == crm.money("500000")
    assert entries_with_prefix("sukarela_debit:ds-") == len(members)
    attempts = PROCESSES * len(members)
    assert settled(shared, len(members), attempts, "replayed"), shared
    assert settled(own, len(members), attempts, "ValidationError"), own
    refusals = [out[2] for op, out in outcomes if out[0] == "refused"]
    assert all("can be debited" in r or "the database is busy" in r for r in refusals), \
        refusals[:5]


def test_redemptions_race_against_stock_and_points(make_crm, database_url, request) -> None:
    """Six processes redeem at once: 5 umbrellas in stock for 12 members, a member with
    25 points trying to take three 10-point T-shirts per process, and one shared
    reference per process."""
    catalogue = {"payung": {"name": "Umbrella", "points": 10, "stock": 5},
                 "kaos": {"name": "T-shirt", "points": 10, "stock": 1000}}
    crm = make_crm(enabled=["expand.savings", "expand.rewards"], database_url=database_url,
                   plugins={"expand.rewards": {"catalogue": catalogue}})
    admin = staff(crm, "admin", "admin")
    staff(crm, "kasir", "cashier")
    members = [add_member(crm, f"Anggota {i}") for i in range(14)]
    for m in members:
        rewards.award(crm, admin, m, 25, reason="RAT", reference=f"rat-{m}")
    many, shared, crowd = members[0], members[1], members[2:]

    def ops(p: int, m: int) -> list[tuple]:
        return [("redeem", m, "payung", f"u-{p}-{m}")]

    plans = plans_for(crowd, ops)
    for p, plan in enumerate(plans):
        plan[p:p] = [("redeem", many, "kaos", f"k-{p}-{i}") for i in range(3)]
        plan.append(("redeem", shared, "kaos", "same-slip"))
    outcomes, seconds = run_racers(crm.config, "kasir", plans)

    stock = {e.code: e.stock_left for e in rewards.catalogue(crm)}
    points = {m: int(rewards.balance(crm, m).amount) for m in members}
    umbrellas = tally([(op, out) for op, out in outcomes if op[2] == "payung"], "redeem")
    shirts = tally([(op, out) for op, out in outcomes if op[1] == many], "redeem")
    same = tally([(op, out) for op, out in outcomes if op[3] == "same-slip"], "redeem")
    print(f"\n[{request.node.callspec.id}] rewards race: {PROCESSES} processes, "
          f"{len(outcomes)} redemptions in {seconds:.2f}s; umbrellas {dict(umbrellas)} "
          f"(stock left {stock['payung']}); 25-point member's T-shirts {dict(shirts)} "
          f"(points left {points[many]}); shared slip {dict(same)}; "
          f"crashes {len(crashes(outcomes))}")
    assert crashes(outcomes) == []

    assert stock["payung"] == 0 and umbrellas["ok"] == 5
    assert settled(umbrellas, 5, len(crowd) * PROCESSES, "ValidationError"), umbrellas
    assert min(points.values()) >= 0
    assert settled(shirts, 2, 3 * PROCESSES, "ValidationError"), shirts
    assert points[many] == 5
    assert settled(same, 1, PROCESSES, "replayed"), same
    assert RewardRedemption.select().where(RewardRedemption.item == "payung").count() == 5
    assert crm.ledger.trial_balance() == {"POINTS": 0}
    refusals = {out[2] for op, out in outcomes if out[0] == "refused"}
    assert all(r.split(": ", 1)[-1] == "Umbrella is out of stock (0 left)"
               or "T-shirt takes 10 points; the member has" in r
               or "the database is busy" in r for r in refusals), refusals


def test_loan_decisions_and_disbursements_race(make_crm, database_url, request) -> None:
    """Six treasurers-and-committee processes each approve the same application and
    then disburse it, all at the same moment: one decision and five clear refusals,
    one disbursement and five replays (a loser's approval is refused only once the
    winner's is committed, so every disbursement comes after it)."""
    crm = make_crm(enabled=["expand.savings", "expand.loans"], database_url=database_url,
                   plugins={"expand.loans": {"products": PRODUCTS}})
    loan_staff(crm, "pengurus", "credit_committee", "treasurer")
    secretary = loan_staff(crm, "sekretaris", "secretary")
    member, _ = add_loan_member(crm, "Ani")
    fund(crm, member, "10000000")
    loan_id = loans.apply(crm, secretary, member, "konsumtif", crm.money("1000000"),
                          term=10, reference="form-1")[0].id

    outcomes, seconds = run_racers(
        crm.config, "pengurus",
        [[("approve", loan_id), ("disburse", loan_id, "KAS-1")] for _ in range(PROCESSES)])
    approvals, disbursed = tally(outcomes, "approve"), tally(outcomes, "disburse")
    events = [e["action"] for e in loans.events(loan_id)]
    print(f"\n[{request.node.callspec.id}] loan race: {PROCESSES} processes in "
          f"{seconds:.2f}s; approvals {dict(approvals)}; disbursements {dict(disbursed)}; "
          f"events {events}")
    assert crashes(outcomes) == []
    assert settled(approvals, 1, PROCESSES, "IllegalTransition"), outcomes
    refusals = [out[2] for op, out in outcomes if out[0] == "refused" and op[0] == "approve"]
    assert all("it is 'approved'" in r or "it is 'disbursed'" in r
               or "the database is busy" in r for r in refusals), refusals
    assert settled(disbursed, 1, PROCESSES, "replayed"), outcomes
    assert events == ["apply", "approve", "disburse"]
    assert entries_with_prefix("loans.disbursement:") == 1
    assert crm.ledger.balance_or_zero("loans.principal", member) == crm.money("1000000")
    assert loans.get(crm, loan_id).stage == "disbursed"


CLI_TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "{url}"

[plugins]
enabled = ["expand.savings"]

[notify]
default_channel = "file"
file_directory = "outbox"
"""


#: ``python -c`` program: import the CLI, say ready, wait for the go file, run
#: ``dyncrm.cli.main`` with the remaining arguments and exit with its code.
CLI_AT_ONCE = """
import sys, time
from pathlib import Path
import dyncrm.cli, dyncrm_expand.savings, dyncrm_expand.savings.cli
go, n, argv = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
Path(f"{go}.ready{n}").touch()
while not go.exists():
    time.sleep(0.001)
sys.exit(dyncrm.cli.main(argv))
"""


def test_cli_withdrawals_race(tmp_path, database_url, request) -> None:
    """Six ``dyncrm savings withdraw`` processes at once: against a member holding
    exactly Rp 50.000 (own references), then with one shared reference."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from dyncrm.app import open_crm
    from dyncrm.testing import run_cli, sign_in

    config = tmp_path / "dyncrm.toml"
    config.write_text(CLI_TOML.format(url=database_url or "sqlite:///crm.db"),
                      encoding="utf-8")
    code, _out, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        cashier = staff(crm, "kasir", "cashier")
        for number in ("XYZ-0001", "XYZ-0002"):
            m = add_member(crm, f"Anggota {number}", number=number)
            savings.deposit(crm, cashier, m, "sukarela", crm.money("50000"), method="cash",
                            reference=f"open-{number}")
    sign_in(config, "kasir")  # as the cashier would with 'dyncrm login' (kept in the env's folder)
    def race(member: str, refs: list[str]) -> list[tuple[int, str, str]]:
        # each process imports the command line first and then waits for the others,
        # so the six commands run at the same moment instead of one import time apart
        go = tmp_path / f"go-{member}"
        procs = [subprocess.Popen([sys.executable, "-c", CLI_AT_ONCE, str(go), str(i),
                                   "-c", str(config), "--as", "kasir", "savings",
                                   "withdraw", member, "50.000", "--ref", ref],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL, cwd=tmp_path)
                 for i, ref in enumerate(refs)]
        deadline = time.monotonic() + 60
        while not all(Path(f"{go}.ready{i}").exists() for i in range(len(refs))):
            assert time.monotonic() < deadline, "the CLI processes did not start"
            time.sleep(0.01)
        go.touch()
        return [(p.wait(60), p.stdout.read(), p.stderr.read()) for p in procs]

    own = race("XYZ-0001", [f"W-{p}" for p in range(PROCESSES)])
    shared = race("XYZ-0002", ["W-SAME"] * PROCESSES)
    with open_crm(config) as crm:
        left = {n: crm.ledger.balance(f"savings.sukarela:m{crm.member(n).id}")
                for n in ("XYZ-0001", "XYZ-0002")}
    paid = [r for r in own if r[0] == 0]
    refused = [r for r in own if r[0] != 0]
    replays = [r for r in shared if r[0] == 0 and "already recorded" in r[1]]
    print(f"\n[{request.node.callspec.id}] CLI race: {PROCESSES} withdrawals of Rp 50.000 "
          f"from Rp 50.000: {len(paid)} paid, {len(refused)} refused (exit codes "
          f"{sorted(r[0] for r in refused)}); shared reference: {len(replays)} replays; "
          f"balances left {[str(v.amount) for v in left.values()]}")
    everything = "".join(out + err for _c, out, err in own + shared)
    assert "Traceback" not in everything and "bug in dyncrm" not in everything
    assert "Plugin error" not in everything and "IntegrityError" not in everything
    assert len(paid) == 1 and "paid Rp 50.000" in paid[0][1]
    assert all(code in (1, 75) for code, _o, _e in refused)
    assert all("at most Rp 0 can be withdrawn" in e or "the database is busy" in e
               for _c, _o, e in refused), refused
    assert sum(1 for r in shared if r[0] == 0 and "paid Rp 50.000" in r[1]) == 1
    assert len(replays) + sum(1 for r in shared if r[0] == 75) == PROCESSES - 1, shared
    assert left == {"XYZ-0001": crm.money("0"), "XYZ-0002": crm.money("0")}


def test_archiving_the_same_list_from_several_processes_seals_it_once(
        make_crm, database_url, request) -> None:
    """Six processes archive 15 lists under the same keys at the same moment, three with
    one content and three with another: each key is sealed once, with one content; the
    same bytes again are a replay, other bytes are refused, nothing is archived twice."""
    from dyncrm import archive

    crm = make_crm(enabled=["expand.savings"], database_url=database_url)
    staff(crm, "kasir", "cashier")
    keys = [f"2025-{i:02d}" for i in range(1, 16)]
    plans = plans_for(keys, lambda p, k: [("seal", k, f"{k};content {p % 2}\n")])
    outcomes, seconds = run_racers(crm.config, "kasir", plans)
    seals = tally(outcomes, "seal")
    print(f"\n[{request.node.callspec.id}] archive race: {PROCESSES} processes, "
          f"{len(outcomes)} seals in {seconds:.2f}s; {dict(seals)}")
    assert crashes(outcomes) == []
    assert seals["ok"] == len(keys)
    assert set(seals) <= {"ok", "replayed", "ArchiveSealed", "DatabaseBusy"}, seals
    for key in keys:
        found = archive.find(crm, "race.list", key)
        assert found is not None and len(found.files) == 1, key
        winner = archive.content(crm, found.files[0]).decode()
        assert winner.startswith(f"{key};content ")
        for op, out in outcomes:  # a replay only for the winner's bytes, a refusal else
            if op[1] == key and out[0] == "ok" and out[1]:
                assert op[2] == winner
            if op[1] == key and out[0] == "refused" and out[1] == "ArchiveSealed":
                assert op[2] != winner
