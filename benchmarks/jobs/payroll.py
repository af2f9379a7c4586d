"""koperasi_xyz.payroll: the December deduction list of every active member, and the
import of the payroll office's confirmation of it (posting the whole month in one action).

Jobs: ``payroll.deduction_list``, ``payroll.import`` (the whole confirmation import, with
its payments, installments, touchpoints, receipts and messages) and the ledger's bulk path
next to its floor: ``payroll.post_many`` posts the month's entries (a wajib deposit per
line, a repayment per loan) through ``crm.ledger.post_many`` in one action (keys, checks,
receipts, hooks), ``payroll.post_many raw`` writes the same entries and postings with
hand-written SQL in one transaction (``python -m benchmarks --only post_many``: the
``ratio`` column is dyncrm / raw; postings per second are printed by the script below).

``payroll.import raw`` is the import's floor: the very rows the import writes, taken from an
untimed import rolled back while the world is prepared, stored with hand-written SQL in one
transaction (the database's share of the import, nothing checked or computed).

``python benchmarks/jobs/payroll.py -n 10000`` times the import apart from the rest: the
deduction list alone, the whole import, its rows written alone, the floor's entries through
``crm.ledger.post_many`` (the ledger's bulk path alone), and a raw-SQL floor writing the
same entries and postings in one transaction, in postings per second.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

import write_floor
from harness import job
from worlds import ENABLED, PLUGINS, WAJIB, Expect, check, koperasi_job, wajib_gaps

MONTH = dt.date(2025, 12, 1)


@koperasi_job("payroll.deduction_list", memory_growth="linear")
def deduction_list(crm, world):
    """Wajib, installments and arrears with denda per member, capped by take-home pay."""
    from koperasi_xyz.payroll import listing as payroll_list

    found = payroll_list.deduction_list(crm, MONTH)
    e = Expect(world)
    check("lines", len(found.lines), world.n)
    check("wajib and wajib arrears", sum(x.wajib + x.wajib_arrears for x in found.lines),
          e.gaps * WAJIB)
    # every loan's December installment is unpaid
    check("installments due in December", sum(x.installments for x in found.lines),
          sum(e.installment_total(m) for m in e.loans))
    base = sum(e.installment_total(m) for m, _, _ in e.unpaid_before(MONTH))
    arrears = sum(x.loan_arrears for x in found.lines)
    if not base < arrears < base * 5 // 4:  # denda: 2 % a started month, at most 7 months
        raise AssertionError(f"loan arrears with denda {arrears}, unpaid before December "
                             f"{base}")
    check("lines without take-home pay", Counter(x.flag for x in found.lines)
          ["THP tidak diketahui"], sum(1 for m in world.member_ids if m % 50 == 0))


# --- the confirmation import: posting a month's payroll in one action --------------------

#: The confirmation file of each world size (built untimed by :func:`_prepare_import`).
_FILES: dict[int, bytes] = {}
#: The deduction list of each world size (what the bulk-posting jobs post).
_LISTS: dict[int, object] = {}
PAYDAY = dt.date(2025, 12, 25)


def _prepare_import(crm, world):
    """The Koperasi world, December's list sent to the payroll office (archived, as
    ``dyncrm payroll send`` does before payday), the office's file confirming it in
    full, and the rows its import writes (:func:`_capture_writes`)."""
    from worlds import prepare_koperasi

    from dyncrm.values import Actor
    from koperasi_xyz.payroll import sent

    prepare_koperasi(crm, world)
    found = sent.send(crm, Actor.operator("benchmark"), MONTH).dlist
    _LISTS[world.n] = found
    _FILES[world.n] = ("nik_karyawan;jumlah_dipotong\n" + "".join(
        f"{x.employee_number};{x.total}\n" for x in found.lines if x.total)).encode()
    _WRITES[world.n] = _capture_writes(crm, world)


#: Tables whose existing rows the import changes (the others it only adds to).
UPDATED = ("loan_installment", "counter", "loan")
#: The rows the import writes, per world size (what ``payroll.import raw`` writes).
_WRITES: dict[int, write_floor.Writes] = {}


def _capture_writes(crm, world) -> write_floor.Writes:
    """The rows the import writes: the import run untimed and rolled back."""
    return write_floor.capture(crm, lambda: import_confirmation(crm, world), updated=UPDATED)




@job("payroll.import", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_import,
     writes=True, memory_growth="linear")
def import_confirmation(crm, world):
    """The December confirmation of every member, posted in one action."""
    from dyncrm.values import Actor
    from koperasi_xyz.payroll.importer import import_confirmation as run

    data = _FILES[world.n]
    lines = data.count(b"\n") - 1
    marks = write_floor.ledger_marks(crm)
    report = run(crm, Actor.operator("benchmark"), data, batch=f"HR-{world.n}", month=MONTH)
    check("lines posted", sum(1 for x in report.lines if x.status == "posted"), lines)
    entries, postings = write_floor.ledger_written(crm, marks)
    e = Expect(world)
    # December's wajib is deposited already: wajib entries are the members with gaps
    check("entries", entries, sum(1 for m in world.member_ids if wajib_gaps(m)) + len(e.loans))
    return postings


@job("payroll.import raw", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_import,
     writes=True, memory_growth="linear")
def import_raw(crm, world):
    """The rows the import writes (taken from an untimed import that was rolled back),
    inserted and updated with hand-written SQL in one transaction: the database's share
    of the import alone, with nothing checked, computed or rendered."""
    return write_floor.replay_checked(crm, _WRITES[world.n])


def floor_specs(found, currency: str) -> list:
    """The floor's entries as ``EntrySpec`` values: the same keys, legs and accounts."""
    from dyncrm.ledger import EntrySpec
    from dyncrm.money import Money, from_minor
    from dyncrm.values import Leg

    made: dict[int, Money] = {}

    def idr(units: int) -> Money:  # as the importer makes its amounts: once per amount
        found = made.get(units)
        if found is None:
            found = made[units] = from_minor(units, currency, 0)
        return found

    specs = []
    for n, x in enumerate(found.lines, start=2):
        wajib = x.wajib + x.wajib_arrears
        if wajib:
            specs.append(EntrySpec(
                legs=(Leg("cash", idr(wajib)), Leg(f"savings.wajib:m{x.member_id}",
                                                    idr(-wajib))),
                kind="savings.deposit", actor="benchmark", key=f"deposit:payroll:HR:{n}:wajib",
                memo="Simpanan Wajib (payroll)", on=PAYDAY, member_id=x.member_id,
                meta={"product": "wajib"}))
        for due in x.loans:
            if not due.total:
                continue
            interest = due.total // 10
            specs.append(EntrySpec(
                legs=(Leg("cash", idr(due.total)),
                      Leg(f"income.loan_interest:m{x.member_id}", idr(-interest)),
                      Leg(f"loans.principal:m{x.member_id}", idr(-(due.total - interest)))),
                kind="loans.repayment", actor="benchmark",
                key=f"loans.repayment:payroll:HR:{n}:loan{due.loan_id}",
                memo=f"repayment of loan {due.loan_id}", on=PAYDAY, member_id=x.member_id,
                meta={"loan": due.loan_id}))
    return specs


