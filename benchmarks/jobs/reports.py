"""koperasi_xyz.reports: report builders over every member (savings, touchpoints, loans)."""

from __future__ import annotations

import calendar
import datetime as dt
import json

from harness import SAVINGS
from worlds import (
    LOAN_TERM,
    POKOK,
    WAJIB,
    Expect,
    check,
    koperasi_job,
    paid_installments,
    wajib_gaps,
)

YEAR_END = dt.date(2025, 12, 31)
LOAN_REPORT_ON = dt.date(2025, 12, 20)


def _rows(laporan, heading: str) -> tuple[dict, ...]:
    return next(s.raw for s in laporan.sections if s.heading == heading)


@koperasi_job("reports.savings_report", memory_growth="linear")
def savings_report(crm, world):
    """Laporan simpanan: balances per member and product at year end, wajib arrears."""
    from koperasi_xyz.reports import builders as report_builders

    _check_savings(world, _rows(report_builders.savings_report(crm, YEAR_END), "Per anggota"))


def _check_savings(world, rows) -> None:
    """The laporan simpanan's member rows are what the world implies."""
    check("members", len(rows), world.n)
    months = world.months
    check("savings total", sum(r["jumlah"] for r in rows), sum(
        months * (POKOK + SAVINGS["savings.sukarela"]) + (months - len(wajib_gaps(m))) * WAJIB
        for m in world.member_ids))
    check("wajib arrears", sum(r["tunggakan_wajib"] for r in rows), Expect(world).gaps * WAJIB)
    check("members in arrears", sum(1 for r in rows if r["tunggakan_wajib"]),
          sum(1 for m in world.member_ids if wajib_gaps(m)))


@koperasi_job("reports.park_kim", memory_growth="linear")
def park_kim(crm, world):
    """Touchpoints per member by phase × information type (one grouped query)."""
    from koperasi_xyz.reports import builders as report_builders

    rows = _rows(report_builders.park_kim(crm, YEAR_END), "Per anggota")
    check("members", len(rows), world.n)
    check("touchpoints", sum(r["jumlah"] for r in rows), 4 * world.n)


@koperasi_job("reports.loan_report", memory_growth="linear")
def loan_report(crm, world):
    """Laporan pinjaman: outstanding, arrears and collectibility per loan."""
    from koperasi_xyz.reports import builders as report_builders

    _check_loans(world, _rows(report_builders.loan_report(crm, LOAN_REPORT_ON),
                              "Daftar pinjaman"))


def _check_loans(world, rows) -> None:
    """The laporan pinjaman's loan rows are what the world implies."""
    on = LOAN_REPORT_ON
    e = Expect(world)
    check("loans", len(rows), len(e.loans))
    check("outstanding principal", sum(r["sisa_pokok"] for r in rows),
          sum((LOAN_TERM - paid_installments(m)) * e.installment(m)[0] for m in e.loans))
    unpaid = e.unpaid_before(on)
    check("arrears", sum(r["tunggakan"] for r in rows),
          sum(e.installment_total(m) for m, _, _ in unpaid))
    oldest: dict[int, dt.date] = {}
    for m, _, due in unpaid:
        oldest[m] = min(oldest.get(m, due), due)
    check("days past due", sum(r["hari_terlambat"] for r in rows),
          sum((on - due).days for due in oldest.values()))


# --- raw-SQL floors: the same figures in hand-written SQL on the same file -------------

KINDS = ("savings.pokok", "savings.wajib", "savings.sukarela")


def _months_owed(start: dt.date, limit: dt.date, due_day: int) -> int:
    """Wajib months from ``start``'s month whose due date (never before ``start``) is
    on or before ``limit``."""
    last = limit.replace(day=1)
    due = last.replace(day=min(due_day, calendar.monthrange(last.year, last.month)[1]))
    if max(due, start) > limit:
        last = (last - dt.timedelta(days=1)).replace(day=1)
    return max((last.year - start.year) * 12 + last.month - start.month + 1, 0)


