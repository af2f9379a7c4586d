"""The reports (laporan) of Koperasi XYZ, each built set-based into a :class:`Laporan`.

Every builder reads with a fixed number of grouped queries whatever the number
of members, and returns display rows (``Rp 1.250.000``, Indonesian dates) and
raw rows (whole rupiah, ISO dates) for CSV.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from peewee import fn

from dyncrm.db.models import Member, Touchpoint
from dyncrm.errors import ValidationError

from ..fmt import amount_plain, rupiah, rupiah_texts, tanggal
from ..laporan import Laporan, Section, cols

if TYPE_CHECKING:
    from dyncrm.app import CRM

STAGE_ID = {"applicant": "calon anggota", "active": "aktif", "leaving": "proses keluar",
            "inactive": "keluar", "rejected": "ditolak"}
NO_DEPT = "(tanpa departemen)"


def _need(crm: CRM, plugin: str, report: str) -> None:
    if not crm.is_enabled(plugin):
        raise ValidationError(f"the {report} report needs plugin {plugin!r}; add it to "
                              "[plugins] enabled")


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _iso(value: Any) -> str:
    d = _date(value)
    return d.isoformat() if d else ""


def _short(crm: CRM, value: Any) -> str:
    d = _date(value)
    return tanggal(crm, d, long=False) if d else ""


def _as_of_text(crm: CRM, as_of: dt.date) -> str:
    return f"Per tanggal {tanggal(crm, as_of)}"


def _period_text(crm: CRM, since: dt.date, until: dt.date) -> str:
    return f"Periode {tanggal(crm, since)} s.d. {tanggal(crm, until)}"


def _summary(*lines: tuple[str, Any, str | None]) -> dict[str, tuple]:
    """A report's ``summary`` and ``summary_values`` from ``(label, value, text)`` lines:
    ``value`` plain (whole rupiah, a count, a decimal), ``text`` as shown (``None``: the
    value as written)."""
    return {"summary": tuple((label, str(value) if text is None else text)
                             for label, value, text in lines),
            "summary_values": tuple((label, value) for label, value, _ in lines)}


def _status_on(stage: str, left_on: dt.date | None, as_of: dt.date) -> str:
    if left_on is not None and left_on <= as_of:
        return "keluar"
    if stage == "inactive":  # left after the date asked about: still a member then
        return "aktif"
    return STAGE_ID.get(stage, stage)


# --- members ----------------------------------------------------------------------


class _MemberRow(NamedTuple):
    """A member as the member reports read them (dates as dates)."""

    member_id: int
    number: str | None
    name: str
    stage: str
    joined_on: dt.date | None
    left_on: dt.date | None
    employee_number: str | None
    department: str | None


def _member_rows(crm: CRM, where: str, params: list[Any]) -> list[_MemberRow]:
    """Members matching ``where`` (SQL over ``m``, the member, and ``a``, their application;
    ``{p}`` for each of ``params``) as plain rows in id order, each distinct date
    converted once."""
    from dyncrm.db import prepared
    from dyncrm_acquire.models import ApplicationRow

    db = crm.database
    text = prepared.sql(db, (
        "SELECT m.id, m.number, m.name, m.stage, m.joined_on, m.left_on, a.employee_number, "
        f"a.department FROM {Member._meta.table_name} m "
        f"LEFT JOIN {ApplicationRow._meta.table_name} a ON a.member_id = m.id "
        f"WHERE {where} ORDER BY m.id"))
    dates: dict[Any, dt.date | None] = {None: None}
    out = []
    for mid, number, name, stage, joined, left, empno, dept in db.execute_sql(text, params):
        joined = dates[joined] if joined in dates else dates.setdefault(joined, _date(joined))
        left = dates[left] if left in dates else dates.setdefault(left, _date(left))
        out.append(_MemberRow(mid, number, name, stage, joined, left, empno, dept))
    return out


def _date_texts(crm: CRM):
    """``(short, iso)``: a date's short Indonesian text and ISO text, each worked out once
    per distinct date for the report being built."""
    shorts: dict[Any, str] = {None: ""}
    isos: dict[Any, str] = {None: ""}

    def short(value: Any) -> str:
        found = shorts.get(value)
        if found is None:
            found = shorts[value] = _short(crm, value)
        return found

    def iso(value: Any) -> str:
        found = isos.get(value)
        if found is None:
            found = isos[value] = _iso(value)
        return found

    return short, iso


def member_list(crm: CRM, as_of: dt.date, *, department: str | None = None) -> Laporan:
    """Buku daftar anggota: everyone who had joined by ``as_of``, with their status then.

    One statement read as plain tuples, sorted by joining date, member number and id;
    each distinct date (as the database returns it) converted and formatted once.
    """
    from dyncrm.db import prepared
    from dyncrm_acquire.models import ApplicationRow

    db = crm.database
    text = prepared.sql(db, (
        "SELECT m.joined_on, m.number, m.id, m.name, m.stage, m.left_on, a.employee_number, "
        f"a.department FROM {Member._meta.table_name} m "
        f"LEFT JOIN {ApplicationRow._meta.table_name} a ON a.member_id = m.id "
        "WHERE m.joined_on IS NOT NULL AND m.joined_on <= {p}"))
    dates: dict[Any, tuple[str, str, dt.date | None]] = {None: ("", "", None)}

    def date_of(value: Any) -> tuple[str, str, dt.date | None]:  # (ISO, short, date)
        found = dates.get(value)
        if found is None:
            found = dates[value] = (_iso(value), _short(crm, value), _date(value))
        return found

    wanted = department.strip().lower() if department else None
    people = []
    for joined, number, *rest in db.execute_sql(text, [as_of.isoformat()]):
        if wanted is not None and (rest[-1] or "").lower() != wanted:
            continue
        people.append((date_of(joined), number or "", *rest))
    people.sort()  # joining date (its ISO text first), member number, then member id
    rows, raw = [], []
    counts: dict[str, int] = defaultdict(int)
    per_dept: dict[str, int] = defaultdict(int)
    gone = ("", "", None)
    for i, (joined, number, _, name, stage, left, empno, dept) in enumerate(people, start=1):
        left = date_of(left)
        status = _status_on(stage, left[2], as_of)
        counts[status] += 1
        if status != "keluar":
            per_dept[dept or NO_DEPT] += 1
            left = gone
        empno, dept = empno or "", dept or ""
        rows.append({"no": i, "nomor": number, "nama": name, "nik": empno, "departemen": dept,
                     "bergabung": joined[1], "status": status, "keluar": left[1]})
        raw.append({"nomor_anggota": number, "nama": name, "nik_karyawan": empno,
                    "departemen": dept, "bergabung": joined[0], "status": status,
                    "keluar": left[0]})
    dept_rows = [{"departemen": d, "anggota": n} for d, n in sorted(per_dept.items())]
    return Laporan(
        name="anggota", title="Daftar Anggota", subtitle=_as_of_text(crm, as_of),
        columns=cols(("no", "No", "R", 0.5), ("nomor", "No. Anggota", "L", 1.5),
                     ("nama", "Nama", "L", 2.4), ("nik", "NIK Karyawan", "L", 1.2),
                     ("departemen", "Departemen", "L", 1.6), ("bergabung", "Bergabung", "L", 1.1),
                     ("status", "Status", "L", 1.1), ("keluar", "Keluar", "L", 1.1)),
        sections=(Section(rows=tuple(rows), raw=tuple(raw)),
                  Section(heading="Anggota per departemen (belum keluar)",
                          rows=tuple(dept_rows),
                          columns=cols(("departemen", "Departemen", "L", 3),
                                       ("anggota", "Anggota", "R", 1)),
                          totals={"departemen": "Jumlah", "anggota": sum(per_dept.values())},
                          summary=True)),
        **_summary(("Anggota aktif", counts.get("aktif", 0), None),
                   ("Dalam proses keluar", counts.get("proses keluar", 0), None),
                   ("Sudah keluar", counts.get("keluar", 0), None),
                   ("Jumlah tercatat", len(people), None)),
        landscape=True)


def pokok_paid_by_member(crm: CRM, member_ids: list[int], until: dt.date) -> dict[int, int]:
    """What each member paid into simpanan pokok up to ``until``, in minor units.

    The deposits that stand: credits to the member's ``savings.pokok`` by entries
    that are neither reversals nor reversed (a corrected deposit does not count).
    A refund when the member left does not lower it: it is what the member paid,
    not what the cooperative still holds.  One grouped query.
    """
    from dyncrm.db import prepared

    if not member_ids:
        return {}
    db = crm.database
    # Entries that are reversals or reversed are few: their pokok credits are read apart
    # and taken off (a condition on them in the main query sends the planner scanning
    # every journal entry through the reverses index).
    pairs = db.execute_sql(prepared.sql(db, _REVERSAL_PAIRS)).fetchall()
    undone = sorted({i for pair in pairs for i in pair})
    wanted = set(member_ids)
    out: dict[int, int] = defaultdict(int)

    def add(rows, sign: int) -> None:
        for member_id, units in rows:
            if member_id in wanted:
                out[member_id] -= sign * int(units or 0)

    day = until.isoformat()
    if len(wanted) > 500:  # one pass over every pokok account rather than many chunks
        add(db.execute_sql(prepared.sql(db, _POKOK_PAID.replace("{members}", "")), [day]), 1)
    else:
        ids = sorted(wanted)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            where = f"AND a.member_id IN ({prepared.marks(len(chunk))}) "
            add(db.execute_sql(prepared.sql(db, _POKOK_PAID.replace("{members}", where)),
                               [day, *chunk]), 1)
    for i in range(0, len(undone), 500):
        chunk = undone[i:i + 500]
        where = f"AND e.id IN ({prepared.marks(len(chunk))}) "
        add(db.execute_sql(prepared.sql(db, _POKOK_PAID.replace("{members}", where)),
                           [day, *chunk]), -1)
    return {m: units for m, units in out.items()}


#: Pokok credits per member up to a date ({members}: more conditions).
_POKOK_PAID = ("SELECT a.member_id, SUM(p.amount) FROM account a "
               "JOIN posting p ON p.account_id = a.id JOIN journal_entry e ON e.id = p.entry_id "
               "WHERE a.kind = 'savings.pokok' AND a.member_id IS NOT NULL AND p.amount < 0 "
               "AND e.effective_date <= {p} {members}GROUP BY a.member_id")
#: Every reversal with the entry it reverses.
_REVERSAL_PAIRS = "SELECT id, reverses_id FROM journal_entry WHERE reverses_id IS NOT NULL"


def new_members(crm: CRM, since: dt.date, until: dt.date) -> Laporan:
    """Anggota baru: members who joined in the period, with the simpanan pokok they paid.

    The pokok shown is what the member paid up to the end of the period (see
    :func:`pokok_paid_by_member`), also for a member who has since left and had
    it refunded: the status column says they left.
    """
    people = _member_rows(crm, "m.joined_on >= {p} AND m.joined_on <= {p}",
                          [since.isoformat(), until.isoformat()])
    people.sort(key=lambda p: (p[4], p[1] or ""))  # joined_on, number (plain indexing)
    pokok = pokok_paid_by_member(crm, [p.member_id for p in people], until)
    short, iso = _date_texts(crm)
    money = rupiah_texts(crm)
    rows, raw = [], []
    total = 0
    for i, p in enumerate(people, start=1):
        paid = pokok.get(p.member_id, 0)
        total += paid
        number, dept, status = p.number or "", p.department or "", STAGE_ID.get(p.stage, p.stage)
        rows.append({"no": i, "nomor": number, "nama": p.name, "departemen": dept,
                     "bergabung": short(p.joined_on), "pokok": money(paid), "status": status})
        raw.append({"nomor_anggota": number, "nama": p.name, "departemen": dept,
                    "bergabung": iso(p.joined_on), "simpanan_pokok": paid, "status": status})
    return Laporan(
        name="anggota-baru", title="Laporan Anggota Baru", subtitle=_period_text(crm, since, until),
        columns=cols(("no", "No", "R", 0.5), ("nomor", "No. Anggota", "L", 1.6),
                     ("nama", "Nama", "L", 2.6), ("departemen", "Departemen", "L", 1.6),
                     ("bergabung", "Bergabung", "L", 1.1),
                     ("pokok", "Simpanan pokok disetor", "R", 1.3),
                     ("status", "Status sekarang", "L", 1.3)),
        sections=(Section(rows=tuple(rows), raw=tuple(raw),
                          totals={"nama": "Jumlah", "pokok": rupiah(crm, total)}),),
        **_summary(("Anggota baru", len(people), None)),
        notes=("Simpanan pokok disetor: yang dibayar anggota sampai akhir periode (setoran "
               "yang dikoreksi tidak dihitung), juga bila sudah dikembalikan karena anggota "
               "keluar; pengembalian ada di laporan anggota-keluar.",),
        landscape=True)


REFUND_ID = {"requested": "menunggu persetujuan", "approved": "disetujui, belum dibayar",
             "paid": "sudah dibayar", "cancelled": "dibatalkan"}


class _LeaveRow(NamedTuple):
    """A leave request as the anggota-keluar report reads it."""

    member_id: int
    status: str
    requested_on: Any
    payout_on: Any
    paid_on: Any
    settlement_total: int | None


def leaving_members(crm: CRM, since: dt.date, until: dt.date) -> Laporan:
    """Anggota keluar / non-aktif: who left (or is leaving), with the refund status.

    Two statements read as plain rows: the leave requests that count (open, or asked or
    paid in the period) and the members who left in the period, are leaving or made one
    of those requests; dates and amounts formatted once per distinct value.
    """
    from dyncrm.db import prepared

    db = crm.database
    period = [since.isoformat(), until.isoformat()]
    requests: dict[int, _LeaveRow] = {}
    asked = ""
    if crm.is_enabled("expand.deactivation"):
        from dyncrm_expand.deactivation.models import LeaveRequest

        table = LeaveRequest._meta.table_name
        wanted = ("status IN ('requested', 'approved') "
                  "OR (requested_on >= {p} AND requested_on <= {p}) "
                  "OR (paid_on >= {p} AND paid_on <= {p})")
        for row in db.execute_sql(prepared.sql(db, (
                "SELECT member_id, status, requested_on, payout_on, paid_on, settlement_total "
                f"FROM {table} WHERE {wanted} ORDER BY id")), period * 2):
            req = _LeaveRow(*row)
            if req.status != "cancelled" or req.member_id not in requests:
                requests[req.member_id] = req
        asked = f" OR m.id IN (SELECT member_id FROM {table} WHERE {wanted})"
    chosen = _member_rows(crm, "m.stage = 'leaving' OR (m.left_on >= {p} AND m.left_on <= {p})"
                          + asked, period * (3 if asked else 1))
    short, iso = _date_texts(crm)
    money = rupiah_texts(crm)
    rows, raw = [], []
    owed_total = paid_total = 0
    ordered = sorted(chosen, key=lambda p: (p.left_on or until, p.number or ""))
    for i, p in enumerate(ordered, start=1):
        req = requests.get(p.member_id)
        refund = req.settlement_total if req is not None and req.settlement_total else 0
        status = REFUND_ID.get(req.status, req.status) if req is not None else "-"
        if req is not None and req.status == "approved" and req.payout_on:
            status += f" (dijadwalkan {short(req.payout_on)})"
        if req is not None and req.status == "paid":
            status = f"sudah dibayar {short(req.paid_on)}"
            paid_total += refund
        elif req is not None and req.status == "approved":
            owed_total += refund
        number, dept, stage = p.number or "", p.department or "", STAGE_ID.get(p.stage, p.stage)
        rows.append({"no": i, "nomor": number, "nama": p.name, "departemen": dept,
                     "diajukan": short(req.requested_on) if req else "",
                     "keluar": short(p.left_on), "stage": stage,
                     "pengembalian": money(refund) if req and req.settlement_total
                     is not None else "", "status": status})
        raw.append({"nomor_anggota": number, "nama": p.name, "departemen": dept,
                    "diajukan": iso(req.requested_on) if req else "",
                    "keluar": iso(p.left_on), "status_anggota": stage,
                    "pengembalian_simpanan": refund,
                    "status_pengembalian": req.status if req else "",
                    "jadwal_bayar": iso(req.payout_on) if req else "",
                    "dibayar": iso(req.paid_on) if req else ""})
    return Laporan(
        name="anggota-keluar", title="Laporan Anggota Keluar dan Non-aktif",
        subtitle=(_period_text(crm, since, until)
                  + "; termasuk permohonan keluar yang masih berjalan"),
        columns=cols(("no", "No", "R", 0.45), ("nomor", "No. Anggota", "L", 1.4),
                     ("nama", "Nama", "L", 2.0), ("departemen", "Departemen", "L", 1.3),
                     ("diajukan", "Diajukan", "L", 1.0), ("keluar", "Keluar", "L", 1.0),
                     ("stage", "Status", "L", 1.1),
                     ("pengembalian", "Pengembalian simpanan", "R", 1.4),
                     ("status", "Status pengembalian", "L", 2.2)),
        sections=(Section(rows=tuple(rows), raw=tuple(raw)),),
        **_summary(("Anggota", len(rows), None),
                   ("Pengembalian belum dibayar", owed_total, rupiah(crm, owed_total)),
                   ("Pengembalian sudah dibayar", paid_total, rupiah(crm, paid_total))),
        landscape=True)


# --- savings ----------------------------------------------------------------------

PRODUCTS = (("pokok", "Simpanan pokok"), ("wajib", "Simpanan wajib"),
            ("sukarela", "Simpanan sukarela"))


_PEOPLE_SQL = ("SELECT m.id, m.number, m.name, a.department FROM member m "
               "LEFT JOIN acquire_application a ON a.member_id = m.id")


def _report_people(crm: CRM) -> dict[int, tuple[str, str, str]]:
    """Every member's ``(number, name, department)`` as a report shows them (``""`` for
    none), read as plain rows in one statement (what :func:`profiles` reads of them)."""
    return {member_id: (number or "", name or "", department or "")
            for member_id, number, name, department in crm.database.execute_sql(_PEOPLE_SQL)}


_SHAPE = str.maketrans("0123456789", "0000000000")


def _in_person_order(ids: Iterable[int], numbers: dict[int, str]) -> list[int]:
    """``ids`` sorted by :func:`person_order` of their member ``numbers`` (``""``: none).

    When every number has the same shape (the same characters but for the digits, which
    sit at the same places: ``B-000001``, ``B-000002``), their order as plain text is
    their natural order, and they are sorted as text; otherwise by :func:`natural_key`.
    """
    numbered = [m for m in ids if numbers[m]]
    rest = sorted(m for m in ids if not numbers[m])
    if len({numbers[m].translate(_SHAPE) for m in numbered}) <= 1:
        numbered.sort(key=lambda m: (numbers[m], m))
    else:
        numbered.sort(key=lambda m: (natural_key(numbers[m]), m))
    return numbered + rest


def savings_report(crm: CRM, as_of: dt.date) -> Laporan:
    """Laporan simpanan: every member's balances per product as of a date, and totals."""
    kinds = [f"savings.{p}" for p, _ in PRODUCTS]
    if crm.is_enabled("expand.savings"):
        from dyncrm_expand import savings

        found = savings.balances_and_arrears(crm, as_of)
    else:
        found = {m: (b, 0) for m, b in crm.ledger.balances_by_member(kinds, as_of=as_of).items()}
    people = _report_people(crm)
    money = rupiah_texts(crm)
    nobody = ("", "", "")
    ids = _in_person_order(found, {m: people.get(m, nobody)[0] for m in found})
    rows, raw = [], []
    sums = [0, 0, 0]  # pokok, wajib, sukarela
    counts = [0, 0, 0]
    owed_total = 0
    for i, mid in enumerate(ids, start=1):
        b, owed = found[mid]
        owed_total += owed
        number, name, department = people.get(mid, nobody)
        pokok, wajib, sukarela = (b.get("savings.pokok", 0), b.get("savings.wajib", 0),
                                  b.get("savings.sukarela", 0))
        for slot, units in enumerate((pokok, wajib, sukarela)):
            if units:
                sums[slot] += units
                counts[slot] += 1
        total = pokok + wajib + sukarela
        rows.append({"no": i, "nomor": person_label(mid, number), "nama": name,
                     "departemen": department, "pokok": money(pokok), "wajib": money(wajib),
                     "sukarela": money(sukarela), "jumlah": money(total),
                     "tunggakan": money(owed) if owed else ""})
        raw.append({"nomor_anggota": number, "nama": name, "departemen": department,
                    "pokok": pokok, "wajib": wajib, "sukarela": sukarela,
                    "jumlah": total, "tunggakan_wajib": owed})
    totals = dict(zip(kinds, sums, strict=True))
    holders = dict(zip(kinds, counts, strict=True))
    grand = sum(totals.values())
    product_rows = [{"produk": label, "anggota": holders[f"savings.{p}"],
                     "saldo": money(totals[f"savings.{p}"])} for p, label in PRODUCTS]
    product_raw = [{"produk": p, "anggota": holders[f"savings.{p}"],
                    "saldo": totals[f"savings.{p}"]} for p, _ in PRODUCTS]
    return Laporan(
        name="simpanan", title="Laporan Simpanan Anggota", subtitle=_as_of_text(crm, as_of),
        columns=cols(("no", "No", "R", 0.45), ("nomor", "No. Anggota", "L", 1.4),
                     ("nama", "Nama", "L", 2.1), ("departemen", "Departemen", "L", 1.3),
                     ("pokok", "Pokok", "R", 1.1), ("wajib", "Wajib", "R", 1.2),
                     ("sukarela", "Sukarela", "R", 1.2), ("jumlah", "Jumlah", "R", 1.3),
                     ("tunggakan", "Tunggakan wajib", "R", 1.1)),
        sections=(
            Section(heading="Per produk", rows=tuple(product_rows), raw=tuple(product_raw),
                    columns=cols(("produk", "Produk", "L", 2), ("anggota", "Anggota", "R", 1),
                                 ("saldo", "Saldo", "R", 1.5)),
                    totals={"produk": "Jumlah", "saldo": money(grand)}, summary=True),
            Section(heading="Per anggota", rows=tuple(rows), raw=tuple(raw), totals={
                "nama": "Jumlah", "pokok": money(totals["savings.pokok"]),
                "wajib": money(totals["savings.wajib"]),
                "sukarela": money(totals["savings.sukarela"]),
                "jumlah": money(grand),
                "tunggakan": money(owed_total)})),
        **_summary(("Anggota dengan simpanan", len(ids), None),
                   ("Jumlah simpanan", grand, money(grand)),
                   ("Tunggakan simpanan wajib", owed_total,
                    money(owed_total))),
        landscape=True)