def run_post_many(crm, found) -> int:
    """The floor's entries through ``crm.ledger.post_many`` in one action (the ledger's
    bulk path alone: checks, keys, ids, hooks, receipts); returns the postings written.
    The entries are made with the cycle collector paused, as the library's batch callers
    make theirs (the payroll import, the SHU posting: ``dyncrm.gc_pause``)."""
    from dyncrm.gc_pause import gc_paused
    from dyncrm.values import Actor

    with gc_paused():
        specs = floor_specs(found, crm.currency)
        with crm.action("benchmark.post_many", Actor.operator("benchmark")):
            results = crm.ledger.post_many(specs)
    if any(r.replayed for r in results):
        raise AssertionError("a floor entry was already posted")
    return sum(len(s.legs) for s in specs)


def run_floor(db, found, currency: str) -> int:
    """Insert one wajib entry (2 postings) per line and one repayment entry (cash,
    interest, principal) per loan, keyed like the importer's, in one transaction:
    ``executemany`` on SQLite, ``execute_values`` (multi-row) on PostgreSQL; with the
    cycle collector paused, as :func:`run_post_many` runs."""
    from dyncrm.gc_pause import gc_paused

    with gc_paused():
        return _floor(db, found, currency)


def _floor(db, found, currency: str) -> int:
    import json

    from peewee import PostgresqlDatabase

    accounts = dict(db.execute_sql("SELECT code, id FROM account").fetchall())
    cash = accounts["cash"]
    stamp = "2025-12-25 08:00:00"
    entries, legs = [], []
    for n, x in enumerate(found.lines, start=2):
        wajib = x.wajib + x.wajib_arrears
        if wajib:
            key = f"deposit:payroll:HR:{n}:wajib"
            entries.append((key, "savings.deposit", "Simpanan Wajib (payroll)",
                            PAYDAY.isoformat(), stamp, "benchmark", x.member_id,
                            json.dumps({"product": "wajib"})))
            legs.append((key, [(cash, wajib), (accounts[f"savings.wajib:m{x.member_id}"],
                                               -wajib)]))
        for due in x.loans:
            if not due.total:
                continue
            key = f"loans.repayment:payroll:HR:{n}:loan{due.loan_id}"
            entries.append((key, "loans.repayment", f"repayment of loan {due.loan_id}",
                            PAYDAY.isoformat(), stamp, "benchmark", x.member_id,
                            json.dumps({"loan": due.loan_id})))
            interest = due.total // 10
            legs.append((key, [(cash, due.total),
                               (accounts[f"income.loan_interest:m{x.member_id}"], -interest),
                               (accounts[f"loans.principal:m{x.member_id}"],
                                -(due.total - interest))]))
    entry_sql = ("INSERT INTO journal_entry (key, kind, memo, effective_date, recorded_at, "
                 "actor, member_id, meta) VALUES ")
    posting_sql = "INSERT INTO posting (entry_id, account_id, amount, commodity) VALUES "
    keys = [key for key, _ in legs]
    ids = {}
    with db.atomic():
        cursor = db.cursor()
        if isinstance(db, PostgresqlDatabase):
            from psycopg2.extras import execute_values

            execute_values(cursor, entry_sql + "%s", entries, page_size=500)
            for start in range(0, len(keys), 500):
                cursor.execute("SELECT key, id FROM journal_entry WHERE key = ANY(%s)",
                               (keys[start:start + 500],))
                ids.update(cursor.fetchall())
            rows = [(ids[key], account, amount, currency)
                    for key, parts in legs for account, amount in parts]
            execute_values(cursor, posting_sql + "%s", rows, page_size=500)
        else:
            cursor.executemany(entry_sql + "(?, ?, ?, ?, ?, ?, ?, ?)", entries)
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                ids.update(cursor.execute("SELECT key, id FROM journal_entry WHERE key IN "
                                          f"({', '.join('?' * len(part))})", part).fetchall())
            rows = [(ids[key], account, amount, currency)
                    for key, parts in legs for account, amount in parts]
            cursor.executemany(posting_sql + "(?, ?, ?, ?)", rows)
    return len(rows)