@koperasi_job("reports.savings_report raw", memory_growth="linear")
def savings_report_raw(crm, world):
    """The laporan simpanan's per-member figures in hand-written SQL (the floor)."""
    db = crm.database
    as_of = YEAR_END
    marks = ", ".join("?" * len(KINDS))
    sums: dict[int, list[int]] = {}  # member -> [pokok, wajib, sukarela, wajib paid]
    for member_id, kind, units, paid in db.execute_sql(
            "SELECT a.member_id, a.kind, -SUM(p.amount), "
            "-SUM(CASE WHEN e.kind NOT LIKE 'deactivation.%' THEN p.amount ELSE 0 END) "
            "FROM posting p JOIN account a ON a.id = p.account_id "
            "JOIN journal_entry e ON e.id = p.entry_id "
            f"WHERE a.kind IN ({marks}) AND a.member_id IS NOT NULL AND e.effective_date <= ? "
            # per account: its postings come together, so SQLite sums them without a sort
            "GROUP BY a.id, a.member_id, a.kind", [*KINDS, as_of.isoformat()]):
        slot = sums.setdefault(member_id, [0, 0, 0, 0])
        slot[KINDS.index(kind)] += int(units)
        if kind == "savings.wajib":
            slot[3] += int(paid)
    from koperasi_xyz.fmt import rupiah_texts

    money = rupiah_texts(crm)  # "Rp 1.250.000", formatted once per distinct amount
    rows, shown = [], []
    totals, holders = [0, 0, 0], [0, 0, 0]  # per product
    for member_id, number, name, department, stage, joined, start, end in db.execute_sql(
            "SELECT m.id, m.number, m.name, a.department, m.stage, m.joined_on, o.start_on, "
            "o.end_on FROM member m LEFT JOIN acquire_application a ON a.member_id = m.id "
            "LEFT JOIN savings_obligation o ON o.member_id = m.id AND o.product = 'wajib' "
            "ORDER BY m.number, m.id"):
        pokok, wajib, sukarela, paid = sums.get(member_id, (0, 0, 0, 0))
        arrears = 0
        start = start or joined
        if stage == "active" and start:
            limit = min(as_of, dt.date.fromisoformat(end)) if end else as_of
            owed = _months_owed(dt.date.fromisoformat(start), limit, 25)
            arrears = max(owed * WAJIB - max(paid, 0), 0)
        if member_id not in sums and not arrears:
            continue
        total = pokok + wajib + sukarela
        for slot, units in enumerate((pokok, wajib, sukarela)):
            if units:
                totals[slot] += units
                holders[slot] += 1
        # the laporan's shown row as well as its raw one: the same formatting work
        shown_amounts = [money(u) for u in (pokok, wajib, sukarela, total)]
        owed = ""
        if arrears:
            owed = money(arrears)
        shown.append({"no": len(shown) + 1, "nomor": number or f"Permohonan #{member_id}",
                      "nama": name, "departemen": department or "",
                      "pokok": shown_amounts[0], "wajib": shown_amounts[1],
                      "sukarela": shown_amounts[2], "jumlah": shown_amounts[3],
                      "tunggakan": owed})
        rows.append({"nomor_anggota": number or "", "nama": name, "departemen": department or "",
                     "pokok": pokok, "wajib": wajib, "sukarela": sukarela,
                     "jumlah": total, "tunggakan_wajib": arrears})
    _check_savings(world, rows)
    check("shown rows", len(shown), len(rows))


