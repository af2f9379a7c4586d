"""koperasi_xyz.payroll: December's deduction list written as CSV, and its raw-SQL floor.

``payroll_list csv`` goes through the library (``payroll.export.write_month_csv``,
which streams ``payroll.listing.line_values`` into the file); ``payroll_list raw``
writes the same file from two hand-written queries streamed side by side, the
wajib arithmetic in closed form and the denda of the world's one loan product
(2 % of the unpaid installment per started month after 5 days of grace, rounded
half-even in integers; the started months through the loans plugin's pure
``penalty_periods``, worked out once per distinct installment as the library does).
Like the library, the floor keeps every text cell from starting a spreadsheet
formula (``dyncrm.output.spreadsheet_cell`` for a cell whose first character could).
Both files must be byte-identical: the second job to run at a size compares its
file's digest with the first's.  The output goes to a file, so memory must stay flat.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from fractions import Fraction

from worlds import (
    DUE_DATES,
    WAJIB,
    Expect,
    check,
    has_loan,
    koperasi_job,
    paid_installments,
    wajib_gaps,
)

from dyncrm.output import FORMULA_TRIGGERS, spreadsheet_cell

MONTH = dt.date(2025, 12, 1)
PAYDAY = dt.date(2025, 12, 25)
CAP_PERCENT = 35
#: Digest of the CSV file per world size, from whichever job ran first.
FILES: dict[int, str] = {}
#: World sizes whose raw figures were checked against what the world implies.
CHECKED: set[int] = set()


def same_file(world, path) -> None:
    """The CSV of both jobs is the same file (compared through a digest)."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:  # in blocks: the file grows with N, memory must not
        for block in iter(lambda: fh.read(1 << 16), b""):
            sha.update(block)
    digest = sha.hexdigest()
    check("CSV identical to the other deduction-list job", FILES.setdefault(world.n, digest),
          digest)


@koperasi_job("payroll_list csv", memory_growth="flat")
def list_csv(crm, world):
    """The December list streamed into a CSV file through the library."""
    from koperasi_xyz.payroll import export

    path = world.directory / "potongan-lib.csv"
    _, lines, _ = export.write_month_csv(crm, MONTH, path)
    check("lines", lines, world.n)
    same_file(world, path)


ORDER = ("ORDER BY COALESCE(a.department, '(tanpa departemen)'), "
         "COALESCE(a.employee_number, ''), COALESCE(m.number, '#'), "
         "CASE WHEN m.number IS NULL THEN CAST(m.id AS TEXT) ELSE '' END, m.id")