# --- loans ------------------------------------------------------------------------


_LATE = "i.due_on < {p} AND (i.paid_on IS NULL OR i.paid_on > {p})"
#: The loans outstanding on a date (every ``{p}``) with their member, the principal repaid
#: by then, and per loan, grouped in SQL: the oldest late due date, the arrears (what is
#: unpaid of a late installment; all of one paid after the date) and the first
#: installment.  One statement: no loan id travels as a parameter (SQLite allows 32,766
#: of them per statement) and no installment row reaches Python.
_LOAN_REPORT_SQL = (
    "SELECT l.id, m.number, m.name, l.product, l.terms, l.disbursed_on, l.term, "
    "l.principal, (SELECT SUM(lp.principal) FROM loan_payment lp WHERE lp.loan_id = l.id "
    "AND lp.effective_date <= {p} AND lp.reversed_by IS NULL), g.oldest, g.arrears, g.first "
    "FROM loan l JOIN member m ON m.id = l.member_id LEFT JOIN ("
    f"SELECT i.loan_id AS loan_id, MIN(CASE WHEN {_LATE} THEN i.due_on END) AS oldest, "
    f"SUM(CASE WHEN {_LATE} THEN CASE WHEN i.paid_on IS NULL THEN i.principal "
    "- i.principal_paid + i.interest - i.interest_paid - i.interest_waived "
    "ELSE i.principal + i.interest END ELSE 0 END) AS arrears, "
    "MAX(CASE WHEN i.number = 1 THEN i.principal + i.interest END) AS first "
    "FROM loan_installment i GROUP BY i.loan_id) g ON g.loan_id = l.id "
    "WHERE l.disbursed_on IS NOT NULL AND l.disbursed_on <= {p} "
    "AND l.stage IN ('disbursed', 'closed', 'written_off') "
    "AND (l.closed_on IS NULL OR l.closed_on > {p}) ORDER BY l.id")