@koperasi_job("reports.loan_report raw", memory_growth="linear")
def loan_report_raw(crm, world):
    """The laporan pinjaman's per-loan figures in hand-written SQL (the floor)."""
    from dyncrm_expand.loans.queries import settings as loan_settings

    grade = loan_settings(crm).grade
    on = LOAN_REPORT_ON
    day = on.isoformat()
    late = "i.due_on < ? AND (i.paid_on IS NULL OR i.paid_on > ?)"

    from koperasi_xyz.fmt import rupiah_texts

    money = rupiah_texts(crm)  # "Rp 1.250.000", formatted once per distinct amount
    dates: dict[object, tuple[str, str]] = {}  # disbursement date -> (shown, ISO)
    rows, shown = [], []
    names: dict[object, str] = {}  # terms text -> the product's name, parsed once per text
    for loan_id, number, name, product, terms, disbursed, term, principal, repaid, oldest, \
            arrears, first in crm.database.execute_sql(
                "SELECT l.id, m.number, m.name, l.product, l.terms, l.disbursed_on, l.term, "
                "l.principal, "
                "(SELECT SUM(lp.principal) FROM loan_payment lp WHERE lp.loan_id = l.id "
                "AND lp.effective_date <= ? AND lp.reversed_by IS NULL), "
                "g.oldest, g.arrears, g.first "
                "FROM loan l JOIN member m ON m.id = l.member_id LEFT JOIN ("
                f"SELECT i.loan_id, MIN(CASE WHEN {late} THEN i.due_on END) AS oldest, "
                f"SUM(CASE WHEN {late} THEN CASE WHEN i.paid_on IS NULL THEN "
                "i.principal - i.principal_paid + i.interest - i.interest_paid "
                "- i.interest_waived ELSE i.principal + i.interest END ELSE 0 END) AS arrears, "
                "MAX(CASE WHEN i.number = 1 THEN i.principal + i.interest END) AS first "
                "FROM loan_installment i GROUP BY i.loan_id) g ON g.loan_id = l.id "
                "WHERE l.disbursed_on IS NOT NULL AND l.disbursed_on <= ? "
                "AND l.stage IN ('disbursed', 'closed', 'written_off') "
                "AND (l.closed_on IS NULL OR l.closed_on > ?) ORDER BY l.id",
                [day, day, day, day, day, day, day]):
        dpd = (on - dt.date.fromisoformat(str(oldest)[:10])).days if oldest else 0
        outstanding = max(principal - int(repaid or 0), 0)
        arrears, first, kol = int(arrears or 0), int(first or 0), grade(dpd)
        when = dates.get(disbursed)
        if when is None:
            day_ = dt.date.fromisoformat(str(disbursed)[:10])
            when = dates[disbursed] = (crm.locale.date(day_, long=False), day_.isoformat())
        # the laporan's shown row as well as its raw one: the same formatting work
        amounts = [money(u) for u in (principal, outstanding, first, arrears)]
        product_name = names.get(terms)
        if product_name is None:
            parsed = json.loads(terms) if terms else {}
            product_name = names[terms] = (parsed.get("name") if isinstance(parsed, dict)
                                           else None) or product
        shown.append({"pinjaman": loan_id, "nomor": number or "", "nama": name or "",
                      "produk": product_name, "cair": when[0], "tenor": f"{term} bln",
                      "pokok": amounts[0], "sisa": amounts[1], "angsuran": amounts[2],
                      "tunggakan": amounts[3] if arrears else "",
                      "hari": str(dpd) if dpd else "", "kolektibilitas": kol})
        rows.append({"pinjaman": loan_id, "nomor_anggota": number or "", "nama": name,
                     "produk": product, "dicairkan": when[1], "tenor_bulan": term,
                     "pokok_pinjaman": principal, "sisa_pokok": outstanding,
                     "angsuran_per_bulan": first, "tunggakan": arrears,
                     "hari_terlambat": dpd, "kolektibilitas": kol})
    _check_loans(world, rows)
    check("shown rows", len(shown), len(rows))


@koperasi_job("reports.park_kim raw", memory_growth="linear")
def park_kim_raw(crm, world):
    """The Park & Kim report's per-member counts and matrix in hand-written SQL (the floor)."""
    from koperasi_xyz.reports.builders import INFOS, PHASES

    end = (dt.datetime.combine(YEAR_END + dt.timedelta(days=1), dt.time(), tzinfo=crm.tz)
           .astimezone(dt.UTC).replace(tzinfo=None))
    keys = [f"{p}_{i}" for p, _ in PHASES for i, _ in INFOS]
    counts: dict[int, dict[str, int]] = {}
    matrix: dict[str, int] = dict.fromkeys(keys, 0)
    people: dict[int, tuple] = {}
    for member_id, number, name, stage, phase, info, n in crm.database.execute_sql(
            "SELECT t.member_id, m.number, m.name, m.stage, t.phase, t.info, COUNT(*) "
            "FROM touchpoint t JOIN member m ON m.id = t.member_id WHERE t.at < ? "
            "GROUP BY t.member_id, m.number, m.name, m.stage, t.phase, t.info",
            [end.isoformat(" ")]):
        key = f"{phase}_{info}"
        counts.setdefault(member_id, {})[key] = n
        matrix[key] += n
        people[member_id] = (number or "", name, stage)
    rows = []
    for member_id in sorted(counts, key=lambda m: (people[m][0], m)):
        c = counts[member_id]
        number, name, stage = people[member_id]
        rows.append({"nomor_anggota": number, "nama": name, "status": stage,
                     **{k: c.get(k, 0) for k in keys}, "jumlah": sum(c.values())})
    check("members", len(rows), world.n)
    check("touchpoints", sum(r["jumlah"] for r in rows), 4 * world.n)
    check("matrix", sum(matrix.values()), 4 * world.n)
