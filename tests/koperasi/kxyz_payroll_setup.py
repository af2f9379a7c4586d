"""A small cooperative for the payroll tests: three departments, two loans, one leaver.

Month 2026-03, payday 25 March 2026, the clock on 28 March 2026.

==========  =====  =========  =========================================================
member      dept   THP        what the list must say for 2026-03
==========  =====  =========  =========================================================
Andi  E001  Prod.  5.000.000  wajib Mar 50.000 + Feb arrears 50.000; loan 3.000.000 flat
                              1%/month × 12 from 10 Jan: installment = 250.000 + 30.000 =
                              280.000; Feb unpaid (arrears) + Mar due → 660.000 in all;
                              cap 35% × 5.000.000 = 1.750.000: fine
Budi  E002  Keu.    800.000   wajib Mar 50.000 (Jun 2025–Feb paid); loan from 5 Feb, first
                              installment 25 Mar 280.000 → 330.000 > cap 280.000: flagged
Citra E003  Umum   unknown    joined 1 Mar: wajib Mar 50.000; no THP: flagged
Dewi  E004  Umum  4.000.000   left in February: not on the list
==========  =====  =========  =========================================================
"""

from __future__ import annotations

import datetime as dt

from kxyz_helpers import quick_staff as staff

from dyncrm.db.models import Member
from dyncrm.money import Money
from dyncrm.values import Actor

NOW = dt.datetime(2026, 3, 28, 3, 0)
MONTH = dt.date(2026, 3, 1)
LOANS = {"products": {"konsumtif": {
    "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
    "term_min": 1, "term_max": 36, "due_day": 25}}}
SAVINGS = {"wajib": {"amount": "50000", "due_day": 25}}
ENABLED = ["acquire.registration", "expand.savings", "expand.loans", "koperasi_xyz.payroll"]


def idr(n) -> Money:
    return Money.of(n, "IDR")


def employee(crm, number: str, name: str, *, emp: str, dept: str, thp: int | None,
             joined: dt.date, stage: str = "active", left: dt.date | None = None) -> Member:
    from dyncrm_acquire.models import ApplicationRow

    with crm.action("seed", Actor.operator()):
        m = Member.create(number=number, name=name, stage=stage, joined_on=joined, left_on=left,
                          email=f"{emp.lower()}@xyz.co.id")
        ApplicationRow.create(member=m.id, status="approved", nik=f"31710101900{m.id:05d}",
                              employee_number=emp, department=dept, take_home_pay=thp,
                              submitted_by="test")
    return m


def lend(crm, people, member: Member, amount: int, on: dt.date, ref: str) -> int:
    from dyncrm_expand import loans

    info, _ = loans.apply(crm, people["kasir"], member.id, "konsumtif", idr(amount), term=12,
                          on=on)
    loans.approve(crm, people["panitia"], info.id, on=on)
    loans.disburse(crm, people["bendahara"], info.id, method="transfer", reference=ref, on=on)
    return info.id


def cooperative(make_crm, **payroll):
    """The CRM, the staff and the members described in the module docstring."""
    from dyncrm_expand import savings

    crm = make_crm(enabled=ENABLED, clock=lambda: NOW,
                   plugins={"expand.loans": LOANS, "expand.savings": SAVINGS,
                            "koperasi_xyz.payroll": payroll})
    people = {"kasir": staff(crm, "kasir", "cashier"),
              "panitia": staff(crm, "panitia", "credit_committee"),
              "bendahara": staff(crm, "bendahara", "treasurer"),
              "sekretaris": staff(crm, "sekretaris", "secretary")}
    andi = employee(crm, "XYZ-2026-00001", "Andi Wijaya", emp="E001", dept="Produksi",
                    thp=5_000_000, joined=dt.date(2026, 1, 5))
    budi = employee(crm, "XYZ-2025-00007", "Budi Santoso", emp="E002", dept="Keuangan",
                    thp=800_000, joined=dt.date(2025, 6, 1))
    citra = employee(crm, "XYZ-2026-00002", "Citra Lestari", emp="E003", dept="Umum",
                     thp=None, joined=dt.date(2026, 3, 1))
    dewi = employee(crm, "XYZ-2024-00003", "Dewi Anggraini", emp="E004", dept="Umum",
                    thp=4_000_000, joined=dt.date(2024, 1, 5), stage="inactive",
                    left=dt.date(2026, 2, 10))
    savings.deposit(crm, people["kasir"], andi.id, "wajib", "50000", method="cash",
                    reference="KW-1", on=dt.date(2026, 1, 20))
    savings.deposit(crm, people["kasir"], budi.id, "wajib", "450000", method="cash",
                    reference="KW-2", on=dt.date(2026, 2, 20))
    loan_a = lend(crm, people, andi, 3_000_000, dt.date(2026, 1, 10), "TRF-A")
    loan_b = lend(crm, people, budi, 3_000_000, dt.date(2026, 2, 5), "TRF-B")
    members = {"andi": andi, "budi": budi, "citra": citra, "dewi": dewi}
    return crm, people, members, {"andi": loan_a, "budi": loan_b}
