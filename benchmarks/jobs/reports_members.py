"""koperasi_xyz.reports: the member laporan (anggota, anggota-baru, anggota-keluar), the
payroll deduction report (potongan, as sent and live) and kritik-saran, with their floors.

They run in one world of their own (:func:`prepare_members`): the Koperasi world, December's
deduction list sent to the payroll office (archived, as ``dyncrm payroll send`` does), then
members leaving and feedback tickets, which the shared world has not (leavers change the
active-member counts other jobs check, so they stay out of it):

- members with ``id % 80 == 0`` left on 28 November 2025 (stage ``inactive``, their
  refund paid that day); ``id % 160 == 40`` are leaving with the refund approved and
  scheduled for 15 January 2026; the other ``id % 80 == 40`` asked to leave on
  10 December (request not yet approved); ``id % 400 == 100`` asked in June and cancelled;
- a ticket for every member with ``id % 5 == 0``: kinds, categories, months and stages
  cycling with the id, replies sent for the acknowledged ones (and an internal note,
  which the report never prints), ratings on the closed ones; ``id % 25 == 0`` are
  anonymous and name their writer in the text (the report blanks it).

Every library job checks its result against what the world implies and both jobs of a
pair compare a digest of everything the report shows (rows, CSV rows, totals, summary):
the floor must produce the same report, on SQLite and on PostgreSQL.  Floors are
hand-written SQL and plain Python, formatting through the deployment's own ``tanggal``
/ ``rupiah`` (once per distinct value).  ``reports.potongan live raw`` is the exception:
it takes the list from ``payroll.listing.deduction_list``, whose own floor is
``payroll_list raw`` (``jobs/payroll_list.py``), and writes the report's rows by hand, so
its ratio is the report's own work on top of the list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import harness
from worlds import ENABLED, NOW, PLUGINS, POKOK, WAJIB, Expect, check

SINCE = dt.date(2025, 1, 1)
UNTIL = dt.date(2025, 12, 31)
MONTH = dt.date(2025, 12, 1)
REFUND = 1_500_000
MEMBER_ENABLED = (*ENABLED, "expand.deactivation", "retain.feedback")
CATEGORIES = ("service", "savings", "loans", "app", "other")
#: Digest of each report per (job pair, world size), from whichever job of the pair ran first.
DIGESTS: dict[tuple[str, int], str] = {}
#: (job, size, backend) whose result was checked (once: the later runs are timed bare).
CHECKED: set[tuple[str, int, bool]] = set()


def leave(member_id: int) -> str | None:
    """How ``member_id`` is leaving: ``paid``, ``approved``, ``requested``, ``cancelled``."""
    if member_id % 80 == 0:
        return "paid"
    if member_id % 160 == 40:
        return "approved"
    if member_id % 80 == 40:
        return "requested"
    if member_id % 400 == 100:
        return "cancelled"
    return None


def stage_of(member_id: int) -> str:
    """The member's stage at the end of 2025."""
    return {"paid": "inactive", "approved": "leaving", "requested": "leaving"}.get(
        leave(member_id) or "", "active")


