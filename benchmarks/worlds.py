"""The Koperasi world: plugin data on top of the synthetic savings deployment.

:func:`prepare_koperasi` turns a world from :func:`harness.generate_world` into
something like Koperasi XYZ at the end of 2025, with nothing but set-based
``INSERT ... SELECT`` / ``DELETE`` statements (a fixed number, whatever N is):

- savings obligations (pokok 100 000 and the wajib period from joining) for
  every member, and **gaps** in the wajib deposits: members with ``id % 4 == 0``
  skipped March, those with ``id % 8 == 0`` also July (their entries and
  postings are deleted, so the ledger stays balanced);
- an application row (employee number, department, take-home pay) per member;
  members with ``id % 50 == 0`` have no known take-home pay;
- a disbursed flat loan for every member with ``id % 3 == 0``: 6 000 000 (12 000 000
  for even ids) over 12 months from March 2025, 1 % a month, installments due on
  the 25th from April; installments 1-8 are paid on their due date, except for
  ``id % 9 == 0`` (paid 1-6, so October and November are overdue in December) and
  ``id % 27 == 0`` (paid 1-2); payments, the disbursement and every repayment
  are also in the ledger (``loans.principal:m``, ``income.loan_interest:m``);
- four touchpoints per member (joined, a deposit, a reminder, a portal visit);
- for loans of members with ``id % 6 == 0``, the reminder of the December
  installment on its due day was already queued (outbox message + reminder row);
- three promotions (everyone, department Produksi, without a loan), added through
  the library (three rows whatever N is).

The expected answers follow from the member ids alone: :class:`Expect` computes
them in Python, independently of the code the jobs measure.  Loans get no
``loan_event`` history rows (no job reads them).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from functools import cached_property

import harness

from dyncrm.db.models import (
    Account,
    JournalEntry,
    Member,
    OutboxMessage,
    Posting,
    Touchpoint,
)
from dyncrm.values import Actor

#: Plugins of the Koperasi world.  ``koperasi_xyz.reminders`` is needed as soon as any
#: koperasi_xyz plugin is: their shared template folder overrides the wajib reminder
#: with a text using the ``bulan`` filter, which only that plugin registers.
ENABLED = ("acquire.registration", "acquire.promotion", "expand.savings", "expand.loans",
           "retain.reminders", "koperasi_xyz.payroll", "koperasi_xyz.shu",
           "koperasi_xyz.reports", "koperasi_xyz.reminders")
WAJIB = 25_000  # = harness.SAVINGS["savings.wajib"], the world's monthly deposit
POKOK = 100_000
PLUGINS = {
    "expand.savings": {"pokok": {"amount": str(POKOK)},
                       "wajib": {"amount": str(WAJIB), "due_day": 25}},
    "expand.loans": {"products": {"konsumtif": {
        "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
        "term_min": 1, "term_max": 36, "due_day": 25,
        "penalty": {"kind": "percent_per_month", "percent": "2", "grace_days": 5}}}},
    "acquire.promotion": {"default_channels": ["file"]},
    "koperasi_xyz.payroll": {"cap_percent": "35", "payday": 25},
    "koperasi_xyz.shu": {
        "payout": "sukarela", "capital_sukarela": False, "capital_average": "year_end",
        "transactions": "interest",
        "years": {"2025": {"allocation": {
            "cadangan": "25", "jasa_modal": "20", "jasa_usaha": "30", "pengurus": "7.5",
            "karyawan": "5", "pendidikan": "5", "sosial": "5", "pembangunan": "2.5"}}}},
}
DEPARTMENTS = ("Keuangan", "Pemasaran", "Produksi", "SDM", "Teknologi Informasi")
GAP_MONTHS = {4: dt.date(2025, 3, 1), 8: dt.date(2025, 7, 1)}
LOAN_TERM = 12
DISBURSED_ON = dt.date(2025, 3, 10)
DUE_DATES = tuple(dt.date(2025 + (3 + n) // 12, (3 + n) % 12 + 1, 25)
                  for n in range(LOAN_TERM))  # 2025-04-25 ... 2026-03-25
TOUCHPOINTS = (("acquire", "of", "member.joined"), ("expand", "by", "savings.deposit"),
               ("retain", "for", "reminder.savings.wajib"), ("retain", "by", "portal.login"))
PROMOTIONS = (("Semua anggota", "everyone"), ("Produksi", "department:Produksi"),
              ("Tanpa pinjaman", "without_loan"))
NOW = "2025-12-01 08:00:00"


def has_loan(member_id: int) -> bool:
    """Members with a loan."""
    return member_id % 3 == 0


def loan_amount(member_id: int) -> int:
    """Rupiah lent to ``member_id``."""
    return 12_000_000 if member_id % 2 == 0 else 6_000_000


def paid_installments(member_id: int) -> int:
    """How many installments the member's loan has paid (1..n, each on its due date)."""
    if member_id % 27 == 0:
        return 2
    if member_id % 9 == 0:
        return 6
    return 8