def _product_name(names: dict[str, str], terms_text: str | None, product: str) -> str:
    """The product name in a loan's terms (JSON parsed once per distinct text)."""
    key = terms_text or ""
    if key not in names:
        try:
            terms = json.loads(key) if key else {}
        except ValueError:
            terms = {}
        names[key] = terms.get("name", product) if isinstance(terms, dict) else product
    return names[key] or product


def loan_report(crm: CRM, as_of: dt.date) -> Laporan:
    """Laporan pinjaman: loans outstanding on a date, arrears and collectibility.

    Outstanding principal as of the date is the principal less the principal of
    repayments booked by then; a late installment is one due before the date and
    not paid by it; the grade follows the oldest late installment.
    """
    _need(crm, "expand.loans", "loan")
    from dyncrm.db import prepared
    from dyncrm_expand.loans import queries as lq

    db = crm.database
    day = as_of.isoformat()
    cfg = lq.settings(crm)
    money = rupiah_texts(crm)
    rows, raw = [], []
    by_grade: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    out_total = arrears_total = count = 0
    names: dict[str, str] = {}  # terms text -> product name, parsed once per distinct text
    # plain rows from SQL text written once; dates are converted, formatted and graded
    # once per distinct value
    late_days: dict[Any, int] = {None: 0}
    grades: dict[int, str] = {}
    shown: dict[Any, tuple[str, str]] = {}  # disbursement date -> (short text, ISO)
    terms_of: dict[int, str] = {}  # term -> "12 bln"
    for (loan_id, number, name, product, terms, disbursed_on, term, principal, paid, oldest,
         arrears, first) in db.execute_sql(prepared.sql(db, _LOAN_REPORT_SQL),
                                           [day] * _LOAN_REPORT_SQL.count("{p}")):
        count += 1
        principal = int(principal)
        outstanding = max(principal - int(paid or 0), 0)
        arrears = int(arrears or 0)
        first = int(first or 0)
        dpd = late_days.get(oldest)
        if dpd is None:
            dpd = late_days[oldest] = (as_of - _date(oldest)).days
        grade = grades.get(dpd) or grades.setdefault(dpd, cfg.grade(dpd))
        slot = by_grade[grade]
        slot[0] += 1
        slot[1] += outstanding
        out_total += outstanding
        arrears_total += arrears
        number, name = number or "", name or ""
        when = shown.get(disbursed_on)
        if when is None:
            when = shown[disbursed_on] = (_short(crm, disbursed_on), _iso(disbursed_on))
        tenor = terms_of.get(term)
        if tenor is None:
            tenor = terms_of[term] = f"{term} bln"
        rows.append({"pinjaman": loan_id, "nomor": number, "nama": name,
                     "produk": _product_name(names, terms, product),
                     "cair": when[0], "tenor": tenor,
                     "pokok": money(principal), "sisa": money(outstanding),
                     "angsuran": money(first),
                     "tunggakan": money(arrears) if arrears else "",
                     "hari": str(dpd) if dpd else "", "kolektibilitas": grade})
        raw.append({"pinjaman": loan_id, "nomor_anggota": number, "nama": name,
                    "produk": product, "dicairkan": when[1],
                    "tenor_bulan": term, "pokok_pinjaman": principal,
                    "sisa_pokok": outstanding, "angsuran_per_bulan": first,
                    "tunggakan": arrears, "hari_terlambat": dpd, "kolektibilitas": grade})
    grade_rows, grade_raw = [], []
    for g in cfg.collectibility:
        n, amount = by_grade.get(g.name, [0, 0])
        share = (Decimal(amount) * 100 / out_total).quantize(Decimal("0.1")) if out_total \
            else Decimal("0.0")
        grade_rows.append({"kolektibilitas": g.name, "sejak": f"{g.min_days} hari",
                           "pinjaman": n, "sisa": rupiah(crm, amount),
                           "porsi": f"{share:f}".replace(".", ",") + "%"})
        grade_raw.append({"kolektibilitas": g.name, "terlambat_sejak_hari": g.min_days,
                          "pinjaman": n, "sisa_pokok": amount, "porsi_persen": share})
    return Laporan(
        name="pinjaman", title="Laporan Pinjaman", subtitle=_as_of_text(crm, as_of),
        columns=cols(("pinjaman", "No.", "R", 0.5), ("nomor", "No. Anggota", "L", 1.35),
                     ("nama", "Nama", "L", 1.7), ("produk", "Produk", "L", 1.35),
                     ("cair", "Cair", "L", 0.95), ("tenor", "Tenor", "R", 0.7),
                     ("pokok", "Pokok", "R", 1.15), ("sisa", "Sisa pokok", "R", 1.15),
                     ("angsuran", "Angsuran", "R", 1.05), ("tunggakan", "Tunggakan", "R", 1.05),
                     ("hari", "Hari", "R", 0.5), ("kolektibilitas", "Kolektibilitas", "L", 1.75)),
        sections=(
            Section(heading="Kolektibilitas", rows=tuple(grade_rows), raw=tuple(grade_raw),
                    summary=True,
                    columns=cols(("kolektibilitas", "Kolektibilitas", "L", 2),
                                 ("sejak", "Terlambat sejak", "L", 1.2),
                                 ("pinjaman", "Pinjaman", "R", 1), ("sisa", "Sisa pokok", "R", 1.5),
                                 ("porsi", "Porsi", "R", 0.8)),
                    totals={"kolektibilitas": "Jumlah", "pinjaman": count,
                            "sisa": rupiah(crm, out_total), "porsi": "100%"}),
            Section(heading="Daftar pinjaman", rows=tuple(rows), raw=tuple(raw),
                    totals={"nama": "Jumlah", "sisa": rupiah(crm, out_total),
                            "tunggakan": rupiah(crm, arrears_total)})),
        **_summary(("Pinjaman beredar", count, None),
                   ("Sisa pokok", out_total, rupiah(crm, out_total)),
                   ("Tunggakan pokok + jasa", arrears_total, rupiah(crm, arrears_total))),
        notes=("Tunggakan: angsuran (pokok dan jasa) yang jatuh tempo sebelum tanggal laporan "
               "dan belum lunas pada tanggal itu, tanpa denda.",),
        landscape=True)