def prepare_members(crm, world: harness.World) -> None:
    """The Koperasi world, December's list sent, leavers and feedback tickets (set-based)."""
    from worlds import prepare_koperasi

    from dyncrm.values import Actor
    from koperasi_xyz.payroll import sent

    prepare_koperasi(crm, world)
    sent.send(crm, Actor.operator("benchmark"), MONTH)  # before anyone leaves
    db = crm.database
    kind = ("CASE WHEN m.id % 80 = 0 THEN 'paid' WHEN m.id % 160 = 40 THEN 'approved' "
            "WHEN m.id % 80 = 40 THEN 'requested' WHEN m.id % 400 = 100 THEN 'cancelled' END")
    with db.atomic():
        db.execute_sql(
            "INSERT INTO leave_request (member_id, status, reason, requested_on, requested_by, "
            "requested_at, approved_by, approved_on, payout_on, settlement_total, currency, "
            "lines, paid_by, paid_on, payout_method, payout_reference, cancelled_by, "
            "cancelled_on, cancel_reason) "
            "SELECT x.id, x.k, 'pindah kerja', CASE x.k WHEN 'paid' THEN '2025-10-15' "
            "WHEN 'approved' THEN '2025-12-01' WHEN 'requested' THEN '2025-12-10' "
            "ELSE '2025-06-01' END, 'benchmark', ?, "
            "CASE WHEN x.k IN ('paid', 'approved') THEN 'benchmark' END, "
            "CASE x.k WHEN 'paid' THEN '2025-10-20' WHEN 'approved' THEN '2025-12-05' END, "
            "CASE x.k WHEN 'paid' THEN '2025-11-28' WHEN 'approved' THEN '2026-01-15' END, "
            "CASE WHEN x.k IN ('paid', 'approved') THEN ? END, ?, '[]', "
            "CASE WHEN x.k = 'paid' THEN 'benchmark' END, "
            "CASE WHEN x.k = 'paid' THEN '2025-11-28' END, "
            "CASE WHEN x.k = 'paid' THEN 'transfer' END, "
            "CASE WHEN x.k = 'paid' THEN 'bench-refund-' || x.id END, "
            "CASE WHEN x.k = 'cancelled' THEN 'benchmark' END, "
            "CASE WHEN x.k = 'cancelled' THEN '2025-06-10' END, "
            "CASE WHEN x.k = 'cancelled' THEN 'batal' END "
            f"FROM (SELECT m.id, {kind} AS k FROM member m) x WHERE x.k IS NOT NULL "
            "ORDER BY x.id", [NOW, REFUND, crm.currency])
        db.execute_sql("UPDATE member SET stage = 'inactive', left_on = '2025-11-28' "
                       "WHERE id % 80 = 0")
        db.execute_sql("UPDATE member SET stage = 'leaving' WHERE id % 80 = 40")
        cats, cat_params = harness.values_cte("c", ("i", "name"), list(enumerate(CATEGORIES)))
        # stage cycles new, acknowledged, resolved, closed with (id / 5) % 4
        db.execute_sql(
            f"WITH {cats}, t0 AS (SELECT m.id, m.number, m.name, (m.id / 5) % 4 AS s, "
            "printf('2025-%02d-%02d', (m.id / 5) % 12 + 1, m.id % 28 + 1) AS d "
            "FROM member m WHERE m.id % 5 = 0) "
            "INSERT INTO feedback_ticket (number, member_id, kind, category, subject, text, "
            "anonymous, stage, submitted_by, created_at, submitted_on, ack_due_on, "
            "resolve_due_on, acknowledged_at, acknowledged_on, resolved_at, resolved_on, "
            "resolution, closed_at, rating, rating_comment, rated_at, published) "
            "SELECT printf('FB-2025-%06d', t0.id), t0.id, "
            "CASE WHEN t0.id % 10 = 0 THEN 'complaint' ELSE 'suggestion' END, c.name, "
            "'Tiket ' || t0.id, CASE WHEN t0.id % 25 = 0 THEN 'Saya ' || t0.name || ' (' || "
            "t0.number || ') menunggu pencairan terlalu lama' ELSE 'Mohon layanan dipercepat, "
            "antrean di kantor panjang' END, t0.id % 25 = 0, "
            "CASE t0.s WHEN 0 THEN 'new' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'resolved' "
            "ELSE 'closed' END, 'benchmark', t0.d || ' 02:00:00', t0.d, "
            "date(t0.d, '+2 days'), date(t0.d, '+14 days'), "
            "CASE WHEN t0.s > 0 THEN datetime(t0.d || ' 02:00:00', '+' || (t0.id % 70) || "
            "' hours') END, "
            "CASE WHEN t0.s > 0 THEN date(datetime(t0.d || ' 02:00:00', '+' || (t0.id % 70) "
            "|| ' hours')) END, "
            "CASE WHEN t0.s > 1 THEN datetime(t0.d || ' 02:00:00', '+' || (t0.id % 400) || "
            "' hours') END, "
            "CASE WHEN t0.s > 1 THEN date(datetime(t0.d || ' 02:00:00', '+' || (t0.id % 400) "
            "|| ' hours')) END, "
            "CASE WHEN t0.s > 1 THEN 'Sudah ditindaklanjuti oleh pengurus' END, "
            "CASE WHEN t0.s = 3 THEN datetime(t0.d || ' 02:00:00', '+20 days') END, "
            "CASE WHEN t0.s = 3 THEN (t0.id / 20) % 5 + 1 END, "
            "CASE WHEN t0.s = 3 THEN 'Terima kasih' END, "
            "CASE WHEN t0.s = 3 THEN datetime(t0.d || ' 02:00:00', '+20 days') END, 0 "
            "FROM t0 JOIN c ON c.i = (t0.id / 5) % 5 ORDER BY t0.d, t0.id",
            cat_params)
        db.execute_sql(
            "INSERT INTO feedback_event (ticket_id, at, actor, action, from_stage, to_stage, "
            "text, internal) "
            "SELECT t.id, t.acknowledged_at, 'benchmark', 'acknowledge', 'new', "
            "'acknowledged', 'Terima kasih, masukan Anda kami terima', 0 FROM feedback_ticket t "
            "WHERE t.acknowledged_at IS NOT NULL "
            "UNION ALL SELECT t.id, t.acknowledged_at, 'benchmark', 'note', NULL, NULL, "
            "'cek dengan bagian kredit', 1 FROM feedback_ticket t "
            "WHERE t.acknowledged_at IS NOT NULL "
            "UNION ALL SELECT t.id, t.resolved_at, 'benchmark', 'reply', NULL, NULL, "
            "'Sudah kami teruskan ke bagian terkait', 0 FROM feedback_ticket t "
            "WHERE t.resolved_at IS NOT NULL ORDER BY 2, 1")


def members_job(name: str, **kwargs):
    """``harness.job`` for a job running in the world of :func:`prepare_members`."""
    return harness.job(name, enabled=MEMBER_ENABLED, plugins=PLUGINS, prepare=prepare_members,
                       memory_growth="linear", **kwargs)