def _expected_postings(found) -> int:
    return sum(2 for x in found.lines if x.wajib + x.wajib_arrears) + \
        sum(3 for x in found.lines for due in x.loans if due.total)


@job("payroll.post_many", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_import,
     writes=True, memory_growth="linear")
def post_many_job(crm, world):
    """The month's payroll entries through ``crm.ledger.post_many``, in one action."""
    found = _LISTS[world.n]
    marks = write_floor.ledger_marks(crm)
    postings = run_post_many(crm, found)
    check("postings written", write_floor.ledger_written(crm, marks)[1],
          _expected_postings(found))
    check("postings posted", postings, _expected_postings(found))
    return postings


@job("payroll.post_many raw", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_import,
     writes=True, memory_growth="linear")
def post_many_raw(crm, world):
    """The same entries and postings with hand-written SQL in one transaction."""
    found = _LISTS[world.n]
    marks = write_floor.ledger_marks(crm)
    postings = run_floor(crm.database, found, crm.currency)
    check("postings written", write_floor.ledger_written(crm, marks)[1],
          _expected_postings(found))
    return postings


def main(argv: list[str] | None = None) -> int:
    """Time the deduction list, the import and the raw floor on one world of ``-n`` members
    (wall time, and CPU time of the import, ``post_many`` and the floor)."""
    import argparse
    import tempfile
    import time

    import harness

    from koperasi_xyz.payroll import listing as payroll_list

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("-n", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dyncrm-payroll-") as tmp:
        scratch = Path(tmp)
        world = harness.generate_world(scratch / "world", args.n, enabled=ENABLED,
                                       plugins=PLUGINS)
        crm = harness.open_world(world, ENABLED, PLUGINS)
        try:
            _prepare_import(crm, world)
        finally:
            crm.close()
        out, cpu = {}, {}
        for name in ("list", "import", "writes", "post_many", "floor"):
            with harness.world_copy(world, scratch) as copy:
                crm = harness.open_world(copy, ENABLED, PLUGINS)
                try:
                    t0 = time.perf_counter()
                    found = payroll_list.deduction_list(crm, MONTH)
                    listed = time.perf_counter() - t0
                    if name == "list":
                        out[name] = (listed, 0)
                        continue
                    c0, t0 = time.process_time(), time.perf_counter()
                    if name == "import":
                        postings = import_confirmation(crm, copy)
                    elif name == "writes":
                        postings = import_raw(crm, copy)
                    elif name == "post_many":
                        postings = run_post_many(crm, found)
                    else:
                        postings = run_floor(crm.database, found, crm.currency)
                    out[name] = (time.perf_counter() - t0, postings)
                    cpu[name] = time.process_time() - c0
                finally:
                    crm.close()
    print(f"{args.n} members, {out['import'][1]} postings by the import, "
          f"{out['floor'][1]} by the floor")
    for name, (seconds, postings) in out.items():
        rate = f"{postings / seconds:,.0f} postings/s" if postings else ""
        used = f"cpu {cpu[name]:6.2f}s ({postings / cpu[name]:,.0f} postings/s)" \
            if name in cpu else ""
        print(f"{name:<9} wall {seconds:6.2f}s  {rate:<22} {used}")
    print(f"import: {out['import'][0] / out['writes'][0]:.2f}x the time of its writes alone "
          f"(wall; {cpu['import'] / cpu['writes']:.2f}x in CPU)")
    print(f"import: {out['import'][1] / cpu['import']:,.0f} postings per CPU-second, "
          f"{out['import'][1] / cpu['import'] / (out['floor'][1] / cpu['floor']):.0%} of the "
          "floor's")
    print(f"ledger.post_many of the floor's entries: "
          f"{out['post_many'][1] / cpu['post_many']:,.0f} postings per CPU-second, "
          f"{out['post_many'][1] / cpu['post_many'] / (out['floor'][1] / cpu['floor']):.0%} "
          "of the floor's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