def loan_schedule(crm: CRM, loan_id: int) -> Laporan:
    """Jadwal angsuran of one loan, with what was paid."""
    _need(crm, "expand.loans", "loan schedule")
    from dyncrm_expand import loans

    info = loans.get(crm, loan_id)
    member = crm.member(info.member_id)
    insts = loans.installments(crm, loan_id)
    if not insts:
        raise ValidationError(f"loan {loan_id} has no schedule yet (it is {info.stage!r})")
    exp = crm.ledger.exponent(crm.currency)

    def u(m) -> int:
        return int(m.amount.scaleb(exp))

    rows, raw = [], []
    remaining = sum(u(i.principal) for i in insts)
    for i in insts:
        remaining -= u(i.principal)
        paid = u(i.principal_paid) + u(i.interest_paid) + u(i.penalty_paid)
        rows.append({"ke": i.number, "jatuh_tempo": _short(crm, i.due_on),
                     "pokok": rupiah(crm, u(i.principal)), "jasa": rupiah(crm, u(i.interest)),
                     "angsuran": rupiah(crm, u(i.total)), "dibayar": rupiah(crm, paid),
                     "denda": rupiah(crm, u(i.penalty_assessed)) if u(i.penalty_assessed)
                     else "", "lunas": _short(crm, i.paid_on),
                     "sisa": rupiah(crm, remaining)})
        raw.append({"ke": i.number, "jatuh_tempo": _iso(i.due_on), "pokok": u(i.principal),
                    "jasa": u(i.interest), "angsuran": u(i.total), "dibayar": paid,
                    "denda": u(i.penalty_assessed), "lunas": _iso(i.paid_on),
                    "sisa_pokok_terjadwal": remaining})
    return Laporan(
        name="jadwal", title=f"Jadwal Angsuran Pinjaman {loan_id}",
        subtitle=f"{member.number} {member.name} — {info.product}",
        columns=cols(("ke", "Ke", "R", 0.4), ("jatuh_tempo", "Jatuh tempo", "L", 1.0),
                     ("pokok", "Pokok", "R", 1.1), ("jasa", "Jasa", "R", 1.0),
                     ("angsuran", "Angsuran", "R", 1.1), ("dibayar", "Dibayar", "R", 1.1),
                     ("denda", "Denda", "R", 0.9), ("lunas", "Lunas", "L", 1.0),
                     ("sisa", "Sisa pokok", "R", 1.1)),
        sections=(Section(rows=tuple(rows), raw=tuple(raw), totals={
            "jatuh_tempo": "Jumlah", "pokok": rupiah(crm, sum(u(i.principal) for i in insts)),
            "jasa": rupiah(crm, sum(u(i.interest) for i in insts)),
            "angsuran": rupiah(crm, sum(u(i.total) for i in insts))}),),
        **_summary(("Pinjaman", loan_id, f"{loan_id} ({info.stage})"),
                   ("Anggota", f"{member.number} {member.name}", None),
                   ("Tenor", len(insts), f"{len(insts)} bulan")))


