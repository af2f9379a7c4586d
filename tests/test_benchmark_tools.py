"""The benchmark tools stay usable: jobs paired with their raw floors, the generated
Koperasi XYZ year consistent, a world copied into PostgreSQL row for row."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import generate  # noqa: E402
import harness  # noqa: E402
import pairs  # noqa: E402
from run import load_jobs  # noqa: E402


def _load_jobs() -> None:
    """Register the benchmark jobs (once per process: a job may be registered once)."""
    if not harness.JOBS:
        load_jobs()


def test_every_raw_floor_is_paired_with_its_library_job() -> None:
    _load_jobs()
    found = dict(pairs.pair_up(harness.JOBS))
    raws = {n for n in harness.JOBS if n.endswith(" raw")}
    assert raws and raws == {raw for raw in found.values() if raw}
    assert found["shu.compute draft"] == "shu.compute raw"
    assert found["reminders.plan"] == "reminders.plan raw"
    assert pairs.floor_of("reminders.run", harness.JOBS) is None


def test_generated_year_is_consistent(tmp_path: Path) -> None:
    from dyncrm.app import open_crm
    from dyncrm.db.models import JournalEntry, Member
    from dyncrm.money import Money
    from dyncrm_expand.loans.models import Loan, LoanInstallment
    from koperasi_xyz.payroll import listing
    from koperasi_xyz.shu import service as shu

    summary = generate.generate(tmp_path / "kop", 300, seed=7)
    assert summary.members == 300 and summary.loans > 30
    with open_crm(tmp_path / "kop" / "dyncrm.toml") as crm:
        assert crm.ledger.trial_balance() == {"IDR": 0}
        assert Member.select().where(Member.stage == "active").count() == 300
        assert JournalEntry.select().count() == summary.entries
        # every rupiah through the ledger: the wajib paid is what the entries say
        lines = listing.deduction_list(crm, dt.date(2025, 12, 1)).lines
        assert len(lines) == 300
        assert sum(1 for x in lines if x.wajib_arrears) > 0       # skipped months
        assert sum(1 for x in lines if x.loan_arrears) > 0        # late payers
        assert sum(1 for x in lines if x.installments) == Loan.select().count()
        # loans: every installment due by November paid except the late payers'
        unpaid = LoanInstallment.select().where(LoanInstallment.paid_on.is_null(),
                                                LoanInstallment.due_on < dt.date(2025, 12, 1))
        assert 0 < unpaid.count() < Loan.select().count()
        draft = shu.compute(crm, 2025, Money.of(100_000_000, "IDR"))
        assert len(draft.distribution.members) == 300
        assert draft.distribution.transactions_total > 0
    again = generate.generate(tmp_path / "again", 300, seed=7)
    assert (again.entries, again.postings, again.loans) == \
        (summary.entries, summary.postings, summary.loans)  # deterministic for a seed
    with pytest.raises(Exception, match="exists"):
        generate.generate(tmp_path / "kop", 10, seed=7)


def _prepared_world(directory: Path, n: int, enabled, plugins, prepare) -> harness.World:
    """A benchmark world of ``n`` members with ``prepare``'s data added."""
    world = harness.generate_world(directory, n, enabled=enabled, plugins=plugins)
    crm = harness.open_world(world, enabled, plugins)
    try:
        prepare(crm, world)
    finally:
        crm.close()
    return world


@pytest.mark.postgres
def test_world_copied_into_postgres_row_for_row(tmp_path: Path, postgres_server) -> None:
    import backends
    import worlds

    world = _prepared_world(tmp_path / "w", 60, worlds.ENABLED, worlds.PLUGINS,
                            worlds.prepare_koperasi)
    copy = backends.copy_world(world, postgres_server, worlds.ENABLED, worlds.PLUGINS)
    try:
        tables = ("member", "account", "journal_entry", "posting", "loan", "loan_installment",
                  "touchpoint", "acquire_application", "savings_obligation")
        source = sqlite3.connect(world.database)
        expected = {t: source.execute(f"SELECT COUNT(*), SUM(id) FROM {t}").fetchone()
                    for t in tables if t != "acquire_application"}
        source.close()
        crm = harness.open_world(copy, worlds.ENABLED, worlds.PLUGINS)
        try:
            got = {t: tuple(crm.database.execute_sql(
                f"SELECT COUNT(*), SUM(id) FROM {t}").fetchone()) for t in expected}
            assert got == {t: tuple(v) for t, v in expected.items()}
            assert crm.ledger.trial_balance() == {"IDR": 0}
            # a new row gets the next id: the sequences were moved past the copied ids
            assert crm.ledger.open_account("test.after_copy", type="asset")
        finally:
            crm.close()
    finally:
        backends.drop_database(copy.url)


def _written(crm) -> dict:
    """What a payroll import leaves in the tables it writes, ids and clock stamps aside."""
    def rows(sql: str) -> list:
        return sorted(tuple(str(v) for v in r) for r in crm.database.execute_sql(sql))

    return {
        "entries": rows("SELECT key, kind, member_id, effective_date, memo FROM journal_entry"),
        "postings": rows("SELECT account_id, SUM(amount), COUNT(*) FROM posting "
                         "GROUP BY account_id"),
        "receipts": rows("SELECT number, entry_id, amount FROM receipt"),
        "installments": rows("SELECT id, penalty_periods, penalty_assessed, penalty_paid, "
                             "interest_paid, principal_paid, paid_on FROM loan_installment"),
        "payments": rows("SELECT reference, amount, penalty, interest, principal "
                         "FROM loan_payment"),
        "deposits": rows("SELECT reference, amount, entry_id FROM savings_deposit"),
        "keys": rows('SELECT "key" FROM action_key'),
        "messages": rows('SELECT "key", recipient, body FROM outbox_message'),
        "touchpoints": rows("SELECT member_id, kind, payload FROM touchpoint"),
        "accounts": rows("SELECT code FROM account"),
        "lines": rows("SELECT line_no, employee_no, amount, status FROM kxyz_payroll_line"),
        "shu": rows("SELECT year, status, posted_on FROM kxyz_shu_year"),
    }


@pytest.mark.parametrize("name", ["payroll.import", "shu.post"])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                            marks=pytest.mark.postgres)])
def test_a_write_floor_writes_what_its_job_writes(tmp_path: Path, request, backend: str,
                                                   name: str) -> None:
    """``payroll.import raw`` and ``shu.post raw`` store the very rows their jobs store (so
    the ratio of the two is the job's cost over the database's share of it)."""
    _load_jobs()
    job, floor = harness.JOBS[name], harness.JOBS[f"{name} raw"]
    assert job.prepare is floor.prepare  # one world: the floor's rows are the job's
    world = _prepared_world(tmp_path / "w", 90, job.enabled, job.plugins, job.prepare)
    if backend == "postgresql":
        import backends

        world = backends.copy_world(world, request.getfixturevalue("postgres_server"),
                                    job.enabled, job.plugins)
    try:
        left = {}
        for j in (job, floor):
            with harness.world_copy(world, tmp_path) as copy:
                crm = harness._open_for(j, copy)
                try:
                    before = _written(crm)
                    j.run(crm, copy)
                    left[j.name] = _written(crm)
                finally:
                    crm.close()
        assert left[job.name] != before  # the import wrote something
        assert left[job.name] == left[floor.name]
    finally:
        if backend == "postgresql":
            backends.drop_database(world.url)