def wajib_gaps(member_id: int) -> tuple[dt.date, ...]:
    """Months whose wajib deposit the member skipped."""
    return tuple(month for step, month in GAP_MONTHS.items() if member_id % step == 0)


def department(member_id: int) -> str:
    """The member's department."""
    return DEPARTMENTS[member_id % len(DEPARTMENTS)]


class Expect:
    """Expected answers for a world, from its member ids (plain Python)."""

    def __init__(self, world: harness.World) -> None:
        self.ids = world.member_ids

    @cached_property
    def loans(self) -> list[int]:
        """Member ids with a loan."""
        return [m for m in self.ids if has_loan(m)]

    @cached_property
    def gaps(self) -> int:
        """Skipped wajib months over all members."""
        return sum(len(wajib_gaps(m)) for m in self.ids)

    def installment(self, member_id: int) -> tuple[int, int]:
        """(principal, interest) of each installment of the member's loan."""
        amount = loan_amount(member_id)
        return amount // LOAN_TERM, amount // 100

    def unpaid_before(self, on: dt.date) -> list[tuple[int, int, dt.date]]:
        """(member, installment number, due) unpaid and due before ``on``."""
        return [(m, n, due) for m in self.loans for n, due in enumerate(DUE_DATES, start=1)
                if n > paid_installments(m) and due < on]

    def unpaid_until(self, last: dt.date) -> list[tuple[int, int, dt.date]]:
        """(member, installment number, due) unpaid and due on or before ``last``."""
        return self.unpaid_before(last + dt.timedelta(days=1))

    def installment_total(self, member_id: int) -> int:
        """Principal plus interest of one installment."""
        return sum(self.installment(member_id))

    def interest_paid(self) -> int:
        """Loan interest received in 2025 (every payment is dated in 2025)."""
        return sum(self.installment(m)[1] * paid_installments(m) for m in self.loans)

    def capital(self) -> int:
        """Pokok + wajib of every member at the end of 2025."""
        return sum(12 * POKOK + (12 - len(wajib_gaps(m))) * WAJIB for m in self.ids)


def values(name: str, columns: Iterable[str], rows: list[tuple]) -> tuple[str, list]:
    """A ``VALUES`` CTE (see :func:`harness.values_cte`)."""
    return harness.values_cte(name, columns, rows)


