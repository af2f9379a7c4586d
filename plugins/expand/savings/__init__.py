"""expand.savings: simpanan pokok, wajib and sukarela on the core ledger.

Library API (what other plugins and deployments call)::

    deposit(crm, actor, member, product, amount, *, method, reference, on=None,
            proof=None, note="") -> DepositResult
    verify_deposit(crm, actor, deposit_id, *, confirm_duplicate_proof=False) -> DepositResult
    same_proof(crm, deposit_id) -> tuple[ProofUse, ...]   # other deposits, same proof file
    reject_deposit(crm, actor, deposit_id, reason) -> DepositResult
    proof_download(crm, deposit) -> (Path, headers) | None   # serve only this way
    withdraw(crm, actor, member, amount, *, reference, on=None, product="sukarela",
             method="cash") -> WithdrawalResult
    credit_sukarela(crm, actor, member_id, amount, *, reference, source_account,
                    memo="", on=None) -> SukarelaCredit
    debit_sukarela(crm, actor, member_id, amount, *, reference, target_account,
                   memo="", on=None) -> SukarelaDebit
    balance(crm, member_id, product, *, as_of=None) -> Money
    balances(crm, member_id, *, as_of=None) -> dict[str, Money]
    wajib_due(crm, member_id, month) -> Money
    wajib_arrears(crm, member_id, as_of) -> list[tuple[date, Money]]
    arrears_by_member(crm, as_of) -> dict[int, Money]
    balances_and_arrears(crm, as_of) -> dict[int, tuple[dict[str, int], int]]  # reports
    statement(crm, member_id, product, year=None) -> Statement
    wajib_paid_on_time(crm, year) -> frozenset[int]
    set_member_class(crm, actor, member, member_class, *, since=None) -> None

This package's ``__init__`` holds the plugin's hooks, withdrawals and credits; deposits
live in ``savings.deposits``, balances and arrears in ``savings.queries`` (the wajib
arithmetic in ``savings.wajib``), and everything public is importable from here.

Ledger: a member's savings are the liability accounts ``savings.pokok:m<id>``,
``savings.wajib:m<id>`` and ``savings.sukarela:m<id>``; cash deposits debit
``cash``, transfers and payroll remittances debit ``bank``.  Each posted
deposit is one entry of kind ``savings.deposit`` with key
``deposit:<reference>``; each withdrawal ``savings.withdrawal`` with key
``withdrawal:<reference>``.  Monthly interest on sukarela (``savings.interest``,
key ``savings.interest:<YYYY-MM>:<member id>``) is in ``savings.interest``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from dyncrm import hookimpl
from dyncrm.dates import as_date
from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.i18n import N_
from dyncrm.lifecycle import member_label
from dyncrm.money import Money, to_minor
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, Leg, MemberInfo, Permission, Product
from dyncrm_expand.savings.chart import dyncrm_chart_accounts  # noqa: F401  (hook)
from dyncrm_expand.savings.common import (
    PLUGIN,
    can_view,
    canonical_product,
    check_reference,
    date_on,
    from_units,
    member_row,
    money_account,
    notify,
    parse_amount,
    product_name,
    require_active,
    savings_account,
    settings,
    to_units,
)
from dyncrm_expand.savings.config import PRODUCTS, SavingsSettings
from dyncrm_expand.savings.deposits import (
    DEPOSIT_STAGES,
    DuplicateProof,
    deposit,
    get_deposit,
    pending_deposits,
    pending_objection,
    proof_download,
    proof_path,
    reject_deposit,
    same_proof,
    same_proofs,
    verify_deposit,
)
from dyncrm_expand.savings.models import MODELS, SavingsMemberClass, SavingsObligation
from dyncrm_expand.savings.queries import (
    arrears_by_member,
    balance,
    balances,
    balances_and_arrears,
    due_items,
    monthly_wajib,
    statement,
    wajib_arrears,
    wajib_due,
    wajib_paid_on_time,
)
from dyncrm_expand.savings.values import (
    DepositResult,
    ProofUse,
    Statement,
    StatementLine,
    SukarelaCredit,
    SukarelaDebit,
    WithdrawalResult,
)
from dyncrm_expand.savings.wajib import month_label, month_start

if TYPE_CHECKING:
    from dyncrm.app import CRM

__all__ = [
    "DEPOSIT_STAGES",
    "PLUGIN",
    "DepositResult",
    "DuplicateProof",
    "ProofUse",
    "Statement",
    "StatementLine",
    "SukarelaCredit",
    "SukarelaDebit",
    "WithdrawalResult",
    "arrears_by_member",
    "as_date",
    "balance",
    "balances",
    "balances_and_arrears",
    "can_view",
    "canonical_product",
    "credit_sukarela",
    "debit_sukarela",
    "deposit",
    "due_items",
    "get_deposit",
    "monthly_wajib",
    "pending_deposits",
    "pending_objection",
    "product_name",
    "proof_download",
    "proof_path",
    "reject_deposit",
    "same_proof",
    "same_proofs",
    "set_member_class",
    "settings",
    "statement",
    "verify_deposit",
    "wajib_arrears",
    "wajib_due",
    "wajib_paid_on_time",
    "withdraw",
]


# ---------------------------------------------------------------------------
# withdrawals and credits
# ---------------------------------------------------------------------------


def withdraw(crm, actor: Actor, member: MemberInfo | int | str,
             amount: Money | str | int | Decimal, *, reference: str,
             on: dt.date | None = None, product: str = "sukarela",
             method: str = "cash") -> WithdrawalResult:
    """Pay out sukarela savings; never below zero or the product's minimum balance.

    Pokok and wajib are refused: they are refunded only when the member
    leaves, net of debts (see ``expand.deactivation``).  ``reference`` makes a
    repeat harmless.  Needs ``savings.withdraw``; ``method`` is ``cash`` or
    ``transfer``.
    """
    canonical = canonical_product(crm, product)
    row = member_row(crm, member)
    if canonical != "sukarela":
        raise ValidationError(
            f"{product_name(crm, canonical)} cannot be withdrawn while {member_label(row)} is "
            "a member; it is refunded, net of debts, when the member leaves "
            "(dyncrm leave request)", field="product")
    if method not in ("cash", "transfer"):
        raise ValidationError("a withdrawal is paid in cash or by transfer", field="method")
    reference = check_reference(reference)
    value = parse_amount(crm, amount)
    key = f"withdrawal:{reference}"
    crm.require(actor, "savings.withdraw")
    on = date_on(crm, on)
    with crm.action("savings.withdrawal", actor):
        code = savings_account(crm, "sukarela", row.id)
        # check-then-write: lock the account, then read the key and the balance
        crm.ledger.lock([code])
        previous = crm.ledger.entry_by_key(key)
        if previous is not None:
            return _withdrawal_replay(crm, previous, row, value, reference, method)
        require_active(crm.member_row(row.id), N_("withdraw savings"))
        after = _keep_floor(crm, row, code, value, N_("can be withdrawn")) - value
        posted = crm.ledger.post(
            [Leg(code, value), Leg(money_account(crm, method), -value)],
            kind="savings.withdrawal", actor=actor.username, key=key,
            memo=f"{product_name(crm, 'sukarela')} withdrawal ({method}) ref {reference}",
            on=on, member_id=row.id,
            meta={"amount": str(value.amount), "method": method,
                  "balance_after_units": to_units(crm, after)})
        result = WithdrawalResult(entry_id=posted.entry.id, member_id=row.id,
                                  product="sukarela", amount=value, method=method,
                                  reference=reference, on=on, balance_after=after)
        crm.touch(row.id, "expand", "by", "savings.withdrawal", actor,
                  {"entry": posted.entry.id, "amount": str(value.amount),
                   "reference": reference})
        notify(crm, row.id, "savings/withdrawal.txt", kind="savings.withdrawal",
                key=f"savings.withdrawal:{posted.entry.id}", withdrawal=result,
                product_name=product_name(crm, "sukarela"))
    return result


def _withdrawal_replay(crm, previous, row, value: Money, reference: str,
                       method: str) -> WithdrawalResult:
    """The withdrawal already posted under ``reference``, or a refusal if it differs."""
    if (previous.member_id != row.id
            or Decimal(str(previous.meta.get("amount", "-1"))) != value.amount):
        raise DuplicateError(f"reference {reference!r} was already used for another "
                             f"withdrawal (entry {previous.id}); use a new reference",
                             field="reference")
    return WithdrawalResult(
        entry_id=previous.id, member_id=row.id, product="sukarela", amount=value,
        method=previous.meta.get("method", method), reference=reference,
        on=previous.effective_date,
        balance_after=from_units(crm, int(previous.meta.get("balance_after_units", 0))),
        replayed=True)


def credit_sukarela(crm, actor: Actor, member_id: int, amount: Money | str | int | Decimal,
                    *, reference: str, source_account: str, memo: str = "",
                    on: dt.date | None = None) -> SukarelaCredit:
    """Credit a member's sukarela savings from ``source_account`` (debited).

    For other plugins: a loan overpayment, an SHU share kept as savings.
    Idempotent by ``reference`` (ledger key ``sukarela:<reference>``); runs in
    its own ``crm.action`` (a savepoint inside the caller's).  Needs
    ``savings.deposit``; the member must be active.  ``on`` dates the entry
    (default today; never in the future).
    """
    reference = check_reference(reference)
    value = parse_amount(crm, amount)
    key = f"sukarela:{reference}"
    crm.require(actor, "savings.deposit")
    on = date_on(crm, on)
    crm.member_row(member_id)  # NotFoundError for an unknown member
    with crm.action("savings.credit_sukarela", actor):
        code = savings_account(crm, "sukarela", member_id)
        crm.ledger.lock([code])  # a concurrent credit of the same reference waits, then replays
        previous = crm.ledger.entry_by_key(key)
        if previous is not None:
            if previous.member_id != member_id:
                raise DuplicateError(f"reference {reference!r} was already used for another "
                                     f"member (entry {previous.id})", field="reference")
            return SukarelaCredit(entry_id=previous.id, member_id=member_id, amount=value,
                                  reference=reference, replayed=True)
        require_active(crm.member_row(member_id), N_("credit sukarela savings"))
        posted = crm.ledger.post(
            [Leg(source_account, value), Leg(code, -value)],
            kind="savings.sukarela_credit", actor=actor.username, key=key,
            memo=memo or f"credited to {product_name(crm, 'sukarela')} ref {reference}",
            on=on, member_id=member_id, meta={"source": source_account})
        crm.touch(member_id, "expand", "for", "savings.sukarela_credit", actor,
                  {"entry": posted.entry.id, "amount": str(value.amount),
                   "source": source_account})
    return SukarelaCredit(entry_id=posted.entry.id, member_id=member_id, amount=value,
                          reference=reference)


def debit_sukarela(crm, actor: Actor, member_id: int, amount: Money | str | int | Decimal,
                   *, reference: str, target_account: str, memo: str = "",
                   on: dt.date | None = None) -> SukarelaDebit:
    """Move sukarela savings of a member to ``target_account`` (credited), by the savings rules.

    The counterpart of :func:`credit_sukarela` for other plugins: fund a term
    deposit or pay a fee from sukarela.  The same rules as a withdrawal hold:
    the member must be active, and the balance may not fall below zero or the
    product's ``minimum_balance``.  The member's sukarela account is locked
    (``crm.ledger.lock``) before the key and the balance are read, so two
    programs debiting at once cannot overdraw it.  Idempotent by ``reference``
    (ledger key ``sukarela_debit:<reference>``): the same reference and amount
    again returns the first result with ``replayed=True``; the same reference
    with another member or amount is a :class:`~dyncrm.errors.DuplicateError`.
    Runs in its own ``crm.action`` (a savepoint inside the caller's), needs
    ``savings.withdraw``, and a refusal writes nothing.  ``on`` dates the entry
    (default today; never in the future).
    """
    reference = check_reference(reference)
    value = parse_amount(crm, amount)
    key = f"sukarela_debit:{reference}"
    crm.require(actor, "savings.withdraw")
    on = date_on(crm, on)
    row = crm.member_row(member_id)  # NotFoundError for an unknown member
    with crm.action("savings.debit_sukarela", actor):
        code = savings_account(crm, "sukarela", member_id)
        # check-then-write: lock the account, then read the key and the balance
        crm.ledger.lock([code])
        previous = crm.ledger.entry_by_key(key)
        if previous is not None:
            if (previous.member_id != member_id
                    or Decimal(str(previous.meta.get("amount", "-1"))) != value.amount):
                raise DuplicateError(f"reference {reference!r} was already used for another "
                                     f"debit (entry {previous.id}); use a new reference",
                                     field="reference")
            return SukarelaDebit(
                entry_id=previous.id, member_id=member_id, amount=value, reference=reference,
                target_account=previous.meta.get("target", target_account),
                balance_after=from_units(crm, int(previous.meta.get("balance_after_units", 0))),
                replayed=True)
        require_active(crm.member_row(member_id), N_("debit sukarela savings"))
        after = _keep_floor(crm, row, code, value, N_("can be debited")) - value
        posted = crm.ledger.post(
            [Leg(code, value), Leg(target_account, -value)],
            kind="savings.sukarela_debit", actor=actor.username, key=key,
            memo=memo or f"debited from {product_name(crm, 'sukarela')} ref {reference}",
            on=on, member_id=member_id,
            meta={"amount": str(value.amount), "target": target_account,
                  "balance_after_units": to_units(crm, after)})
        crm.touch(member_id, "expand", "for", "savings.sukarela_debit", actor,
                  {"entry": posted.entry.id, "amount": str(value.amount),
                   "target": target_account})
    return SukarelaDebit(entry_id=posted.entry.id, member_id=member_id, amount=value,
                         reference=reference, target_account=target_account,
                         balance_after=after)


# ---------------------------------------------------------------------------
# member classes (wajib amount by grade)
# ---------------------------------------------------------------------------


def set_member_class(crm, actor: Actor, member: MemberInfo | int | str, member_class: str,
                     *, since: dt.date | None = None) -> None:
    """Set the class (grade) that fixes a member's wajib amount, from a month on.

    Months before ``since`` keep the amount of the class they had.  Needs
    ``savings.manage``.
    """
    crm.require(actor, "savings.manage")
    row = member_row(crm, member)
    member_class = (member_class or "").strip()
    known = settings(crm).wajib.by_class
    if not member_class:
        raise ValidationError("give a class", field="class")
    if known and member_class not in known:
        raise ValidationError(f"unknown class {member_class!r}; classes: "
                              f"{', '.join(sorted(known))}", field="class")
    month = month_start(since or crm.today())
    with crm.action("savings.set_class", actor):
        existing = SavingsMemberClass.get_or_none(SavingsMemberClass.member == row.id,
                                                  SavingsMemberClass.since == month)
        if existing is not None:
            existing.member_class = member_class
            existing.set_by = actor.username
            existing.set_at = crm.now()
            existing.save()
        else:
            SavingsMemberClass.create(member=row.id, member_class=member_class, since=month,
                                      set_by=actor.username, set_at=crm.now())
        crm.touch(row.id, "expand", "of", "savings.class", actor,
                  {"class": member_class, "since": month.isoformat()})


def _record_obligations(crm, member_id: int, on: dt.date) -> None:
    """Pokok owed and the wajib period from joining; idempotent."""
    if SavingsObligation.get_or_none(SavingsObligation.member == member_id,
                                     SavingsObligation.product == "pokok") is None:
        units = to_minor(Money.of(settings(crm).pokok.amount, crm.currency),
                         crm.ledger.exponent(crm.currency))
        SavingsObligation.create(member=member_id, product="pokok", amount=units, start_on=on)
    if SavingsObligation.get_or_none(SavingsObligation.member == member_id,
                                     SavingsObligation.product == "wajib") is None:
        SavingsObligation.create(member=member_id, product="wajib", amount=0, start_on=on)



# ---------------------------------------------------------------------------
# hooks
# ---------------------------------------------------------------------------


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_expand.savings.web:dyncrm_web",
    settings=SavingsSettings,
    models=MODELS,
    migrations="migrations",
    templates="templates",
    commands="dyncrm_expand.savings.cli:register",
    permissions=[
        Permission("savings.deposit", frozenset({"cashier", "treasurer"}),
                   "record savings deposits (cash, transfer, payroll)"),
        Permission("savings.verify", frozenset({"cashier", "treasurer"}),
                   "verify or reject transfers recorded by someone else"),
        Permission("savings.withdraw", frozenset({"cashier", "treasurer"}),
                   "pay out simpanan sukarela"),
        Permission("savings.view", frozenset({"admin", "secretary", "treasurer", "cashier",
                                              "credit_committee"}),
                   "see any member's savings (members always see their own)"),
        Permission("savings.manage", frozenset({"admin", "treasurer"}),
                   "set members' classes for the simpanan wajib amount"),
        Permission("savings.correct", frozenset({"admin", "treasurer"}),
                   "correct a posted deposit, withdrawal or sukarela credit/debit "
                   "(dyncrm savings reverse)"),
        Permission("savings.interest", frozenset({"admin", "treasurer", "system"}),
                   "post the monthly interest on simpanan sukarela (also the scheduled job)"),
    ],
)
spec.export(globals())


@hookimpl
def dyncrm_receipt_kinds(crm):
    """Deposits (cash, payroll, verified transfers) and withdrawals get a receipt."""
    from dyncrm.receipts import ReceiptKind

    return [
        ReceiptKind("savings.deposit", "Savings deposit receipt", ("savings.deposit",), "in"),
        ReceiptKind("savings.withdrawal", "Savings withdrawal receipt",
                    ("savings.withdrawal",), "out"),
        ReceiptKind("savings.sukarela_credit", "Credit to voluntary savings",
                    ("savings.sukarela_credit",), "internal"),
        ReceiptKind("savings.sukarela_debit", "Debit from voluntary savings",
                    ("savings.sukarela_debit",), "internal"),
    ]


@hookimpl
def dyncrm_ledger_owners():
    """Deposits, withdrawals and sukarela credits/debits are corrected by ``savings reverse``."""
    from dyncrm_expand.savings.corrections import OWNERS

    return OWNERS


@hookimpl
def dyncrm_opening_sheets(crm):
    """The ``simpanan`` sheet of ``dyncrm opening import``: balances on the cut-over date."""
    from dyncrm_expand.savings.opening import opening_sheet

    return [opening_sheet(crm)]


@hookimpl
def dyncrm_scheduled_jobs(crm):
    """Post last month's interest on simpanan sukarela once the month is over."""
    from dyncrm.values import ScheduledJob
    from dyncrm_expand.savings.interest import scheduled_job

    return [ScheduledJob("savings.interest", scheduled_job,
                         "interest on simpanan sukarela of the month before, PPh withheld "
                         "(posted once; nothing when no rate is set)")]


@hookimpl
def dyncrm_acquire_member_joined(crm, member, actor):
    """Record the simpanan pokok obligation (and the start of wajib) for a new member."""
    _record_obligations(crm, member.id, member.joined_on or crm.today())


@hookimpl
def dyncrm_member_stage_changed(crm, change):
    """Open obligations on joining; end the wajib period on leaving, reopen on cancel."""
    member_id = change.member.id
    if change.old_stage == "applicant" and change.new_stage == "active":
        _record_obligations(crm, member_id, change.member.joined_on or change.on
                            or crm.today())
    elif change.new_stage == "leaving":
        (SavingsObligation.update(end_on=change.on or crm.today())
         .where(SavingsObligation.member == member_id, SavingsObligation.product == "wajib")
         .execute())
    elif change.old_stage == "leaving" and change.new_stage == "active":
        (SavingsObligation.update(end_on=None)
         .where(SavingsObligation.member == member_id, SavingsObligation.product == "wajib")
         .execute())


@hookimpl
def dyncrm_stage_change_objections(crm, change):
    """A member with transfers waiting for verification cannot start leaving."""
    if change.new_stage == "leaving":
        reason = pending_objection(crm, change.member.id)
        return [reason] if reason else None
    return None


@hookimpl
def dyncrm_acquire_products(crm):
    cfg = settings(crm)
    fmt = crm.format_money
    cur = crm.currency
    return [
        Product(cfg.pokok.code, cfg.pokok.name, "savings",
                f"paid once on joining: {fmt(Money.of(cfg.pokok.amount, cur))}", PLUGIN),
        Product(cfg.wajib.code, cfg.wajib.name, "savings",
                f"monthly: {fmt(Money.of(cfg.wajib.amount, cur))}"
                + (" (by class)" if cfg.wajib.by_class else ""), PLUGIN),
        Product(cfg.sukarela.code, cfg.sukarela.name, "savings",
                "any amount, any time; withdrawable", PLUGIN),
    ]


@hookimpl
def dyncrm_member_details(crm, member):
    if member.stage == "applicant":
        return None
    found = balances(crm, member.id)
    details = {product_name(crm, p): crm.format_money(found[p]) for p in PRODUCTS}
    if member.stage == "active":
        arrears = wajib_arrears(crm, member.id, crm.today())
        if arrears:
            total = sum((m for _, m in arrears), Money.zero(crm.currency))
            details[N_("{product} arrears").format(product=product_name(crm, "wajib"))] = (
                N_("{amount} ({count} month(s))").format(amount=crm.format_money(total),
                                                         count=len(arrears)))
    return details


@hookimpl
def dyncrm_retain_due_items(crm, on):
    return due_items(crm, on)


@hookimpl
def dyncrm_expand_monthly_deductions(crm, member_id, month):
    """The month's simpanan wajib, for the take-home-pay cap and the payroll list."""
    amount = monthly_wajib(crm, member_id, month)
    if amount is None:
        return None
    return [(f"{product_name(crm, 'wajib')} {month_label(month_start(month))}", amount)]


@hookimpl
def dyncrm_expand_settlement_lines(crm, member, on):
    """+pokok, +wajib, +sukarela balances and −wajib arrears of a leaving member."""
    from dyncrm_expand.deactivation import SettlementLine

    cfg = settings(crm)
    found = balances(crm, member.id, as_of=on)
    lines = [SettlementLine(code=f"savings.{p}", label=product_name(crm, p), amount=found[p],
                            account=f"savings.{p}:m{member.id}", plugin=PLUGIN)
             for p in PRODUCTS]
    if cfg.deduct_arrears_on_leaving:
        arrears = wajib_arrears(crm, member.id, on)
        if arrears:
            total = sum((m for _, m in arrears), Money.zero(crm.currency))
            first, last = month_label(arrears[0][0]), month_label(arrears[-1][0])
            months = first if first == last else f"{first} to {last}"
            account = crm.ledger.open_account(cfg.arrears_account,
                                              type=_account_type(cfg.arrears_account))
            lines.append(SettlementLine(
                code="savings.wajib_arrears",
                label=f"{product_name(crm, 'wajib')} arrears ({months})",
                amount=-total, account=account, plugin=PLUGIN, capped=True))
    return lines


def _account_type(kind: str) -> str:
    head = kind.split(".", 1)[0]
    return {"equity": "equity", "income": "income", "expense": "expense",
            "payable": "liability", "savings": "liability"}.get(head, "asset")


def _keep_floor(crm: CRM, row, code: str, value: Money, verb: str) -> Money:
    """The sukarela balance of ``code``, refused unless taking ``value`` keeps the minimum.

    Call it after ``crm.ledger.lock([code])``: the balance it reads is then final.
    """
    current = crm.ledger.balance(code)
    minimum = Money.of(settings(crm).sukarela.minimum_balance, crm.currency)
    after = current - value
    if after < minimum or after.is_negative():
        available = current - minimum if current > minimum else Money.zero(crm.currency)
        # verb: a message id ("can be withdrawn"), translated inside the sentence
        if minimum.amount > 0:
            raise ValidationError(
                f"{member_label(row)} has {crm.format_money(current)} in "
                f"{product_name(crm, 'sukarela')} and must keep at least "
                f"{crm.format_money(minimum)}; at most {crm.format_money(available)} {verb}",
                field="amount")
        raise ValidationError(
            f"{member_label(row)} has {crm.format_money(current)} in "
            f"{product_name(crm, 'sukarela')}; at most {crm.format_money(available)} {verb}",
            field="amount")
    return current
from dyncrm_expand.savings.selfservice import deposit_own_transfer, deposits_of, pending_transfers  # noqa: E402, F401
from dyncrm_expand.savings.withdrawal_requests import (  # noqa: E402, F401
    get_withdrawal_request,
    pay_withdrawal_request,
    refuse_withdrawal_request,
    request_withdrawal,
    withdrawal_requests,
)