# --- payroll, feedback, SHU ----------------------------------------------------------


def payroll_report(crm: CRM, month: dt.date, *, live: bool = False) -> Laporan:
    """Daftar potongan gaji of a month, one section per department.

    A month whose list was sent to the payroll office (``dyncrm payroll send``, or
    archived by its confirmation import) shows the list as sent, whatever the
    records say now; ``live`` (or a month never sent) computes it from the records.
    """
    _need(crm, "koperasi_xyz.payroll", "payroll deduction")
    from ..payroll.export import line_row
    from ..payroll.listing import deduction_list
    from ..payroll.sent import sent

    archived = None if live else sent(crm, month)
    if archived is not None:
        dlist = archived.dlist
        first = archived.archived.files[0]
        source = (f"daftar sebagaimana dikirim ke bagian penggajian pada "
                  f"{tanggal(crm, _date(archived.archived.created_at))} (arsip {first.id})")
    else:
        dlist = deduction_list(crm, month)
        source = f"dihitung dari data per {tanggal(crm, crm.today())}"
    keys = ("simpanan_wajib", "tunggakan_wajib", "angsuran", "tunggakan_angsuran",
            "jumlah_potongan")
    texts: dict[int, str] = {}  # each distinct amount formatted once

    def plain(units: int) -> str:
        found = texts.get(units)
        if found is None:
            found = texts[units] = amount_plain(crm, units)
        return found

    sections = []
    total = flagged = 0  # the list's total and lines to look at, from the rows made anyway
    for name, lines in dlist.departments().items():
        raw = [line_row(dlist, x) for x in lines]
        rows = []
        sums = dict.fromkeys(keys, 0)
        for r in raw:
            row = dict(r)  # the same columns in the same order, amounts as text
            for k in keys:
                units = r[k]
                sums[k] += units
                row[k] = plain(units)
            if r["gaji_bersih"] != "":
                row["gaji_bersih"] = plain(r["gaji_bersih"])
            flagged += r["catatan"] != ""
            rows.append(row)
        total += sums["jumlah_potongan"]
        totals = {"nama": "Jumlah", **{k: plain(v) for k, v in sums.items()}}
        sections.append(Section(heading=f"{name} ({len(lines)} anggota)", rows=tuple(rows),
                                raw=tuple(raw), totals=totals))
    month_name = f"{crm.locale.month_name(dlist.month.month)} {dlist.month.year}"
    return Laporan(
        name="potongan", title=f"Daftar Potongan Gaji — {month_name}",
        subtitle=f"Tanggal potong {tanggal(crm, dlist.payday)}; batas potongan "
                 f"{dlist.cap_percent.normalize():f}% dari gaji bersih; jumlah dalam rupiah; "
                 f"{source}",
        columns=cols(("nik_karyawan", "NIK Karyawan", "L", 1.1),
                     ("nomor_anggota", "No. Anggota", "L", 1.25), ("nama", "Nama", "L", 1.8),
                     ("simpanan_wajib", "Wajib", "R", 0.95),
                     ("tunggakan_wajib", "Tunggakan wajib", "R", 0.95),
                     ("angsuran", "Angsuran", "R", 1.05),
                     ("tunggakan_angsuran", "Tunggakan angsuran + denda", "R", 1.15),
                     ("jumlah_potongan", "Jumlah", "R", 1.1),
                     ("gaji_bersih", "Gaji bersih", "R", 1.1), ("catatan", "Catatan", "L", 1.6)),
        sections=tuple(sections),
        **_summary(("Anggota", len(dlist.lines), None),
                   ("Jumlah potongan", total, rupiah(crm, total)),
                   ("Perlu diperiksa", flagged, None)),
        landscape=True,
        signatures=(("Bendahara Koperasi", ""), ("Bagian Penggajian (HRD)", "")))