def _first(job: str, world) -> bool:
    """True the first time ``job`` runs at this size on this backend (then it checks)."""
    key = (job, world.n, bool(world.url))
    if key in CHECKED:
        return False
    CHECKED.add(key)
    return True


def same_report(pair: str, world, *parts) -> None:
    """Both jobs of ``pair`` show the same report (compared through a digest)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    check(f"{pair}: report identical to the other job's", DIGESTS.setdefault(
        (pair, world.n), digest), digest)


def _laporan_parts(laporan) -> tuple:
    return (laporan.title, laporan.subtitle, laporan.summary_values, laporan.summary,
            tuple((s.heading, s.rows, s.raw, s.totals) for s in laporan.sections))


def _memo(fn):
    """``fn(value)`` computed once per distinct value."""
    seen: dict = {}

    def once(value):
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = fn(value)
            return out

    return once


def _short_dates(crm):
    from koperasi_xyz.fmt import tanggal

    return _memo(lambda text: tanggal(crm, dt.date.fromisoformat(str(text)[:10]), long=False)
                 if text else "")


# --- anggota ------------------------------------------------------------------------------


@members_job("reports.member_list")
def member_list(crm, world):
    """Laporan anggota: the member register with each member's status at year end."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.member_list(crm, UNTIL)
    if _first("reports.member_list", world):
        rows = laporan.sections[0].raw
        check("members", len(rows), world.n)
        statuses = defaultdict(int)
        for r in rows:
            statuses[r["status"]] += 1
        check("active", statuses["aktif"], sum(1 for m in world.member_ids
                                                if stage_of(m) == "active"))
        check("leaving", statuses["proses keluar"],
              sum(1 for m in world.member_ids if stage_of(m) == "leaving"))
        check("left", statuses["keluar"], sum(1 for m in world.member_ids
                                               if stage_of(m) == "inactive"))
        same_report("reports.member_list", world, *_laporan_parts(laporan))


@members_job("reports.member_list raw")
def member_list_raw(crm, world):
    """The member register in one hand-written query and plain Python (the floor)."""
    from koperasi_xyz.fmt import tanggal
    from koperasi_xyz.reports.builders import NO_DEPT, STAGE_ID

    as_of = UNTIL.isoformat()
    people = crm.database.execute_sql(
        "SELECT m.number, m.name, m.stage, m.joined_on, m.left_on, a.employee_number, "
        "a.department FROM member m LEFT JOIN acquire_application a ON a.member_id = m.id "
        "WHERE m.joined_on IS NOT NULL AND m.joined_on <= ?", [as_of]).fetchall()
    people.sort(key=lambda p: (p[3], p[0] or ""))
    short = _short_dates(crm)
    rows, raw = [], []
    counts: dict[str, int] = defaultdict(int)
    per_dept: dict[str, int] = defaultdict(int)
    for i, (number, name, stage, joined, left, empno, dept) in enumerate(people, start=1):
        if left is not None and left <= as_of:
            status = "keluar"
        else:
            left = None
            status = "aktif" if stage == "inactive" else STAGE_ID.get(stage, stage)
            per_dept[dept or NO_DEPT] += 1
        counts[status] += 1
        rows.append({"no": i, "nomor": number or "", "nama": name, "nik": empno or "",
                     "departemen": dept or "", "bergabung": short(joined), "status": status,
                     "keluar": short(left)})
        raw.append({"nomor_anggota": number or "", "nama": name, "nik_karyawan": empno or "",
                    "departemen": dept or "", "bergabung": joined, "status": status,
                    "keluar": left or ""})
    dept_rows = tuple({"departemen": d, "anggota": n} for d, n in sorted(per_dept.items()))
    summary = (("Anggota aktif", counts.get("aktif", 0)),
               ("Dalam proses keluar", counts.get("proses keluar", 0)),
               ("Sudah keluar", counts.get("keluar", 0)), ("Jumlah tercatat", len(people)))
    if _first("reports.member_list raw", world):
        check("members (raw)", len(rows), world.n)
        same_report("reports.member_list", world, "Daftar Anggota",
                    f"Per tanggal {tanggal(crm, UNTIL)}", summary,
                    tuple((label, str(v)) for label, v in summary),
                    (("", tuple(rows), tuple(raw), None),
                     ("Anggota per departemen (belum keluar)", dept_rows, (),
                      {"departemen": "Jumlah", "anggota": sum(per_dept.values())})))




# --- anggota-baru -------------------------------------------------------------------------