@koperasi_job("payroll_list raw", memory_growth="flat")
def list_raw(crm, world):
    """The same CSV from two hand-written queries (the floor)."""
    from dyncrm_expand.loans.schedule import penalty_periods

    db = crm.database
    members = db.execute_sql(
        "SELECT m.id, m.number, m.name, a.employee_number, a.department, a.take_home_pay, "
        "COALESCE(w.start_on, m.joined_on), -COALESCE(p.units, 0) "
        "FROM member m LEFT JOIN acquire_application a ON a.member_id = m.id "
        "LEFT JOIN savings_obligation w ON w.member_id = m.id AND w.product = 'wajib' "
        "LEFT JOIN (SELECT ac.member_id, SUM(po.amount) AS units FROM posting po "
        "  JOIN account ac ON ac.id = po.account_id "
        "  JOIN journal_entry e ON e.id = po.entry_id "
        "  WHERE ac.kind = 'savings.wajib' AND e.kind NOT LIKE 'deactivation.%' "
        "  GROUP BY ac.member_id) p ON p.member_id = m.id "
        f"WHERE m.stage = 'active' {ORDER}")
    loans = db.execute_sql(
        "SELECT l.member_id, l.id, l.terms, i.due_on, "
        "i.principal - i.principal_paid + i.interest - i.interest_paid - i.interest_waived, "
        "i.penalty_assessed - i.penalty_paid, i.penalty_periods "
        "FROM loan_installment i JOIN loan l ON l.id = i.loan_id "
        "JOIN member m ON m.id = l.member_id LEFT JOIN acquire_application a ON a.member_id = m.id "
        "WHERE l.stage = 'disbursed' AND i.paid_on IS NULL AND i.due_on <= '2025-12-31' "
        f"AND m.stage = 'active' {ORDER}, l.id, i.number")
    pending = loans.fetchone()
    penalties: dict[str, dict] = {}
    dates: dict[object, dt.date] = {}  # due dates as read, converted once
    denda: dict[tuple, int] = {}  # the denda of installments alike, worked out once
    triggers = frozenset(FORMULA_TRIGGERS)

    def safe(text: str) -> str:  # no cell may start a spreadsheet formula (as the library)
        return text if not text or text[0] not in triggers else spreadsheet_cell(text)

    totals = {"wajib": 0, "installments": 0, "arrears": 0, "unknown": 0}
    path = world.directory / "potongan-raw.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(["periode", "departemen", "nik_karyawan", "nomor_anggota", "nama",
                      "simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
                      "jumlah_potongan", "gaji_bersih", "batas_potongan", "catatan",
                      "jumlah_dipotong"])
        for mid, number, name, empno, dept, thp, start, paid in members:
            due_now = arrears = 0
            while pending is not None and pending[0] == mid:
                _, _, terms, due_on, base, penalty, periods = pending
                if terms not in penalties:
                    pen = json.loads(terms)["penalty"]
                    pct = Fraction(pen["percent"]) / 100
                    penalties[terms] = (pen, pct.numerator, pct.denominator)
                key = (terms, due_on, base, periods)
                if key not in denda:
                    if len(denda) > 4096:  # bounded, as the library's: memory stays flat
                        denda.clear()
                    pen, num, den = penalties[terms]
                    due = dt.date.fromisoformat(str(due_on)[:10])
                    new = penalty_periods(pen["kind"], due, PAYDAY,
                                          grace_days=pen.get("grace_days", 0),
                                          max_periods=pen.get("max_periods")) - periods
                    extra = 0
                    if new > 0 and base > 0:  # percent of the unpaid base, half-even
                        q, r = divmod(base * num, den)
                        extra = new * (q + (2 * r > den or (2 * r == den and q % 2)))
                    denda[key] = extra
                penalty += denda[key]
                due = dates.get(due_on)
                if due is None:
                    if len(dates) > 4096:
                        dates.clear()
                    due = dates[due_on] = dt.date.fromisoformat(str(due_on)[:10])
                if due >= MONTH:
                    due_now += base
                    arrears += penalty
                else:
                    arrears += base + penalty
                pending = loans.fetchone()
            start = dt.date.fromisoformat(start[:10])
            owed = (MONTH.year - start.year) * 12 + MONTH.month - start.month + 1
            before = max((owed - 1) * WAJIB - paid, 0) if owed > 0 else 0
            now = max(owed * WAJIB - paid, 0) - before if owed > 0 else 0
            total = now + before + due_now + arrears
            cap = None if thp is None else thp * CAP_PERCENT // 100
            flag = ("tanpa NIK karyawan" if empno is None else "THP tidak diketahui"
                    if thp is None else "melebihi batas" if total > cap else "")
            out.writerow(["2025-12", safe(dept or "(tanpa departemen)"), safe(empno or ""),
                          safe(number), safe(name), now, before, due_now, arrears, total,
                          "" if thp is None else thp, "" if cap is None else cap, flag, ""])
            totals["wajib"] += now + before
            totals["installments"] += due_now
            totals["arrears"] += arrears
            totals["unknown"] += flag == "THP tidak diketahui"
    same_file(world, path)
    if world.n in CHECKED:  # once per size: the floor's own time is what the runs compare
        return
    CHECKED.add(world.n)
    # what the world implies (``worlds.Expect``, summed without lists: memory stays flat)
    e = Expect(world)
    ids = world.member_ids
    check("wajib and wajib arrears (raw)", totals["wajib"],
          sum(len(wajib_gaps(m)) for m in ids) * WAJIB)
    check("installments due in December (raw)", totals["installments"],
          sum(e.installment_total(m) for m in ids if has_loan(m)))
    base = sum(e.installment_total(m) * sum(1 for n, due in enumerate(DUE_DATES, start=1)
                                            if n > paid_installments(m) and due < MONTH)
               for m in ids if has_loan(m))
    if not base < totals["arrears"] < base * 5 // 4:
        raise AssertionError(f"loan arrears with denda {totals['arrears']}, unpaid {base}")
    check("lines without take-home pay (raw)", totals["unknown"],
          sum(1 for m in world.member_ids if m % 50 == 0))