#: A feedback ticket's kind and stage as the kritik-saran report prints them.
FEEDBACK_KIND_ID = {"complaint": "kritik", "suggestion": "saran"}
FEEDBACK_STAGE_ID = {"new": "baru", "acknowledged": "ditanggapi", "in_progress": "diproses",
                     "resolved": "selesai", "closed": "ditutup", "rejected": "ditolak"}


def _feedback_ticket_rows(crm: CRM, lines) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tickets of the kritik-saran report: display rows and raw (CSV) rows.

    An anonymous ticket reads "(anonim)" and its texts come blanked of the writer's
    name, number, e-mail and phone (:mod:`dyncrm_retain.feedback.report`).
    """
    rows, raw = [], []
    short, iso = _date_texts(crm)
    for t in lines:
        member = "(anonim)" if t.anonymous else t.member
        kind = FEEDBACK_KIND_ID.get(t.kind, t.kind)
        stage = FEEDBACK_STAGE_ID.get(t.stage, t.stage)
        replies = [f"{short(on)}: {text}" for on, text in t.replies]
        outcome = (f"Ditolak: {t.reject_reason}" if t.reject_reason else
                   f"Penyelesaian: {t.resolution}" if t.resolution else "")
        rating = "" if t.rating is None else f"{t.rating}/5" + (
            f" — {t.rating_comment}" if t.rating_comment else "")
        rows.append({"tiket": f"{t.number} · {short(t.submitted_on)}",
                     "jenis": f"{kind} · {t.category} · {stage}", "anggota": member,
                     "isi": f"{t.subject}: {t.text}",
                     "tanggapan": " · ".join([*replies, *([outcome] if outcome else [])]),
                     "penilaian": rating})
        raw.append({"nomor_tiket": t.number, "tanggal": iso(t.submitted_on), "jenis": kind,
                    "kategori": t.category, "status": stage, "anggota": member,
                    "judul": t.subject, "isi": t.text,
                    "tanggapan": "\n".join(f"{iso(on)}: {text}" for on, text in t.replies),
                    "penyelesaian": outcome,
                    "penilaian": "" if t.rating is None else t.rating,
                    "komentar_penilaian": t.rating_comment})
    return rows, raw


def feedback_report(crm: CRM, since: dt.date, until: dt.date) -> Laporan:
    """Laporan kritik dan saran: volume by category and month, service levels, satisfaction,
    and the complaints and suggestions themselves (anonymous ones naming nobody)."""
    _need(crm, "retain.feedback", "feedback")
    from dyncrm_retain.feedback import report as fr

    rep = fr.build(crm, since, until)
    ticket_rows, ticket_raw = _feedback_ticket_rows(crm, rep.tickets)
    month_cols = [(m, _month_short(crm, m), "R", 0.7) for m in rep.months]
    volume = rep.volume_rows()
    for row in volume:
        if row["category"] == "total":
            row["category"] = "Jumlah"
    volume_cols = cols(("category", "Kategori", "L", 1.6), *month_cols,
                       ("total", "Jumlah", "R", 0.8))
    summary_rows = []
    service_raw = [{"kategori": "jumlah" if ln is rep.total else ln.category,
                    "tiket": ln.tickets, "median_tanggap_hari": ln.median_ack_days,
                    "tanggap_tepat_waktu_persen": ln.ack_sla_share,
                    "median_selesai_hari": ln.median_resolve_days,
                    "selesai_tepat_waktu_persen": ln.resolve_sla_share,
                    "penilaian": ln.rated, "rata_rata_penilaian": ln.average_rating,
                    "puas_persen": ln.csat} for ln in (*rep.lines, rep.total)]
    for row in rep.summary_rows():
        summary_rows.append({
            "kategori": "Jumlah" if row["category"] == "total" else row["category"],
            "tiket": row["tickets"], "tanggap": _comma(row["median ack (days)"]),
            "tanggap_sla": _comma(row["ack within SLA"]),
            "selesai": _comma(row["median resolve (days)"]),
            "selesai_sla": _comma(row["resolved within SLA"]), "penilaian": row["ratings"],
            "rata": _comma(row["avg rating"]), "csat": _comma(row["CSAT"])})
    t = rep.total
    return Laporan(
        name="kritik-saran", title="Laporan Kritik dan Saran Anggota",
        subtitle=_period_text(crm, since, until),
        columns=volume_cols,
        sections=(
            Section(heading="Jumlah tiket per kategori dan bulan",
                    rows=tuple(r for r in volume if r["category"] != "Jumlah"),
                    raw=tuple({"kategori": r["category"], **{m: r[m] for m in rep.months},
                               "jumlah": r["total"]}
                              for r in volume if r["category"] != "Jumlah"),
                    totals=next(r for r in volume if r["category"] == "Jumlah"), summary=True),
            Section(heading="Kecepatan layanan dan kepuasan", rows=tuple(summary_rows),
                    raw=tuple(service_raw), summary=True,
                    columns=cols(("kategori", "Kategori", "L", 1.5), ("tiket", "Tiket", "R", 0.7),
                                 ("tanggap", "Median tanggap (hari)", "R", 1.1),
                                 ("tanggap_sla", "Ditanggapi tepat waktu", "R", 1.3),
                                 ("selesai", "Median selesai (hari)", "R", 1.1),
                                 ("selesai_sla", "Selesai tepat waktu", "R", 1.3),
                                 ("penilaian", "Penilaian", "R", 0.9),
                                 ("rata", "Rata-rata (1–5)", "R", 0.9),
                                 ("csat", "Puas (4–5)", "R", 0.8))),
            Section(heading=f"Isi kritik dan saran ({len(rep.tickets)} tiket)",
                    rows=tuple(ticket_rows), raw=tuple(ticket_raw),
                    columns=cols(("tiket", "Tiket · tanggal", "L", 1.3),
                                 ("jenis", "Jenis · kategori · status", "L", 1.4),
                                 ("anggota", "Anggota", "L", 1.3),
                                 ("isi", "Judul dan isi", "L", 3.6),
                                 ("tanggapan", "Tanggapan dan penyelesaian", "L", 3.2),
                                 ("penilaian", "Penilaian", "L", 1.0)))),
        **_summary(("Tiket", t.tickets, None), ("Sudah diselesaikan", t.resolved, None),
                   ("Kepuasan (CSAT)", t.csat, f"{t.csat}%".replace(".", ",")
                    if t.csat is not None else "-")),
        notes=("Tiket anonim ditulis tanpa data pribadi: nama, nomor anggota, e-mail dan "
               "telepon penulisnya tidak dicetak, juga bila disebut di dalam teks ([…]). "
               "Catatan internal pengurus tidak dicetak.",),
        landscape=True)


def _comma(text: object) -> str:
    """Indonesian decimal comma in a figure the feedback report formatted (``12.5`` → ``12,5``)."""
    return str(text).replace(".", ",")


def _month_short(crm: CRM, label: str) -> str:
    year, month = label.split("-")
    return f"{crm.locale.month_name(int(month))[:3]} {year}"


def shu_report(crm: CRM, year: int) -> Laporan:
    """Laporan pembagian SHU (the locked figures once approved, else a draft)."""
    _need(crm, "koperasi_xyz.shu", "SHU")
    from ..shu.report import shu_laporan
    from ..shu.service import current

    return shu_laporan(crm, current(crm, year))


def pph_shu_report(crm: CRM, year: int) -> Laporan:
    """Laporan PPh atas SHU: the PPh withheld from each member's share of ``year``."""
    _need(crm, "koperasi_xyz.shu", "SHU")
    from ..shu.report import pph_laporan
    from ..shu.service import current

    return pph_laporan(crm, current(crm, year))