@members_job("reports.new_members")
def new_members(crm, world):
    """Laporan anggota baru: members who joined in 2025, with the simpanan pokok they paid."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.new_members(crm, SINCE, UNTIL)
    if _first("reports.new_members", world):
        rows = laporan.sections[0].raw
        check("new members", len(rows), world.n)
        check("pokok paid", sum(r["simpanan_pokok"] for r in rows),
              world.n * world.months * POKOK)
        same_report("reports.new_members", world, *_laporan_parts(laporan))


def _period_text(crm) -> str:
    from koperasi_xyz.fmt import tanggal

    return f"Periode {tanggal(crm, SINCE)} s.d. {tanggal(crm, UNTIL)}"


@members_job("reports.new_members raw")
def new_members_raw(crm, world):
    """The new members and their pokok paid in hand-written SQL: every pokok credit in one
    pass, the few reversed or reversing entries taken off (the floor)."""
    from koperasi_xyz.fmt import rupiah
    from koperasi_xyz.reports.builders import STAGE_ID

    db = crm.database
    day = UNTIL.isoformat()
    credits = ("SELECT a.member_id, SUM(p.amount) FROM account a "
               "JOIN posting p ON p.account_id = a.id JOIN journal_entry e ON e.id = p.entry_id "
               "WHERE a.kind = 'savings.pokok' AND a.member_id IS NOT NULL AND p.amount < 0 "
               "AND e.effective_date <= ? ")
    paid = {m: -int(units) for m, units in db.execute_sql(credits + "GROUP BY a.member_id",
                                                           [day])}
    # reversals and the entries they reverse do not count (there are few: read apart)
    undone = sorted({i for pair in db.execute_sql(
        "SELECT id, reverses_id FROM journal_entry WHERE reverses_id IS NOT NULL") for i in pair})
    for i in range(0, len(undone), 500):
        chunk = undone[i:i + 500]
        for m, units in db.execute_sql(credits + f"AND e.id IN ({', '.join('?' * len(chunk))}) "
                                       "GROUP BY a.member_id", [day, *chunk]):
            paid[m] += int(units)
    people = [(*row[1:], paid.get(row[0], 0)) for row in db.execute_sql(
        "SELECT m.id, m.number, m.name, m.stage, m.joined_on, a.department FROM member m "
        "LEFT JOIN acquire_application a ON a.member_id = m.id "
        "WHERE m.joined_on >= ? AND m.joined_on <= ?", [SINCE.isoformat(), day])]
    people.sort(key=lambda p: (p[3], p[0] or ""))
    short = _short_dates(crm)
    money = _memo(lambda units: rupiah(crm, units))
    rows, raw = [], []
    total = 0
    for i, (number, name, stage, joined, dept, paid) in enumerate(people, start=1):
        paid = int(paid or 0)
        total += paid
        status = STAGE_ID.get(stage, stage)
        rows.append({"no": i, "nomor": number or "", "nama": name, "departemen": dept or "",
                     "bergabung": short(joined), "pokok": money(paid), "status": status})
        raw.append({"nomor_anggota": number or "", "nama": name, "departemen": dept or "",
                    "bergabung": joined, "simpanan_pokok": paid, "status": status})
    if _first("reports.new_members raw", world):
        check("new members (raw)", len(rows), world.n)
        check("pokok paid (raw)", total, world.n * world.months * POKOK)
        same_report("reports.new_members", world, "Laporan Anggota Baru", _period_text(crm),
                    (("Anggota baru", len(people)),), (("Anggota baru", str(len(people))),),
                    (("", tuple(rows), tuple(raw),
                      {"nama": "Jumlah", "pokok": rupiah(crm, total)}),))


# --- anggota-keluar -----------------------------------------------------------------------


@members_job("reports.leaving_members")
def leaving_members(crm, world):
    """Laporan anggota keluar: who left in 2025 or is leaving, with the refund status."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.leaving_members(crm, SINCE, UNTIL)
    if _first("reports.leaving_members", world):
        _check_leaving(world, laporan.sections[0].raw, dict(laporan.summary_values))
        same_report("reports.leaving_members", world, *_laporan_parts(laporan))


def _check_leaving(world, raw, summary) -> None:
    kinds = [leave(m) for m in world.member_ids]
    check("leavers", len(raw), sum(1 for k in kinds if k))
    check("refunds owed", summary["Pengembalian belum dibayar"],
          sum(REFUND for k in kinds if k == "approved"))
    check("refunds paid", summary["Pengembalian sudah dibayar"],
          sum(REFUND for k in kinds if k == "paid"))