def prepare_koperasi(crm, world: harness.World) -> None:
    """Add the plugins' data described in the module docstring (set-based)."""
    from dyncrm_acquire.models import ApplicationRow
    from dyncrm_acquire.promotion import promotions
    from dyncrm_expand.loans.models import Loan, LoanInstallment, LoanPayment
    from dyncrm_expand.loans.queries import settings as loan_settings
    from dyncrm_expand.savings.models import SavingsObligation
    from dyncrm_retain.reminders.models import Reminder

    db = crm.database
    t = {model.__name__: model._meta.table_name for model in (
        SavingsObligation, ApplicationRow, Loan, LoanInstallment, LoanPayment, Reminder,
        Member, Account, JournalEntry, Posting, Touchpoint, OutboxMessage)}
    cur = crm.currency
    terms = json.dumps(loan_settings(crm).products["konsumtif"].terms(), sort_keys=True)
    with db.atomic():
        cash_id = Account.get(Account.code == "cash").id
        # savings obligations: pokok owed once, wajib from joining
        db.execute_sql(
            f"INSERT INTO {t['SavingsObligation']} (member_id, product, amount, start_on, "
            "end_on, created_at) "
            "SELECT m.id, p.product, p.amount, m.joined_on, NULL, ? FROM "
            f"{t['Member']} m CROSS JOIN (SELECT 'pokok' AS product, ? AS amount "
            "UNION ALL SELECT 'wajib', 0) p", [NOW, POKOK])
        # gaps: delete the skipped wajib deposits (both legs, then the entries)
        gap_sql = " OR ".join(f"(e.member_id % {step} = 0 AND e.effective_date = ?)"
                              for step in GAP_MONTHS)
        gap_params = [month.isoformat() for month in GAP_MONTHS.values()]
        gap_entries = (f"SELECT e.id FROM {t['JournalEntry']} e WHERE e.actor = 'benchmark' "
                       f"AND e.memo = 'savings.wajib' AND ({gap_sql})")
        db.execute_sql(f"DELETE FROM {t['Posting']} WHERE entry_id IN ({gap_entries})",
                       gap_params)
        db.execute_sql(f"DELETE FROM {t['JournalEntry']} WHERE id IN ({gap_entries})",
                       gap_params)
        # applications: employee number, department, take-home pay
        depts, dept_params = values("d", ("i", "name"), list(enumerate(DEPARTMENTS)))
        db.execute_sql(
            f"WITH {depts} INSERT INTO {t['ApplicationRow']} (member_id, status, nik, "
            "employee_number, department, address, employment_status, take_home_pay, "
            "channel, submitted_by, submitted_at) "
            "SELECT m.id, 'approved', printf('3171%012d', m.id), printf('E%06d', m.id), "
            "d.name, 'Jakarta', 'permanent', "
            "CASE WHEN m.id % 50 = 0 THEN NULL ELSE 5000000 + (m.id % 7) * 1000000 END, "
            f"'desk', 'benchmark', ? FROM {t['Member']} m JOIN d ON d.i = m.id % ?",
            [*dept_params, NOW, len(DEPARTMENTS)])
        # loans, disbursed in March
        db.execute_sql(
            f"INSERT INTO {t['Loan']} (member_id, product, terms, currency, amount, principal, "
            "term, purpose, stage, reasons, applied_on, applied_by, decided_on, decided_by, "
            "decision_reason, disbursed_on, disbursement_method, disbursement_reference, "
            "disbursed_by, created_at) "
            "SELECT m.id, 'konsumtif', ?, ?, a.amount, a.amount, ?, 'benchmark', 'disbursed', "
            "'[]', '2025-03-01', 'benchmark', '2025-03-05', 'benchmark', '', ?, 'transfer', "
            "'bench-disb-' || m.id, 'benchmark', ? "
            f"FROM (SELECT id, CASE WHEN id % 2 = 0 THEN 12000000 ELSE 6000000 END AS amount "
            f"FROM {t['Member']} WHERE id % 3 = 0) a JOIN {t['Member']} m ON m.id = a.id "
            "ORDER BY m.id",
            [terms, cur, LOAN_TERM, DISBURSED_ON.isoformat(), NOW])
        # installments: amount/12 principal, 1 % interest; the first ones paid on time
        dues, due_params = values("s", ("n", "due"),
                                  [(n, d.isoformat()) for n, d in enumerate(DUE_DATES, 1)])
        paid = ("s.n <= CASE WHEN l.member_id % 27 = 0 THEN 2 "
                "WHEN l.member_id % 9 = 0 THEN 6 ELSE 8 END")
        db.execute_sql(
            f"WITH {dues} INSERT INTO {t['LoanInstallment']} (loan_id, number, due_on, "
            "principal, interest, principal_paid, interest_paid, interest_waived, "
            "penalty_assessed, penalty_paid, penalty_periods, paid_on) "
            "SELECT l.id, s.n, s.due, l.amount / 12, l.amount / 100, "
            f"CASE WHEN {paid} THEN l.amount / 12 ELSE 0 END, "
            f"CASE WHEN {paid} THEN l.amount / 100 ELSE 0 END, 0, 0, 0, 0, "
            f"CASE WHEN {paid} THEN s.due END "
            f"FROM {t['Loan']} l CROSS JOIN s ORDER BY l.id, s.n", due_params)
        # ledger: the members' loan accounts, the disbursements and the repayments
        db.execute_sql(
            f"INSERT INTO {t['Account']} (code, name, type, kind, member_id, commodity) "
            "SELECT k.kind || ':m' || l.member_id, k.kind || ':m' || l.member_id, k.type, "
            f"k.kind, l.member_id, ? FROM {t['Loan']} l CROSS JOIN "
            "(SELECT 'loans.principal' AS kind, 'asset' AS type "
            "UNION ALL SELECT 'income.loan_interest', 'income') k ORDER BY l.id, k.kind",
            [cur])
        db.execute_sql(
            f"INSERT INTO {t['JournalEntry']} (key, kind, memo, effective_date, recorded_at, "
            "actor, member_id, meta) "
            "SELECT 'bench:loan:' || l.id, 'loans.disbursement', 'loan ' || l.id, "
            f"l.disbursed_on, ?, 'benchmark', l.member_id, '{{}}' FROM {t['Loan']} l "
            "ORDER BY l.id", [NOW])
        db.execute_sql(
            f"INSERT INTO {t['JournalEntry']} (key, kind, memo, effective_date, recorded_at, "
            "actor, member_id, meta) "
            "SELECT 'bench:loanpay:' || l.id || ':' || i.number, 'loans.repayment', "
            "'loan ' || l.id || ' installment ' || i.number, i.paid_on, ?, 'benchmark', "
            f"l.member_id, '{{}}' FROM {t['LoanInstallment']} i JOIN {t['Loan']} l "
            "ON l.id = i.loan_id WHERE i.paid_on IS NOT NULL ORDER BY i.paid_on, l.id",
            [NOW])
        principal_acct = (f"(SELECT id FROM {t['Account']} WHERE code = "
                          "'loans.principal:m' || l.member_id)")
        interest_acct = (f"(SELECT id FROM {t['Account']} WHERE code = "
                         "'income.loan_interest:m' || l.member_id)")
        db.execute_sql(
            f"INSERT INTO {t['Posting']} (entry_id, account_id, amount, commodity) "
            f"SELECT e.id, {principal_acct}, l.principal, ? FROM {t['Loan']} l "
            f"JOIN {t['JournalEntry']} e ON e.key = 'bench:loan:' || l.id "
            f"UNION ALL SELECT e.id, ?, -l.principal, ? FROM {t['Loan']} l "
            f"JOIN {t['JournalEntry']} e ON e.key = 'bench:loan:' || l.id",
            [cur, cash_id, cur])
        paid_entries = (f"FROM {t['LoanInstallment']} i JOIN {t['Loan']} l ON l.id = i.loan_id "
                        f"JOIN {t['JournalEntry']} e "
                        "ON e.key = 'bench:loanpay:' || l.id || ':' || i.number")
        db.execute_sql(
            f"INSERT INTO {t['Posting']} (entry_id, account_id, amount, commodity) "
            f"SELECT e.id, ?, i.principal_paid + i.interest_paid, ? {paid_entries} "
            f"UNION ALL SELECT e.id, {principal_acct}, -i.principal_paid, ? {paid_entries} "
            f"UNION ALL SELECT e.id, {interest_acct}, -i.interest_paid, ? {paid_entries}",
            [cash_id, cur, cur, cur])
        db.execute_sql(
            f"INSERT INTO {t['LoanPayment']} (loan_id, reference, method, effective_date, "
            "amount, penalty, interest, principal, overpayment, payoff, actor, entry_id, "
            "allocation, reversed_by, recorded_at) "
            "SELECT l.id, 'bench:pay:' || l.id || ':' || i.number, 'payroll', i.paid_on, "
            "i.principal_paid + i.interest_paid, 0, i.interest_paid, i.principal_paid, 0, 0, "
            f"'benchmark', e.id, '[]', NULL, ? {paid_entries}", [NOW])
        # touchpoints
        kinds, kind_params = values("k", ("phase", "info", "kind"), list(TOUCHPOINTS))
        db.execute_sql(
            f"WITH {kinds} INSERT INTO {t['Touchpoint']} (member_id, phase, info, kind, actor, "
            "at, payload, channel) SELECT m.id, k.phase, k.info, k.kind, 'benchmark', ?, '{}', "
            "'library' "
            f"FROM {t['Member']} m CROSS JOIN k ORDER BY m.id", [*kind_params, NOW])
        # December installments already reminded on their due day (offset 0)
        dec = DUE_DATES[8]
        reminded = (f"FROM {t['Loan']} l JOIN {t['Member']} m ON m.id = l.member_id "
                    "WHERE l.member_id % 6 = 0")
        db.execute_sql(
            f"INSERT INTO {t['OutboxMessage']} (uid, key, member_id, channel, recipient, "
            "subject, body, kind, essential, status, attempts, next_attempt_at, created_at) "
            "SELECT 'bench-' || l.id, 'remind:loan:' || l.id || ':inst:9:0', m.id, 'file', "
            "m.email, "
            "'Angsuran', 'Angsuran jatuh tempo', 'remind.loans.installment', 1, 'sent', 1, "
            f"?, ? {reminded}", [NOW, NOW])
        db.execute_sql(
            f"INSERT INTO {t['Reminder']} (key, item_key, kind, day_offset, due_on, run_on, "
            "member_id, recipient, channel, message_id, amount, commodity, actor, queued_at) "
            "SELECT o.key, 'loan:' || l.id || ':inst:9', 'loans.installment', 0, ?, ?, m.id, "
            "m.email, 'file', o.id, l.amount / 12 + l.amount / 100, ?, 'benchmark', ? "
            f"FROM {t['Loan']} l JOIN {t['Member']} m ON m.id = l.member_id "
            f"JOIN {t['OutboxMessage']} o ON o.key = 'remind:loan:' || l.id || ':inst:9:0' "
            "WHERE l.member_id % 6 = 0",
            [dec.isoformat(), dec.isoformat(), cur, NOW])
    actor = Actor.operator("benchmark")
    for title, audience in PROMOTIONS:
        promotions.add(crm, actor, title=title, body="Halo {{ member.name }}!",
                       audience=audience, starts_on=world.start, channels=["file"])


def koperasi_job(name: str, **kwargs):
    """``harness.job`` for a job running in the Koperasi world (shared per size)."""
    return harness.job(name, enabled=ENABLED, plugins=PLUGINS, prepare=prepare_koperasi,
                       **kwargs)


def check(what: str, got, expected) -> None:
    """Raise when a job's result is not what the world implies."""
    if got != expected:
        raise AssertionError(f"{what}: got {got}, expected {expected}")
