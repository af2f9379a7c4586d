"""koperasi_xyz.payroll: the December deduction list of every active member."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from worlds import WAJIB, Expect, check, koperasi_job

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