@members_job("reports.leaving_members raw")
def leaving_members_raw(crm, world):
    """The leavers and their requests in two hand-written queries (the floor)."""
    from koperasi_xyz.fmt import rupiah
    from koperasi_xyz.reports.builders import REFUND_ID, STAGE_ID

    db = crm.database
    since, until = SINCE.isoformat(), UNTIL.isoformat()
    wanted = ("status IN ('requested', 'approved') OR (requested_on >= ? AND requested_on <= ?) "
              "OR (paid_on >= ? AND paid_on <= ?)")
    period = [since, until, since, until]
    requests: dict[int, tuple] = {}
    for req in db.execute_sql(
            "SELECT member_id, status, requested_on, payout_on, paid_on, settlement_total "
            f"FROM leave_request WHERE {wanted} ORDER BY id", period):
        if req[1] != "cancelled" or req[0] not in requests:
            requests[req[0]] = req
    people = db.execute_sql(
        "SELECT m.id, m.number, m.name, m.stage, m.left_on, a.department FROM member m "
        "LEFT JOIN acquire_application a ON a.member_id = m.id "
        "WHERE m.stage = 'leaving' OR (m.left_on >= ? AND m.left_on <= ?) "
        f"OR m.id IN (SELECT member_id FROM leave_request WHERE {wanted})",
        [since, until, *period]).fetchall()
    people.sort(key=lambda p: (p[4] or until, p[1] or ""))
    short = _short_dates(crm)
    money = _memo(lambda units: rupiah(crm, units))
    rows, raw = [], []
    owed = paid_total = 0
    for i, (mid, number, name, stage, left, dept) in enumerate(people, start=1):
        stage_text = STAGE_ID.get(stage, stage)
        req = requests.get(mid)
        if req is None:
            refund, status, shown = 0, "-", ""
            requested = payout = paid_on = req_status = ""
        else:
            _, req_status, requested, payout, paid_on, total = req
            refund = total or 0
            shown = money(refund) if total is not None else ""
            status = REFUND_ID.get(req_status, req_status)
            if req_status == "approved":
                owed += refund
                if payout:
                    status += f" (dijadwalkan {short(payout)})"
            elif req_status == "paid":
                status = f"sudah dibayar {short(paid_on)}"
                paid_total += refund
        rows.append({"no": i, "nomor": number or "", "nama": name, "departemen": dept or "",
                     "diajukan": short(requested), "keluar": short(left), "stage": stage_text,
                     "pengembalian": shown, "status": status})
        raw.append({"nomor_anggota": number or "", "nama": name, "departemen": dept or "",
                    "diajukan": requested or "", "keluar": left or "",
                    "status_anggota": stage_text, "pengembalian_simpanan": refund,
                    "status_pengembalian": req_status, "jadwal_bayar": payout or "",
                    "dibayar": paid_on or ""})
    summary = (("Anggota", len(rows)), ("Pengembalian belum dibayar", owed),
               ("Pengembalian sudah dibayar", paid_total))
    if _first("reports.leaving_members raw", world):
        _check_leaving(world, raw, dict(summary))
        same_report("reports.leaving_members", world, "Laporan Anggota Keluar dan Non-aktif",
                    _period_text(crm) + "; termasuk permohonan keluar yang masih berjalan",
                    summary, (("Anggota", str(len(rows))),
                              ("Pengembalian belum dibayar", rupiah(crm, owed)),
                              ("Pengembalian sudah dibayar", rupiah(crm, paid_total))),
                    (("", tuple(rows), tuple(raw), None),))


# --- potongan -----------------------------------------------------------------------------

AMOUNTS = ("simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
           "jumlah_potongan")


@members_job("reports.payroll_report sent")
def payroll_report_sent(crm, world):
    """Laporan potongan of December as sent to the payroll office (the archived list)."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.payroll_report(crm, MONTH)
    if _first("reports.payroll_report sent", world):
        _check_payroll(world, laporan, world.n)
        same_report("reports.payroll_report sent", world, *_laporan_parts(laporan))


@members_job("reports.payroll_report live")
def payroll_report_live(crm, world):
    """Laporan potongan of December computed from today's records (``--live``)."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.payroll_report(crm, MONTH, live=True)
    if _first("reports.payroll_report live", world):
        _check_payroll(world, laporan, sum(1 for m in world.member_ids
                                           if stage_of(m) == "active"))
        same_report("reports.payroll_report live", world, *_laporan_parts(laporan))


def _check_payroll(world, laporan, lines: int) -> None:
    raw = [r for s in laporan.sections for r in s.raw]
    check("lines", len(raw), lines)
    if lines == world.n:  # as sent: before anyone left
        check("wajib and wajib arrears", sum(r["simpanan_wajib"] + r["tunggakan_wajib"]
                                             for r in raw), Expect(world).gaps * WAJIB)


