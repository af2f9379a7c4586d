"""koperasi_xyz.reports: report builders over every member (savings, touchpoints, loans)."""

from __future__ import annotations

import datetime as dt

from harness import SAVINGS
from worlds import POKOK, WAJIB, Expect, check, koperasi_job, wajib_gaps

YEAR_END = dt.date(2025, 12, 31)


def _rows(laporan, heading: str) -> tuple[dict, ...]:
    return next(s.raw for s in laporan.sections if s.heading == heading)


@koperasi_job("reports.savings_report", memory_growth="linear")
def savings_report(crm, world):
    """Laporan simpanan: balances per member and product at year end, wajib arrears."""
    from koperasi_xyz.reports import builders as report_builders

    rows = _rows(report_builders.savings_report(crm, YEAR_END), "Per anggota")
    check("members", len(rows), world.n)
    months = world.months
    check("savings total", sum(r["jumlah"] for r in rows), sum(
        months * (POKOK + SAVINGS["savings.sukarela"]) + (months - len(wajib_gaps(m))) * WAJIB
        for m in world.member_ids))
    check("wajib arrears", sum(r["tunggakan_wajib"] for r in rows), Expect(world).gaps * WAJIB)


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
    from worlds import LOAN_TERM, paid_installments

    from koperasi_xyz.reports import builders as report_builders

    on = dt.date(2025, 12, 20)
    rows = _rows(report_builders.loan_report(crm, on), "Daftar pinjaman")
    e = Expect(world)
    check("loans", len(rows), len(e.loans))
    check("outstanding principal", sum(r["sisa_pokok"] for r in rows),
          sum((LOAN_TERM - paid_installments(m)) * e.installment(m)[0] for m in e.loans))
    check("arrears", sum(r["tunggakan"] for r in rows),
          sum(e.installment_total(m) for m, _, _ in e.unpaid_before(on)))
