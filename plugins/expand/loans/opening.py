"""The ``pinjaman`` sheet of opening balances: running loans on the cut-over date.

One row per loan still running on the cut-over date (``dyncrm opening import``,
see :mod:`dyncrm.opening`): the member, the product, the original principal
(pokok awal), the outstanding principal (sisa pokok), the term, how many
installments are paid (angsuran ke-, or the remaining number), the disbursement
date and, when it differs from the product's today, the loan's own rate.

The schedule is rebuilt from the product's method: when the sheet's outstanding
principal equals what the schedule of the original principal leaves after the
paid installments, that schedule is used as it is (the loan is the same as one
disbursed and repaid in dyncrm).  Otherwise the remaining installments are
scheduled anew from the outstanding principal over the remaining months (flat:
the original interest per month; declining and annuity: interest on the
outstanding principal), the paid ones keep their interest and share the
principal repaid; the report names how many loans that was.

Each loan is written as a disbursed loan (rows of ``loan``, ``loan_installment``
and a history line) and one opening entry keyed ``opening:loan:<reference>``,
debiting the member's ``loans.principal`` with the outstanding principal against
``equity.opening`` on the cut-over date, owned by ``expand.loans``.  The
reference is the sheet's loan number, else ``OPENING-<member number>-<n>``; a
reference used before (another file with the same loans) is refused naming the row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import attrs

from dyncrm import inputs
from dyncrm.db import bulk
from dyncrm.ledger import EntrySpec
from dyncrm.money import parse_rate
from dyncrm.opening import (
    Column,
    OpeningContext,
    OpeningSheet,
    SheetRow,
    Total,
    duplicates,
    opening_account,
)
from dyncrm.values import Leg
from dyncrm_expand.loans.importing import _insert, _insert_returning
from dyncrm_expand.loans.models import Loan, LoanEvent, LoanInstallment
from dyncrm_expand.loans.queries import PLUGIN, money, settings
from dyncrm_expand.loans.schedule import Row, _equal_parts, due_dates

if TYPE_CHECKING:
    from dyncrm.app import CRM

KIND = "loans.opening_balance"
KEY = "opening:loan:{reference}"
METHOD = "opening"

COLUMNS = (
    Column("number", ("nomor anggota", "no anggota", "no. anggota", "member number",
                      "member no"), required=True,
           description="member number (in the anggota sheet or the register)"),
    Column("product", ("produk", "produk pinjaman", "jenis pinjaman", "loan product"),
           required=True, description="a configured loan product (its code)"),
    Column("amount", ("pokok awal", "plafon", "pokok pinjaman", "nilai pinjaman",
                      "original principal", "principal", "loan amount"), required=True,
           description="principal lent"),
    Column("outstanding", ("sisa pokok", "sisa pinjaman", "saldo pinjaman", "outstanding",
                           "outstanding principal"), required=True,
           description="principal still owed on the cut-over date"),
    Column("term", ("tenor", "jangka waktu", "lama angsuran", "jumlah angsuran"),
           required=True, description="number of monthly installments"),
    Column("paid", ("angsuran ke", "angsuran dibayar", "angsuran terbayar", "sudah dibayar",
                    "installments paid"),
           description="installments paid by the cut-over date (or give remaining)"),
    Column("remaining", ("sisa angsuran", "sisa tenor", "installments remaining"),
           description="installments still to pay (instead of paid)"),
    Column("disbursed_on", ("tanggal cair", "tgl cair", "tanggal pencairan", "disbursed",
                            "disbursement date"), required=True,
           description="disbursement date; due dates follow from it and the product's due day"),
    Column("rate", ("suku bunga", "bunga", "jasa", "jasa pinjaman", "interest rate"),
           description="the loan's rate in the product's rate unit, when not the product's"),
    Column("reference", ("nomor pinjaman", "no pinjaman", "no kontrak", "nomor kontrak",
                         "nomor akad", "loan number", "loan no"),
           description="the loan's number in the old books (default OPENING-<member>-<n>)"),
)


@attrs.frozen
class _Plan:
    row: SheetRow
    number: str
    product: str
    terms: object  # LoanProduct, the product's terms with the sheet's rate
    amount: int
    outstanding: int
    term: int
    paid: int
    disbursed_on: object
    reference: str
    rows: tuple[Row, ...]
    rebuilt: bool


def schedule_from(t, amount: int, outstanding: int, term: int, paid: int,
                  exponent: int) -> tuple[list[Row], bool]:
    """The loan's installments: the product's schedule of ``amount`` when it leaves
    ``outstanding`` after ``paid`` installments, else rebuilt (see the module
    docstring); and whether it was rebuilt."""
    full = t.schedule(amount, term, exponent)
    if sum(r.principal for r in full[paid:]) == outstanding:
        return full, False
    rest = t.schedule(outstanding, term - paid, exponent)
    if t.method == "flat":  # interest stays the rate on the original principal
        rest = [Row(r.number, r.principal, f.interest)
                for r, f in zip(rest, full[paid:], strict=True)]
    repaid = _equal_parts(amount - outstanding, paid) if paid else []
    rows = [Row(f.number, part, f.interest) for f, part in zip(full[:paid], repaid,
                                                                strict=True)]
    rows += [Row(paid + r.number, r.principal, r.interest) for r in rest]
    return rows, True


def _check(crm: CRM, ctx: OpeningContext, rows: list[SheetRow]) -> list[_Plan]:
    conf = settings(crm)
    exponent = crm.ledger.exponent(crm.currency)
    parsed = []
    for row in rows:
        before = len(ctx.problems)
        number = ctx.cell(row, "number", lambda v: inputs.identifier(v, field="number",
                                                                       max_length=32),
                          required=True)

        def known_product(text: str) -> str:
            from dyncrm.errors import ValidationError

            code = next((c for c in conf.products if c.lower() == text.strip().lower()
                         or conf.products[c].name.lower() == text.strip().lower()), None)
            if code is None:
                raise ValidationError(f"{text!r} is not a loan product; products: "
                                      f"{', '.join(conf.products) or '(none configured)'}")
            return code

        product = ctx.cell(row, "product", known_product, required=True)
        amount = ctx.amount(row, "amount", required=True, allow_zero=False)
        outstanding = ctx.amount(row, "outstanding", required=True)
        term = ctx.cell(row, "term", lambda v: inputs.parse_term(v, field="term"),
                        required=True)
        paid = ctx.cell(row, "paid", lambda v: inputs.parse_count(v, field="paid"))
        remaining = ctx.cell(row, "remaining", lambda v: inputs.parse_count(v,
                                                                            field="remaining"))
        disbursed = ctx.date(row, "disbursed_on", required=True)
        rate = ctx.cell(row, "rate", lambda v: parse_rate(v.replace("%", ""), field="rate"))
        reference = ctx.cell(row, "reference", lambda v: inputs.reference(v, max_length=100))
        if len(ctx.problems) > before:
            parsed.append((row, number, None))
            continue
        if paid is None and remaining is None:
            ctx.problem(row, "paid", "give the installments paid (angsuran ke-) or the "
                                     "installments remaining (sisa angsuran)")
        elif paid is not None and remaining is not None and paid + remaining != term:
            ctx.problem(row, "remaining", f"{paid} paid and {remaining} remaining do not "
                                          f"make the term of {term}")
        else:
            paid = paid if paid is not None else term - remaining
            if not 0 <= paid < term:
                ctx.problem(row, "paid" if "paid" in row.headers else "remaining",
                            f"{paid} of {term} installments paid is not a running loan")
            elif outstanding == 0:
                ctx.problem(row, "outstanding", "is zero: a repaid loan is no opening "
                                                "balance; leave the row out")
            elif outstanding > amount:
                ctx.problem(row, "outstanding", f"is more than the pokok awal "
                                                f"{crm.format_money(money(crm, amount))}")
            elif paid == 0 and outstanding != amount:
                ctx.problem(row, "outstanding", "differs from the pokok awal although no "
                                                "installment is paid (angsuran ke- 0)")
        if len(ctx.problems) > before:
            parsed.append((row, number, None))
            continue
        t = conf.product(product)
        if rate is not None and rate != t.rate:
            t = attrs.evolve(t, rate=rate)
        try:
            schedule, rebuilt = schedule_from(t, amount, outstanding, term, paid, exponent)
        except (ValueError, ArithmeticError) as exc:
            ctx.problem(row, "outstanding", f"no schedule can be made: {exc}")
            parsed.append((row, number, None))
            continue
        parsed.append((row, number, dict(product=product, terms=t, amount=amount,
                                         outstanding=outstanding, term=term, paid=paid,
                                         disbursed_on=disbursed, reference=reference,
                                         rows=tuple(schedule), rebuilt=rebuilt)))
    numbers = [n for _, n, _ in parsed if n is not None]
    known = ctx.known_members(numbers)
    stages = dict(bulk.select_in(crm.database, "SELECT number, stage FROM member WHERE "
                                               "number IN ({in})",
                                 [n for n in numbers if known.get(n) is not None], size=500))
    seen: dict[str, int] = defaultdict(int)
    for _, number, data in parsed:
        if number is not None and data is not None:
            seen[number] += 1
            if data["reference"] is None:
                data["reference"] = f"OPENING-{number}-{seen[number]}"
    duplicates(ctx, [(row, data["reference"]) for row, _, data in parsed if data],
               "reference", "loan number")
    refs = [data["reference"] for _, _, data in parsed if data]
    used = {r for (r,) in bulk.select_in(
        crm.database, "SELECT disbursement_reference FROM loan WHERE disbursement_reference "
                      "IN ({in})", refs, size=500)}
    k = bulk.quote(crm.database, "key")
    used |= {key.removeprefix("opening:loan:") for (key,) in bulk.select_in(
        crm.database, f"SELECT {k} FROM journal_entry WHERE {k} IN ({{in}})",
        [KEY.format(reference=r) for r in refs], size=500)}
    plan = []
    for row, number, data in parsed:
        if number is None:
            continue
        if number not in known:
            ctx.problem(row, "number", f"member {number} is neither in the anggota sheet nor "
                                       "in the register")
        elif stages.get(number, "active") != "active":
            ctx.problem(row, "number", f"member {number} is {stages[number]}; opening "
                                       "balances are for active members")
        elif data is not None and data["reference"] in used:
            ctx.problem(row, "reference" if "reference" in row.headers else "number",
                        f"loan {data['reference']} of member {number} is already in the "
                        "books (imported or disbursed before)")
        elif data is not None:
            plan.append(_Plan(row=row, number=number, **data))
            ctx.add_total("pinjaman", "pinjaman", 1)
            ctx.add_total("pinjaman", "pokok_awal", data["amount"])
            ctx.add_total("pinjaman", "sisa_pokok", data["outstanding"])
    rebuilt = sum(1 for p in plan if p.rebuilt)
    if rebuilt:
        ctx.notes.append(f"pinjaman: {rebuilt} loan(s) had a sisa pokok other than the "
                         "product's schedule leaves; their remaining installments were "
                         "scheduled from the sisa pokok")
    return plan


def _write(crm: CRM, ctx: OpeningContext, plan) -> None:
    if not plan:
        return
    ids = ctx.member_ids([p.number for p in plan])
    actor = ctx.actor.username
    now = crm.now()
    loan_rows = [{"member": ids[p.number], "product": p.product, "terms": p.terms.terms(),
                  "currency": crm.currency, "amount": p.amount, "principal": p.amount,
                  "term": p.term, "purpose": "", "stage": "disbursed", "reasons": [],
                  "applied_on": p.disbursed_on, "applied_by": actor,
                  "decided_on": p.disbursed_on, "decided_by": actor,
                  "decision_reason": "opening balance", "disbursed_on": p.disbursed_on,
                  "disbursement_method": METHOD, "disbursement_reference": p.reference,
                  "disbursed_by": actor, "created_at": now} for p in plan]
    loan_ids = _insert_returning(crm, Loan, loan_rows)
    installments, events, entries = [], [], []
    equity = opening_account(crm)
    accounts = crm.ledger.open_accounts("loans.principal", list(ids.values()), type="asset")
    for loan_id, p in zip(loan_ids, plan, strict=True):
        dates = due_dates(p.disbursed_on, p.term, p.terms.due_day)
        for r, due in zip(p.rows, dates, strict=True):
            paid = r.number <= p.paid
            installments.append({
                "loan": loan_id, "number": r.number, "due_on": due, "principal": r.principal,
                "interest": r.interest, "principal_paid": r.principal if paid else 0,
                "interest_paid": r.interest if paid else 0, "interest_waived": 0,
                "penalty_assessed": 0, "penalty_paid": 0, "penalty_periods": 0,
                "paid_on": min(due, ctx.as_of) if paid else None})
        events.append({"loan": loan_id, "action": "disburse", "stage": "disbursed",
                       "actor": actor, "reason": f"opening balance as of "
                                                 f"{ctx.as_of.isoformat()} ({p.row.file})",
                       "reasons": [], "override": "", "effective_date": ctx.as_of, "at": now})
        member_id = ids[p.number]
        entries.append(EntrySpec(
            legs=(Leg(accounts[member_id], money(crm, p.outstanding)),
                  Leg(equity, -money(crm, p.outstanding))),
            kind=KIND, actor=actor, key=KEY.format(reference=p.reference),
            memo=f"opening balance of loan {loan_id} ({p.reference}) as of "
                 f"{ctx.as_of.isoformat()}",
            on=ctx.as_of, member_id=member_id, owner=PLUGIN,
            meta={**ctx.meta, "loan": loan_id, "reference": p.reference}))
    _insert(crm, LoanInstallment, installments)
    _insert(crm, LoanEvent, events)
    crm.ledger.post_many(entries)


def _ledger_totals(crm: CRM, ctx: OpeningContext, plan) -> dict[str, int]:
    refs = [p.reference for p in plan]
    loans = bulk.select_in(crm.database, "SELECT id, principal FROM loan WHERE stage = "
                                         "'disbursed' AND disbursement_reference IN ({in})",
                           refs, size=500)
    ids = list(ctx.member_ids([p.number for p in plan]).values())
    outstanding = 0
    for start in range(0, len(ids), 500):
        found = crm.ledger.balances_by_member(["loans.principal"], as_of=ctx.as_of,
                                              member_ids=ids[start:start + 500])
        outstanding += sum(b.get("loans.principal", 0) for b in found.values())
    return {"pinjaman": len(loans), "pokok_awal": sum(int(p) for _, p in loans),
            "sisa_pokok": outstanding}


def opening_sheet() -> OpeningSheet:
    """The ``pinjaman`` sheet (hook ``dyncrm_opening_sheets``)."""
    return OpeningSheet(
        name="pinjaman", title="Running loans", plugin=PLUGIN, order=30,
        aliases=("loans", "loan", "saldo pinjaman"), columns=COLUMNS,
        totals=(Total("pinjaman", "loans", money=False,
                      synonyms=("loans", "loan count", "banyak pinjaman",
                                "jumlah rekening pinjaman")),
                Total("pokok_awal", "original principal",
                      synonyms=("total pokok awal", "plafon", "original principal")),
                Total("sisa_pokok", "outstanding principal",
                      synonyms=("total sisa pokok", "sisa pokok pinjaman", "outstanding",
                                "outstanding principal", "saldo pinjaman"))),
        check=_check, write=_write, ledger_totals=_ledger_totals)


__all__ = ["KIND", "opening_sheet", "schedule_from"]