def _payroll_laporan(crm, world, pair: str, label: str, payday: dt.date, cap_percent: Decimal,
                     source: str, lines) -> None:
    """The potongan report's sections from ``lines`` (department, NIK, number, name, wajib,
    wajib arrears, installments, loan arrears, take-home pay, cap) in plain Python."""
    from koperasi_xyz.fmt import amount_plain, rupiah, tanggal

    plain = _memo(lambda units: amount_plain(crm, units))
    groups: dict[str, list] = defaultdict(list)
    for line in lines:
        groups[line[0]].append(line)
    sections = []
    total = flagged = count = 0
    for name in sorted(groups):
        rows, raw = [], []
        sums = [0, 0, 0, 0, 0]
        for dept, empno, number, person, wajib, arrears, due, loan_arrears, thp, cap in \
                groups[name]:
            line_total = wajib + arrears + due + loan_arrears
            flag = ("tanpa NIK karyawan" if empno is None else "THP tidak diketahui"
                    if thp is None else "melebihi batas" if cap is not None
                    and line_total > cap else "")
            flagged += bool(flag)
            amounts = (wajib, arrears, due, loan_arrears, line_total)
            for k, v in enumerate(amounts):
                sums[k] += v
            head = {"periode": label, "departemen": dept, "nik_karyawan": empno or "",
                    "nomor_anggota": number, "nama": person}
            raw.append({**head, **dict(zip(AMOUNTS, amounts, strict=True)),
                        "gaji_bersih": "" if thp is None else thp,
                        "batas_potongan": "" if cap is None else cap, "catatan": flag,
                        "jumlah_dipotong": ""})
            rows.append({**head, **{k: plain(v) for k, v in zip(AMOUNTS, amounts, strict=True)},
                         "gaji_bersih": "" if thp is None else plain(thp),
                         "batas_potongan": "" if cap is None else cap, "catatan": flag,
                         "jumlah_dipotong": ""})
        total += sums[4]
        count += len(rows)
        sections.append((f"{name} ({len(rows)} anggota)", tuple(rows), tuple(raw),
                         {"nama": "Jumlah", **{k: plain(v) for k, v in
                                               zip(AMOUNTS, sums, strict=True)}}))
    month = dt.date.fromisoformat(label + "-01")
    summary = (("Anggota", count), ("Jumlah potongan", total), ("Perlu diperiksa", flagged))
    if _first(pair + " raw", world):
        check("lines (raw)", count, len(lines))
        same_report(pair, world,
                    f"Daftar Potongan Gaji — {crm.locale.month_name(month.month)} {month.year}",
                    f"Tanggal potong {tanggal(crm, payday)}; batas potongan "
                    f"{cap_percent.normalize():f}% dari gaji bersih; jumlah dalam rupiah; "
                    f"{source}", summary,
                    (("Anggota", str(count)), ("Jumlah potongan", rupiah(crm, total)),
                     ("Perlu diperiksa", str(flagged))), tuple(sections))


@members_job("reports.payroll_report sent raw")
def payroll_report_sent_raw(crm, world):
    """The archived December list read with hand-written SQL and laid out by department."""
    from koperasi_xyz.fmt import tanggal

    files = crm.database.execute_sql(
        "SELECT id, name, created_at, content FROM archived_document WHERE kind = ? "
        "AND key = ? ORDER BY id", ["payroll.deduction_list", "2025-12"]).fetchall()
    first = files[0]
    data = json.loads(bytes(next(f[3] for f in files if f[1] == "potongan-2025-12.json")))
    created = min(str(f[2]) for f in files)[:10]
    source = (f"daftar sebagaimana dikirim ke bagian penggajian pada "
              f"{tanggal(crm, dt.date.fromisoformat(created))} (arsip {first[0]})")
    lines = [(x["department"], x["employee_number"], x["number"], x["name"], x["wajib"],
              x["wajib_arrears"], sum(d["due_now"] for d in x["loans"]),
              sum(d["arrears"] for d in x["loans"]), x["take_home_pay"], x["cap"])
             for x in data["lines"]]
    _payroll_laporan(crm, world, "reports.payroll_report sent", data["month"],
                     dt.date.fromisoformat(data["payday"]), Decimal(data["cap_percent"]),
                     source, lines)


@members_job("reports.payroll_report live raw")
def payroll_report_live_raw(crm, world):
    """December's list from ``payroll.listing.deduction_list`` (its own floor is
    ``payroll_list raw``), laid out by department in plain Python."""
    from koperasi_xyz.fmt import tanggal
    from koperasi_xyz.payroll.listing import deduction_list

    dlist = deduction_list(crm, MONTH)
    lines = [(x.department, x.employee_number, x.number, x.name, x.wajib, x.wajib_arrears,
              sum(d.due_now for d in x.loans), sum(d.arrears for d in x.loans),
              x.take_home_pay, x.cap) for x in dlist.lines]
    _payroll_laporan(crm, world, "reports.payroll_report live", dlist.label, dlist.payday,
                     dlist.cap_percent, f"dihitung dari data per {tanggal(crm, crm.today())}",
                     lines)


# --- kritik-saran -------------------------------------------------------------------------


@members_job("reports.feedback_report")
def feedback_report(crm, world):
    """Laporan kritik dan saran of 2025: volume, service levels, satisfaction, the tickets."""
    from koperasi_xyz.reports import builders as rb

    laporan = rb.feedback_report(crm, SINCE, UNTIL)
    if _first("reports.feedback_report", world):
        tickets = laporan.sections[2].raw
        _check_feedback(world, tickets, dict(laporan.summary_values))
        same_report("reports.feedback_report", world, *_laporan_parts(laporan))