# --- Park & Kim ---------------------------------------------------------------------

PHASES = (("acquire", "Akuisisi"), ("retain", "Retensi"), ("expand", "Ekspansi"))
INFOS = (("of", "tentang"), ("for", "untuk"), ("by", "dari"))


_DIGIT_RUNS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """``text`` ordered as people read it: its runs of digits as numbers
    (``XYZ-2025-9`` before ``XYZ-2025-10``), letters without regard to case."""
    parts: list = _DIGIT_RUNS.split(text)  # text, digits, text, …, text
    parts[1::2] = map(int, parts[1::2])
    parts[0::2] = map(str.casefold, parts[0::2])
    return tuple(parts)


def person_label(member_id: int, number: str) -> str:
    """How a person is named in a report: the member number, or for an applicant (whose
    application was never approved, or was rejected) the application as the registration
    plugin numbers it, ``Permohonan #104``."""
    return number or f"Permohonan #{member_id}"


def person_order(member_id: int, person: Any) -> tuple:
    """Sort key: members by member number (numbers in it compared as numbers), then
    applicants by application number."""
    number = getattr(person, "number", None) or ""
    return (0, natural_key(number), member_id) if number else (1, (), member_id)


class _Person(NamedTuple):
    """A member as the reports name them."""

    number: str | None
    name: str
    stage: str


