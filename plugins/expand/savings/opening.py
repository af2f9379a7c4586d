"""The ``simpanan`` sheet of opening balances: members' savings on the cut-over date.

One row per member: the member number and the balance of simpanan pokok, wajib
and sukarela on the cut-over date (``dyncrm opening import``, see
:mod:`dyncrm.opening`).  Each member with a balance gets one opening entry,
keyed ``opening:savings:<member number>``, crediting their savings accounts
against ``equity.opening`` on the cut-over date, all through one
``crm.ledger.post_many``.  A member who has opening savings already (from
another file) is refused naming the row, as are unknown members, members who
are not active, negative amounts and a member twice.

Members the ``anggota`` sheet brings get their savings obligations as joining
members do (:func:`~dyncrm_expand.savings.enrolment.open_obligations`): pokok
owed once and simpanan wajib from the month they joined.  Their pokok obligation
is the pokok they had paid when it is above zero (an old member paid the pokok
of their day), else the configured amount.  Simpanan wajib stays derived from
the ledger: whatever the wajib balance does not cover of the months since
joining shows as arrears, and the report says how many members that is.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from dyncrm import inputs
from dyncrm.db import bulk
from dyncrm.ledger import EntrySpec
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
from dyncrm_expand.savings.common import PLUGIN, calculator, from_units, product_name, settings
from dyncrm_expand.savings.config import PRODUCTS
from dyncrm_expand.savings.enrolment import open_obligations
from dyncrm_expand.savings.models import SavingsObligation
from dyncrm_expand.savings.wajib import load_states

if TYPE_CHECKING:
    from dyncrm.app import CRM

KIND = "savings.opening_balance"
KEY = "opening:savings:{number}"

#: Headers each product's balance goes by (besides its configured code and name).
HEADERS = {
    "pokok": ("simpanan pokok", "saldo pokok", "saldo simpanan pokok", "share capital"),
    "wajib": ("simpanan wajib", "saldo wajib", "saldo simpanan wajib", "mandatory savings"),
    "sukarela": ("simpanan sukarela", "saldo sukarela", "simpanan manasuka", "manasuka",
                 "saldo simpanan sukarela", "voluntary savings", "voluntary"),
}


def columns(crm: CRM) -> tuple[Column, ...]:
    """The sheet's columns; the products' configured codes and names are headers too."""
    conf = settings(crm)
    return (
        Column("number", ("nomor anggota", "no anggota", "no. anggota", "member number",
                          "member no", "nomor"), required=True,
               description="member number (in the anggota sheet or the register)"),
        *(Column(p, (*HEADERS[p], conf.product(p).code, conf.product(p).name),
                 description=f"balance of {conf.product(p).name} on the cut-over date")
          for p in PRODUCTS),
    )


def _check(crm: CRM, ctx: OpeningContext, rows: list[SheetRow]) -> list[tuple[SheetRow, str,
                                                                                dict]]:
    if rows and not any(p in rows[0].headers for p in PRODUCTS):
        ctx.problem(rows[0], None, "the sheet has no balance column (pokok, wajib or "
                                   "sukarela)")
        return []
    parsed = []
    for row in rows:
        before = len(ctx.problems)
        number = ctx.cell(row, "number", lambda v: inputs.identifier(v, field="number",
                                                                       max_length=32),
                          required=True)
        amounts = {p: ctx.amount(row, p) for p in PRODUCTS}
        parsed.append((row, number, amounts, len(ctx.problems) == before))
    duplicates(ctx, [(row, number) for row, number, _, _ in parsed], "number", "member")
    numbers = [n for _, n, _, _ in parsed if n is not None]
    known = ctx.known_members(numbers)
    existing = [n for n in numbers if known.get(n) is not None]
    stages = dict(bulk.select_in(crm.database, "SELECT number, stage FROM member WHERE "
                                               "number IN ({in})", existing, size=500))
    keys = {KEY.format(number=n): n for n in numbers}
    k = bulk.quote(crm.database, "key")
    taken = {keys[key]: (entry, day) for key, entry, day in bulk.select_in(
        crm.database, f"SELECT {k}, id, effective_date FROM journal_entry WHERE {k} IN ({{in}})",
        list(keys), size=500)}
    plan = []
    for row, number, amounts, ok in parsed:
        if number is None:
            continue
        if number not in known:
            ctx.problem(row, "number", f"member {number} is neither in the anggota sheet nor "
                                       "in the register")
            continue
        if stages.get(number, "active") != "active":
            ctx.problem(row, "number", f"member {number} is {stages[number]}; opening "
                                       "balances are for active members")
            continue
        if number in taken:
            entry, day = taken[number]
            ctx.problem(row, "number", f"member {number} already has opening savings balances "
                                       f"(entry {entry} of {day}); correct them with the "
                                       "savings commands instead of importing them again")
            continue
        if ok:
            for p in PRODUCTS:
                ctx.add_total("simpanan", p, amounts[p])
            plan.append((row, number, amounts))
    return plan


def _write(crm: CRM, ctx: OpeningContext, plan) -> None:
    plan = plan or []
    if ctx.new_members:
        open_obligations(crm, ctx.new_members)
    ids = ctx.member_ids([number for _, number, _ in plan])
    _pokok_as_paid(crm, ctx, {ids[n]: a["pokok"] for _, n, a in plan
                              if ids[n] in ctx.new_members and a["pokok"] > 0})
    with_balance = [(ids[n], n, a) for _, n, a in plan if any(a.values())]
    if not with_balance:
        return
    equity = opening_account(crm)
    member_ids = [m for m, _, _ in with_balance]
    accounts = {p: crm.ledger.open_accounts(f"savings.{p}", member_ids, type="liability",
                                            name=f"{product_name(crm, p)} m{{member_id}}")
                for p in PRODUCTS}
    meta = ctx.meta
    entries = []
    for member_id, number, amounts in with_balance:
        legs = [Leg(equity, from_units(crm, sum(amounts.values())))]
        legs += [Leg(accounts[p][member_id], -from_units(crm, amounts[p]))
                 for p in PRODUCTS if amounts[p]]
        entries.append(EntrySpec(
            legs=legs, kind=KIND, actor=ctx.actor.username, key=KEY.format(number=number),
            memo=f"opening savings balance of {number} as of {ctx.as_of.isoformat()}",
            on=ctx.as_of, member_id=member_id,
            meta={**meta, "products": [p for p in PRODUCTS if amounts[p]]}))
    crm.ledger.post_many(entries)


def _pokok_as_paid(crm: CRM, ctx: OpeningContext, paid: dict[int, int]) -> None:
    """Set the pokok obligation of new members to the pokok they had paid (one
    ``UPDATE`` per distinct amount)."""
    by_amount: dict[int, list[int]] = defaultdict(list)
    for member_id, units in paid.items():
        by_amount[units].append(member_id)
    for units, members in by_amount.items():
        for start in range(0, len(members), 500):
            (SavingsObligation.update(amount=units)
             .where(SavingsObligation.product == "pokok",
                    SavingsObligation.member.in_(members[start:start + 500])).execute())


def _ledger_totals(crm: CRM, ctx: OpeningContext, plan) -> dict[str, int]:
    ids = list(ctx.member_ids([number for _, number, _ in plan or []]).values())
    totals = dict.fromkeys(PRODUCTS, 0)
    for start in range(0, len(ids), 500):
        found = crm.ledger.balances_by_member([f"savings.{p}" for p in PRODUCTS],
                                              as_of=ctx.as_of, member_ids=ids[start:start + 500])
        for balances in found.values():
            for p in PRODUCTS:
                totals[p] += balances.get(f"savings.{p}", 0)
    _wajib_note(crm, ctx, ids)
    return totals


def _wajib_note(crm: CRM, ctx: OpeningContext, ids: list[int]) -> None:
    """Say how many imported members' wajib balance does not cover the months since
    they joined (their arrears on the cut-over date)."""
    if not ids:
        return
    calc = calculator(crm)
    short, owed = 0, 0
    for start in range(0, len(ids), 500):
        states = load_states(calc, member_ids=ids[start:start + 500], as_of=ctx.as_of)
        for state in states.values():
            units = calc.arrears_units(state, ctx.as_of)
            if units:
                short, owed = short + 1, owed + units
    if short:
        ctx.notes.append(f"simpanan wajib: {short} member(s) owe "
                         f"{crm.format_money(from_units(crm, owed))} for months since joining "
                         f"that their balance on {ctx.as_of.isoformat()} does not cover "
                         "(arrears from the cut-over date on)")


def opening_sheet(crm: CRM) -> OpeningSheet:
    """The ``simpanan`` sheet (hook ``dyncrm_opening_sheets``)."""
    conf = settings(crm)
    return OpeningSheet(
        name="simpanan", title="Savings balances", plugin=PLUGIN, order=20,
        aliases=("savings", "saldo simpanan"), columns=columns(crm),
        totals=tuple(Total(p, conf.product(p).name, synonyms=(
            HEADERS[p][0], f"total {p}", f"total {HEADERS[p][0]}", conf.product(p).code,
            conf.product(p).name)) for p in PRODUCTS),
        check=_check, write=_write, ledger_totals=_ledger_totals)


__all__ = ["KIND", "opening_sheet"]