def _check_feedback(world, tickets, summary) -> None:
    ids = [m for m in world.member_ids if m % 5 == 0]
    check("tickets", len(tickets), len(ids))
    check("tickets (summary)", summary["Tiket"], len(ids))
    check("resolved", summary["Sudah diselesaikan"], sum(1 for m in ids if (m // 5) % 4 > 1))
    check("anonymous", sum(1 for t in tickets if t["anggota"] == "(anonim)"),
          sum(1 for m in ids if m % 25 == 0))
    check("anonymous writers named", sum(1 for t in tickets if t["anggota"] == "(anonim)"
                                         and "Anggota" in t["isi"]), 0)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _median(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return Decimal(statistics.median(values)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _stamp(value) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _days(start, end) -> Decimal:
    return Decimal(int((_stamp(end) - _stamp(start)).total_seconds())) / Decimal(86400)


def _text(value) -> str:
    return "-" if value is None else str(value).replace(".", ",")


@members_job("reports.feedback_report raw")
def feedback_report_raw(crm, world):
    """The feedback figures and tickets in hand-written SQL and plain Python (the floor)."""
    from dyncrm_retain.feedback.report import personal_values, redactor
    from dyncrm_retain.feedback.tickets import settings
    from koperasi_xyz.fmt import tanggal
    from koperasi_xyz.reports.builders import FEEDBACK_KIND_ID, FEEDBACK_STAGE_ID

    db = crm.database
    since, until = SINCE.isoformat(), UNTIL.isoformat()
    as_of = min(UNTIL, crm.today()).isoformat()
    period = "t.submitted_on >= ? AND t.submitted_on <= ?"
    months = tuple(f"{SINCE.year:04d}-{m:02d}" for m in range(SINCE.month, UNTIL.month + 1))
    volume: dict[tuple[str, str], int] = defaultdict(int)
    for category, day, n in db.execute_sql(
            f"SELECT t.category, t.submitted_on, COUNT(*) FROM feedback_ticket t WHERE {period} "
            "GROUP BY t.category, t.submitted_on", [since, until]):
        volume[(category, str(day)[:7])] += n
    figures = {row[0]: [int(v or 0) for v in row[1:]] for row in db.execute_sql(
        "SELECT t.category, COUNT(*), COUNT(t.acknowledged_on), "
        "SUM(CASE WHEN t.acknowledged_on <= t.ack_due_on THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN t.acknowledged_on IS NOT NULL OR (t.stage = 'new' "
        "AND t.ack_due_on < ?) THEN 1 ELSE 0 END), COUNT(t.resolved_on), "
        "SUM(CASE WHEN t.resolved_on <= t.resolve_due_on THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN t.resolved_on IS NOT NULL OR (t.stage IN ('new', 'acknowledged', "
        "'in_progress') AND t.resolve_due_on < ?) THEN 1 ELSE 0 END), COUNT(t.rating), "
        "SUM(t.rating), SUM(CASE WHEN t.rating >= 4 THEN 1 ELSE 0 END) "
        f"FROM feedback_ticket t WHERE {period} GROUP BY t.category",
        [as_of, as_of, since, until])}
    acks: dict[str, list[Decimal]] = defaultdict(list)
    resolves: dict[str, list[Decimal]] = defaultdict(list)
    for category, created, acked, resolved in db.execute_sql(
            "SELECT t.category, t.created_at, t.acknowledged_at, t.resolved_at "
            f"FROM feedback_ticket t WHERE {period} AND (t.acknowledged_at IS NOT NULL "
            "OR t.resolved_at IS NOT NULL)", [since, until]):
        if acked is not None:
            acks[category].append(_days(created, acked))
        if resolved is not None:
            resolves[category].append(_days(created, resolved))
    configured = list(settings(crm).categories)
    categories = configured + sorted(set(figures) - set(configured))
    volume_rows, volume_raw = [], []
    for c in categories:
        row = {"category": c, **{m: volume.get((c, m), 0) for m in months}}
        row["total"] = sum(row[m] for m in months)
        volume_rows.append(row)
        volume_raw.append({"kategori": c, **{m: row[m] for m in months}, "jumlah": row["total"]})
    volume_total = {"category": "Jumlah", **{m: sum(r[m] for r in volume_rows) for m in months}}
    volume_total["total"] = sum(volume_total[m] for m in months)
    service_rows, service_raw = [], []
    lines = [(c, figures.get(c, [0] * 10), acks.get(c, []), resolves.get(c, []))
             for c in categories]
    lines.append(("total", [sum(f[i] for _, f, _, _ in lines) for i in range(10)],
                  [v for c in categories for v in acks.get(c, [])],
                  [v for c in categories for v in resolves.get(c, [])]))
    for c, f, ack, res in lines:
        tickets, _, ack_in, ack_due, resolved, res_in, res_due, rated, rating_sum, sat = f
        med_ack, med_res = _median(ack), _median(res)
        ack_share, res_share, csat = _pct(ack_in, ack_due), _pct(res_in, res_due), \
            _pct(sat, rated)
        average = (Decimal(rating_sum) / rated).quantize(Decimal("0.01"), ROUND_HALF_UP) \
            if rated else None
        service_raw.append({"kategori": "jumlah" if c == "total" else c, "tiket": tickets,
                            "median_tanggap_hari": med_ack,
                            "tanggap_tepat_waktu_persen": ack_share,
                            "median_selesai_hari": med_res,
                            "selesai_tepat_waktu_persen": res_share, "penilaian": rated,
                            "rata_rata_penilaian": average, "puas_persen": csat})
        service_rows.append({
            "kategori": "Jumlah" if c == "total" else c, "tiket": tickets,
            "tanggap": _text(med_ack),
            "tanggap_sla": _text(None if ack_share is None
                                 else f"{ack_share}% ({ack_in}/{ack_due})"),
            "selesai": _text(med_res),
            "selesai_sla": _text(None if res_share is None
                                 else f"{res_share}% ({res_in}/{res_due})"),
            "penilaian": rated, "rata": _text(average),
            "csat": _text(f"{csat}%" if csat is not None else None)})
    # the tickets, their replies, writers and (for anonymous ones) the writers' logins
    replies: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    local = _memo(lambda at: _stamp(at).replace(tzinfo=dt.UTC).astimezone(crm.tz).date())
    for ticket_id, at, text in db.execute_sql(
            "SELECT e.ticket_id, e.at, e.text FROM feedback_event e "
            "JOIN feedback_ticket t ON t.id = e.ticket_id "
            f"WHERE {period} AND e.internal = ? AND e.action IN ('acknowledge', 'reply', "
            "'start') AND e.text IS NOT NULL ORDER BY e.at, e.id", [since, until, False]):
        if text:
            replies[ticket_id].append((local(at), text))
    logins: dict[int, list[str]] = defaultdict(list)
    for member_id, username in db.execute_sql(
            'SELECT u.member_id, u.username FROM "user" u JOIN feedback_ticket t '
            f"ON t.member_id = u.member_id WHERE {period} AND t.anonymous = ?",
            [since, until, True]):
        logins[member_id].append(username)
    short = _short_dates(crm)
    kinds = _memo(lambda k: FEEDBACK_KIND_ID.get(k, k))
    stages = _memo(lambda s: FEEDBACK_STAGE_ID.get(s, s))
    ticket_rows, ticket_raw = [], []
    for (tid, number, submitted, kind, category, stage, anonymous, subject, text, resolution,
         reject, rating, comment, mid, m_number, m_name, m_email, m_phone) in db.execute_sql(
            "SELECT t.id, t.number, t.submitted_on, t.kind, t.category, t.stage, t.anonymous, "
            "t.subject, t.text, t.resolution, t.reject_reason, t.rating, t.rating_comment, "
            "m.id, m.number, m.name, m.email, m.phone FROM feedback_ticket t "
            f"LEFT JOIN member m ON m.id = t.member_id WHERE {period} ORDER BY t.id",
            [since, until]):
        said = replies.get(tid, ())
        if anonymous:
            clean = redactor(personal_values(SimpleNamespace(
                name=m_name, number=m_number, email=m_email, phone=m_phone),
                logins.get(mid, [])) if mid is not None else [])
            subject, text, resolution, reject, comment = (
                clean(v) for v in (subject, text, resolution, reject, comment))
            said = [(on, clean(v)) for on, v in said]
            member = "(anonim)"
        else:
            resolution, reject, comment = resolution or "", reject or "", comment or ""
            member = f"{m_number or '#' + str(mid)} {m_name}"
        kind_text, stage_text = kinds(kind), stages(stage)
        outcome = (f"Ditolak: {reject}" if reject else
                   f"Penyelesaian: {resolution}" if resolution else "")
        rated = "" if rating is None else f"{rating}/5" + (f" — {comment}" if comment else "")
        day = str(submitted)[:10]
        ticket_rows.append({
            "tiket": f"{number} · {short(day)}",
            "jenis": f"{kind_text} · {category} · {stage_text}", "anggota": member,
            "isi": f"{subject}: {text}",
            "tanggapan": " · ".join([*(f"{short(on.isoformat())}: {v}" for on, v in said),
                                     *([outcome] if outcome else [])]),
            "penilaian": rated})
        ticket_raw.append({"nomor_tiket": number, "tanggal": day, "jenis": kind_text,
                           "kategori": category, "status": stage_text, "anggota": member,
                           "judul": subject, "isi": text,
                           "tanggapan": "\n".join(f"{on.isoformat()}: {v}" for on, v in said),
                           "penyelesaian": outcome, "penilaian": "" if rating is None else rating,
                           "komentar_penilaian": comment})
    total = lines[-1][1]
    csat = _pct(total[9], total[7])
    summary = (("Tiket", total[0]), ("Sudah diselesaikan", total[4]), ("Kepuasan (CSAT)", csat))
    if _first("reports.feedback_report raw", world):
        _check_feedback(world, ticket_raw, dict(summary))
        same_report(
            "reports.feedback_report", world, "Laporan Kritik dan Saran Anggota",
            f"Periode {tanggal(crm, SINCE)} s.d. {tanggal(crm, UNTIL)}", summary,
            (("Tiket", str(total[0])), ("Sudah diselesaikan", str(total[4])),
             ("Kepuasan (CSAT)", f"{csat}%".replace(".", ",") if csat is not None else "-")),
            (("Jumlah tiket per kategori dan bulan", tuple(volume_rows), tuple(volume_raw),
              volume_total),
             ("Kecepatan layanan dan kepuasan", tuple(service_rows), tuple(service_raw), None),
             (f"Isi kritik dan saran ({len(ticket_rows)} tiket)", tuple(ticket_rows),
              tuple(ticket_raw), None)))