def _people(crm: CRM, wanted: Iterable[int]) -> dict[int, _Person]:
    """Number, name and stage of the members ``wanted``: chunks of 500 ids, or one
    streamed pass over the member table when they are many (no statement carries
    more ids than SQLite allows)."""
    wanted = set(wanted)
    db = crm.database
    select = "SELECT id, number, name, stage FROM member"
    if len(wanted) > 500:
        return {row[0]: _Person(*row[1:]) for row in db.execute_sql(select)
                if row[0] in wanted}
    ids = sorted(wanted)
    out: dict[int, _Person] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ", ".join([db.param] * len(chunk))
        out.update({row[0]: _Person(*row[1:])
                    for row in db.execute_sql(f"{select} WHERE id IN ({marks})", chunk)})
    return out


def park_kim(crm: CRM, as_of: dt.date) -> Laporan:
    """Touchpoints per member by phase × information type (Park & Kim's Dynamic CRM).

    One grouped query over the touchpoint log up to the end of ``as_of``
    (Jakarta time).
    """
    end = (dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=crm.tz)
           .astimezone(dt.UTC).replace(tzinfo=None))
    query = (Touchpoint.select(Touchpoint.member, Touchpoint.phase, Touchpoint.info,
                               fn.COUNT(Touchpoint.id).alias("n"))
             .where(Touchpoint.at < end)
             .group_by(Touchpoint.member, Touchpoint.phase, Touchpoint.info))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    matrix: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[tuple[str, str], str] = {}
    for member_id, phase, info, n in crm.database.execute_sql(*query.sql()):  # plain rows
        key = names.get((phase, info)) or names.setdefault((phase, info), f"{phase}_{info}")
        counts[member_id][key] = n
        matrix[(phase, info)] += n
    people = _people(crm, counts)
    keys = [f"{p}_{i}" for p, _ in PHASES for i, _ in INFOS]
    rows, raw = [], []
    for mid in sorted(counts, key=lambda m: person_order(m, people.get(m))):
        c = counts[mid]
        person = people.get(mid)
        number = (person.number or "") if person else ""
        name = person.name if person else ""
        status = STAGE_ID.get(person.stage, person.stage) if person else ""
        total = sum(c.values())
        rows.append({"nomor": person_label(mid, number), "nama": name, "status": status,
                     **{k: c.get(k, 0) or "" for k in keys}, "jumlah": total})
        raw.append({"nomor_anggota": number, "nomor_permohonan": "" if number else mid,
                    "nama": name, "status": status, **{k: c.get(k, 0) for k in keys},
                    "jumlah": total})
    matrix_rows = []
    for phase, label in PHASES:
        row = {"fase": label, **{i: matrix.get((phase, i), 0) for i, _ in INFOS}}
        row["jumlah"] = sum(row[i] for i, _ in INFOS)
        matrix_rows.append(row)
    matrix_totals = {"fase": "Jumlah", **{i: sum(r[i] for r in matrix_rows) for i, _ in INFOS},
                     "jumlah": sum(r["jumlah"] for r in matrix_rows)}
    member_cols = cols(("nomor", "No. Anggota / permohonan", "L", 1.6),
                       ("nama", "Nama", "L", 2.2), ("status", "Status", "L", 1.0),
                       *[(f"{p}_{i}", f"{pl[:3]}. {il}", "R", 0.72)
                         for p, pl in PHASES for i, il in INFOS],
                       ("jumlah", "Jumlah", "R", 0.8))
    # every member's counts add up to the matrix: its cells are the column totals
    totals = {"nama": "Jumlah", **{f"{p}_{i}": matrix.get((p, i), 0)
                                   for p, _ in PHASES for i, _ in INFOS},
              "jumlah": sum(matrix.values())}
    return Laporan(
        name="parkkim", title="Titik Kontak Anggota (Park & Kim)",
        subtitle=_as_of_text(crm, as_of) + "; informasi tentang / untuk / dari anggota per fase",
        columns=member_cols,
        sections=(
            Section(heading="Fase × jenis informasi", rows=tuple(matrix_rows),
                    raw=tuple({**r, "fase": phase} for r, (phase, _) in
                              zip(matrix_rows, PHASES, strict=True)),
                    columns=cols(("fase", "Fase", "L", 1.5),
                                 *[(i, f"Informasi {il} anggota", "R", 1.3) for i, il in INFOS],
                                 ("jumlah", "Jumlah", "R", 1)),
                    totals=matrix_totals, summary=True),
            Section(heading="Per anggota", rows=tuple(rows), raw=tuple(raw), totals=totals)),
        **_summary(("Anggota dengan titik kontak", len(rows), None),
                   ("Titik kontak", matrix_totals["jumlah"], None)),
        notes=("Akuisisi: menjadi anggota; Retensi: pengingat, kritik dan saran, FAQ; "
               "Ekspansi: simpanan, pinjaman, poin, SHU, keluar. 'Tentang': data anggota; "
               "'untuk': informasi yang dikirim kepada anggota; 'dari': tindakan anggota.",),
        landscape=True)
