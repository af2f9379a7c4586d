"""The SHU actions: enter the year's amount, compute a draft, approve, post.

The life of a fiscal year's SHU::

    enter (treasurer) ──► compute (drafts, anyone on staff, as often as wanted)
          └──► approve (treasurer + chair, two people, after the RAT) ──► post (once)

``enter`` records the year's SHU: once the year is closed in the books
(``dyncrm books close --year``) it is the year's result, moved from
``equity.year_result`` to ``equity.shu_undistributed`` (dated the day it is
entered); another amount is an override that needs a reason, and so is any
amount for a year not closed on a deployment that closes its books (see
:mod:`koperasi_xyz.shu.books`); a year not closed is posted from
``equity.income_summary``, dated 31 December, as before.
``approve`` stores the computed distribution as a snapshot; from then on the
year's figures come from the snapshot only and are never computed from live
data again.  ``post`` moves ``equity.shu_undistributed`` to each
member (simpanan sukarela, or ``payable.shu`` for a cash payout) and the pools
to ``equity.reserve`` and ``equity.fund.<name>``, exactly once.  PPh withheld
from a share (``pph_rate`` above ``pph_threshold``) goes to
``payable.tax.pph_shu``; the member receives the net share.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from typing import TYPE_CHECKING

import attrs

from dyncrm.db import bulk
from dyncrm.errors import NotFoundError, PermissionDenied, ValidationError
from dyncrm.gc_pause import gc_paused
from dyncrm.ledger import EntrySpec
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.output import local_day
from dyncrm.values import Actor, Leg

from ..fmt import rupiah_texts
from ..models import ShuApproval, ShuYear
from .bases import gather_bases, year_bounds
from .calc import Distribution, compute_distribution, distribution_from_dict, distribution_to_dict
from .rules import PLUGIN, RESERVE, Rules, ShuSettings, resolve_rules

if TYPE_CHECKING:
    from dyncrm.app import CRM

UNDISTRIBUTED = "equity.shu_undistributed"
INCOME_SUMMARY = "equity.income_summary"
RESERVE_ACCOUNT = "equity.reserve"
#: PPh withheld from the members' shares, owed to the tax office until remitted
TAX_ACCOUNT = "payable.tax.pph_shu"
CAPACITIES = {"bendahara": "the treasurer (bendahara)", "ketua": "the chair (ketua)"}


@attrs.frozen
class EnterResult:
    """What ``enter`` did: the amount now recorded and whether it was already so."""

    year: int
    amount: Money
    replayed: bool
    replaced: Money | None = None


@attrs.frozen
class Draft:
    """A computed distribution with the rules it used; ``locked`` when from the snapshot."""

    rules: dict
    distribution: Distribution
    currency: str
    locked: bool = False
    status: str = "draft"
    #: where the SHU amount came from: books, override, typed (entered before closing), what-if
    source: str = ""


@attrs.frozen
class ApproveResult:
    """One approval: in which capacity, and whether the year is now approved."""

    year: int
    capacity: str
    approved: bool
    waiting_for: str | None
    superseded: tuple[str, ...] = ()


@attrs.frozen
class PostOutcome:
    """What ``post`` did (or, replayed, had done)."""

    year: int
    replayed: bool
    members: int
    members_total: int
    pools_total: int
    on: str
    payout: str
    tax_total: int = 0


def settings_of(crm: CRM) -> ShuSettings:
    """The parsed ``[plugins."koperasi_xyz.shu"]`` settings."""
    return crm.plugin_config(PLUGIN)


def rules_for(crm: CRM, year: int) -> Rules:
    """The effective rules of ``year`` (see :func:`koperasi_xyz.shu.rules.resolve_rules`)."""
    return resolve_rules(settings_of(crm), year)


def _units(crm: CRM, money: Money) -> int:
    if money.currency != crm.currency:
        raise ValidationError(f"the SHU is kept in {crm.currency}, not {money.currency}")
    return to_minor(money, crm.ledger.exponent(money.currency))


def _money(crm: CRM, units: int) -> Money:
    return from_minor(units, crm.currency, crm.ledger.exponent(crm.currency))


def year_row(year: int) -> ShuYear | None:
    """The stored SHU year, if the amount was entered."""
    return ShuYear.get_or_none(ShuYear.year == year)


def _check_year_over(crm: CRM, year: int, doing: str) -> None:
    _, end = year_bounds(year)
    if crm.today() <= end:
        raise ValidationError(f"the fiscal year {year} closes on 31 December {year}; "
                              f"{doing} after that")


def _approvers_text(year: int, digest: str | None) -> str:
    rows = list(ShuApproval.select().where(ShuApproval.year == year,
                                           ShuApproval.digest == (digest or ""))
                .order_by(ShuApproval.id))
    return ", ".join(f"{a.username} ({a.capacity})" for a in rows) or "nobody"


def _locked_error(crm: CRM, row: ShuYear) -> ValidationError:
    approved = row.approved_at
    if not isinstance(approved, dt.datetime):
        approved = dt.datetime.fromisoformat(str(approved))
    when = local_day(approved, crm.tz)  # stored in UTC: the day it was in the cooperative
    return ValidationError(
        f"SHU {row.year} was approved on {when} by {_approvers_text(row.year, row.digest)}; "
        "its figures are locked and are not computed from live data again "
        f"(see: dyncrm shu report --year {row.year})")


def enter_surplus(crm: CRM, year: int, amount: Money | None, actor: Actor, *,
                  reason: str = "") -> EnterResult:
    """Record the year's SHU (net surplus); one action.

    Without ``amount`` the SHU is the result of the closed year in the books,
    posted from ``equity.year_result`` to ``equity.shu_undistributed`` dated
    today.  An ``amount`` other than that result is an override and needs a
    ``reason`` (kept in the entry's memo and meta; the action is logged as
    ``shu.override``); for a year not closed in the books the amount is posted
    from ``equity.income_summary`` dated 31 December, with a reason required
    once the deployment closes periods (:func:`~koperasi_xyz.shu.books.plan_surplus`).
    Entering the same amount again changes nothing (``replayed``); a different
    amount before the approval reverses the earlier entry and posts the new one.
    """
    from .books import plan_surplus

    plan = plan_surplus(crm, year, amount, reason)  # refusals before anything is written
    with crm.action("shu.override" if plan.source == "override" else "shu.enter", actor,
                    permission="shu.enter"):
        crm.lock([f"shu:{year}"])  # the year's status is checked, then written
        _check_year_over(crm, year, "enter its SHU")
        plan = plan_surplus(crm, year, amount, reason)  # again, under the lock
        amount = plan.amount
        units = _units(crm, amount)
        if units <= 0:
            raise ValidationError(f"the SHU of {year} must be above zero; a loss is not "
                                  "distributed", field="amount")
        row = year_row(year)
        if row is not None and row.status != "entered":
            raise ValidationError(f"SHU {year} is already {row.status}; its amount "
                                  f"({crm.format_money(_money(crm, row.amount))}) is locked")
        if row is not None and row.amount == units:
            return EnterResult(year, _money(crm, units), replayed=True)
        replaced = None
        if row is not None:
            replaced = _money(crm, row.amount)
            crm.ledger.reverse(row.entry_id, actor=actor.username, owner=PLUGIN,
                               memo=f"SHU {year} re-entered: {crm.format_money(amount)}")
        summary = crm.ledger.open_account(plan.debit, type="equity", name=plan.debit_name)
        undistributed = crm.ledger.open_account(UNDISTRIBUTED, type="equity",
                                                name="SHU belum dibagikan")
        seq = crm.next_number(f"shu.{year}.entered")
        memo = f"SHU tahun buku {year}" + (f" (dari pembukuan tutup buku {year})"
                                           if not plan.override else
                                           f": {plan.reason}" if plan.reason else "")
        posted = crm.ledger.transfer(
            _money(crm, units), debit=summary, credit=undistributed, kind="shu.surplus",
            actor=actor.username, key=f"shu:{year}:surplus:{seq}", on=plan.on,
            memo=memo, meta=plan.meta())
        if row is None:
            ShuYear.create(year=year, amount=units, currency=crm.currency,
                           entered_by=actor.username, entered_at=crm.now(),
                           entry=posted.entry.id)
        else:
            row.amount, row.entry, row.entered_by = units, posted.entry.id, actor.username
            row.entered_at, row.snapshot, row.digest = crm.now(), None, None
            row.save()
    return EnterResult(year, _money(crm, units), replayed=False, replaced=replaced)


def compute(crm: CRM, year: int, amount: Money | None = None) -> Draft:
    """A draft distribution of ``year``'s SHU from live data.

    Uses ``amount`` (a what-if), else the amount entered, else the result of
    the year closed in the books.  Refused once the year is approved: its
    figures are then locked (use :func:`locked`).
    """
    from .books import books_amount, not_closed_message, source_of

    row = year_row(year)
    if row is not None and row.status != "entered":
        raise _locked_error(crm, row)
    if amount is not None:
        units, source = _units(crm, amount), "what-if"
    elif row is not None:
        units, source = row.amount, source_of(crm, row.entry_id).get("source", "typed")
    else:
        books = books_amount(crm, year)
        if books is None:
            raise ValidationError(not_closed_message(year) + " (or try a figure with "
                                  "--amount)")
        if books.amount <= 0:
            raise ValidationError(f"the books of {year} closed with a result of "
                                  f"{crm.format_money(books)}; a loss is not distributed")
        units, source = _units(crm, books), "books"
    rules = rules_for(crm, year)
    dist = compute_distribution(year, units, rules, gather_bases(crm, year, rules),
                                exponent=crm.ledger.exponent(crm.currency))
    return Draft(rules=rules.as_dict(), distribution=dist, currency=crm.currency,
                 source=source)


def locked(crm: CRM, year: int, *, row: ShuYear | None = None) -> Draft:
    """The approved (locked) distribution of ``year``, from its snapshot (``row``: the
    year's row when the caller has read it already)."""
    row = row if row is not None and row.year == year else year_row(year)
    if row is None or row.status == "entered" or not row.snapshot:
        raise NotFoundError("approved SHU of year", year)
    snap = row.snapshot
    return Draft(rules=snap["rules"], distribution=distribution_from_dict(snap["distribution"]),
                 currency=snap.get("currency", crm.currency), locked=True, status=row.status)


def current(crm: CRM, year: int) -> Draft:
    """The locked distribution once approved, else a draft from live data."""
    row = year_row(year)
    if row is not None and row.status != "entered":
        return locked(crm, year, row=row)
    return compute(crm, year)


def _digest(snapshot: dict) -> str:
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def capacities_of(crm: CRM, actor: Actor) -> list[str]:
    """The capacities ``actor`` may approve in, preferred first."""
    chair_listed = actor.username in settings_of(crm).chair
    caps = []
    if chair_listed:
        caps.append("ketua")
    if "treasurer" in actor.roles:
        caps.append("bendahara")
    if "admin" in actor.roles and "ketua" not in caps:
        caps.append("ketua")
    return caps


def approve(crm: CRM, year: int, actor: Actor, *, rat_date: dt.date | None = None
            ) -> ApproveResult:
    """Approve ``year``'s SHU as treasurer or chair; two different people lock the year.

    Who may approve is a matter of capacity, not of a permission: the
    treasurer (role ``treasurer``) and the chair (role ``admin``, or a user name
    listed in the settings' ``chair``).

    The first approval stores the computed distribution as the snapshot.  The
    second must see the same figures: if live data changed in between, the new
    figures replace the snapshot, the earlier approval no longer counts and is
    named in ``superseded``.  With both approvals the year is ``approved``.
    """
    with crm.action("shu.approve", actor):
        crm.lock([f"shu:{year}"])  # two approvers at once: the second sees the first
        row = year_row(year)
        if row is None:
            raise ValidationError(f"the SHU of {year} has not been entered yet; nothing to "
                                  "approve")
        if row.status != "entered":
            raise _locked_error(crm, row)
        _check_year_over(crm, year, "approve its SHU (after the RAT)")
        _, end = year_bounds(year)
        if rat_date is not None and not end < rat_date <= crm.today():
            raise ValidationError(f"the RAT that decides SHU {year} is held after 31 December "
                                  f"{year} and not in the future, not on {rat_date.isoformat()}",
                                  field="rat_date")
        caps = capacities_of(crm, actor)
        if not caps:
            raise PermissionDenied(actor.username, "approve the SHU as treasurer (role "
                                   "treasurer) or chair (role admin or listed in chair)",
                                   actor.roles)
        draft = compute(crm, year)
        snapshot = {"year": year, "currency": crm.currency, "amount": row.amount,
                    "rules": draft.rules,
                    "distribution": distribution_to_dict(draft.distribution)}
        digest = _digest(snapshot)
        superseded: tuple[str, ...] = ()
        if row.digest and row.digest != digest:
            superseded = tuple(a.username for a in ShuApproval.select().where(
                ShuApproval.year == year, ShuApproval.digest == row.digest))
        current_approvals = list(ShuApproval.select().where(
            ShuApproval.year == year, ShuApproval.digest == digest))
        if any(a.username == actor.username for a in current_approvals):
            taken = {a.capacity for a in current_approvals}
            missing = [CAPACITIES[c] for c in CAPACITIES if c not in taken]
            raise ValidationError(f"{actor.username} has already approved SHU {year}; it "
                                  f"still needs {' and '.join(missing)}, a different person")
        taken = {a.capacity for a in current_approvals}
        free = [c for c in caps if c not in taken]
        if not free:
            holder = next(a.username for a in current_approvals if a.capacity in caps)
            missing = [CAPACITIES[c] for c in CAPACITIES if c not in taken]
            raise ValidationError(f"SHU {year} is already approved by {holder} as "
                                  f"{caps[0]}; it still needs {' and '.join(missing)}")
        capacity = free[0]
        ShuApproval.create(year=year, username=actor.username, capacity=capacity,
                           digest=digest, at=crm.now())
        row.snapshot, row.digest = snapshot, digest
        if rat_date is not None:
            row.rat_date = rat_date
        taken.add(capacity)
        approved = set(CAPACITIES) <= taken
        if approved:
            row.status, row.approved_at = "approved", crm.now()
        row.save()
    waiting = None if approved else next(CAPACITIES[c] for c in CAPACITIES if c not in taken)
    return ApproveResult(year, capacity, approved, waiting, superseded)


@gc_paused()  # a share, an entry, a receipt and a message per member, kept until the end
def post(crm: CRM, year: int, actor: Actor, *, on: dt.date | None = None) -> PostOutcome:
    """Post the approved SHU of ``year`` exactly once; a second call says it is done.

    Each member's share is one entry (key ``shu:<year>:<member id>``) from
    ``equity.shu_undistributed`` to simpanan sukarela (or ``payable.shu`` for a
    cash payout, and always for members no longer active): the gross share is
    debited, the net credited to the member and the PPh withheld, if any, to
    ``payable.tax.pph_shu``; the other pools are
    one entry (key ``shu:<year>:pools``).  Fires ``dyncrm_expand_year_closed``
    unless the year was closed in the books (closing fired it then).
    The shares are posted set-based (``crm.ledger.post_many``, accounts opened
    with ``open_accounts``, touchpoints with ``touch_many``, the members' messages
    with ``notify_members``), in member order.
    """
    from .corrections import key_prefix

    prefix = key_prefix(year)  # 'shu:<year>', or 'shu:<year>:r<n>' after n take-backs
    with crm.action("shu.post", actor, key=f"{prefix}:post", permission="shu.post") as act:
        if act.replayed:
            return PostOutcome(replayed=True, **act.previous)
        crm.lock([f"shu:{year}"])
        row = year_row(year)
        if row is None or row.status == "entered":
            have = _approvers_text(year, row.digest) if row is not None else "nobody"
            raise ValidationError(f"SHU {year} is not approved yet: it needs the treasurer "
                                  f"(bendahara) and the chair (ketua); approved so far by {have}")
        draft = locked(crm, year)
        dist = draft.distribution
        payout = draft.rules.get("payout", "sukarela")
        day = on or crm.today()
        _, end = year_bounds(year)
        if not end < day <= crm.today():
            raise ValidationError(f"SHU {year} is booked after 31 December {year} and not in "
                                  f"the future, not on {day.isoformat()}", field="on")
        ledger = crm.ledger
        undistributed = ledger.open_account(UNDISTRIBUTED, type="equity",
                                            name="SHU belum dibagikan")
        shares = [share for share in dist.members if share.total]
        stages = dict(bulk.select_in(crm.database, "SELECT id, stage FROM member WHERE id IN "
                                     "({in})", [share.member_id for share in shares]))
        to_savings = {share.member_id: payout == "sukarela" and stages.get(share.member_id)
                      in ("active", "leaving") for share in shares}
        targets = {}
        for kind in ("savings.sukarela", "payable.shu"):
            wanted = [s.member_id for s in shares
                      if (kind == "savings.sukarela") == to_savings[s.member_id]]
            if wanted:
                targets.update({(kind, m): code for m, code in ledger.open_accounts(
                    kind, wanted, type="liability").items()})
        tax_account = ledger.open_account(TAX_ACCOUNT, type="liability",
                                          name="Utang PPh SHU anggota") \
            if dist.tax_total else None
        # a posting repeats its amounts member after member: each made and written once
        money, text = functools.cache(lambda units: _money(crm, units)), rupiah_texts(crm)
        specs, touches = [], []
        for share in shares:
            kind = "savings.sukarela" if to_savings[share.member_id] else "payable.shu"
            legs = [Leg(undistributed, money(share.total)),
                    Leg(targets[(kind, share.member_id)], money(-share.net))]
            meta = {"year": year, "jasa_modal": share.jasa_modal,
                    "jasa_usaha": share.jasa_usaha, "to": kind}
            memo = (f"SHU {year}: jasa modal {text(share.jasa_modal)},"
                    f" jasa usaha {text(share.jasa_usaha)}")
            if share.units:
                meta["units"] = {u: x for u, (_, x) in share.units.items()}
            if share.tax:  # the PPh withheld goes to the tax payable, the net to the member
                legs.append(Leg(tax_account, money(-share.tax)))
                meta["tax"] = share.tax
                memo += f", PPh {text(share.tax)} dipotong"
            specs.append(EntrySpec(
                legs=tuple(legs), kind="shu.distribution", actor=actor.username,
                key=f"{prefix}:{share.member_id}", on=day, member_id=share.member_id,
                memo=memo, meta=meta))
            touches.append({"year": year, "amount": share.net, "to": kind,
                            **({"gross": share.total, "tax": share.tax} if share.tax else {})})
        ledger.post_many(specs)  # one entry per share, set-based (replays write nothing)
        crm.touch_many([s.member_id for s in shares], "expand", "for", "shu.distributed", actor,
                       touches)
        crm.notify_members("messages/shu_distributed.txt", [
            (share.member_id, f"{prefix}:{share.member_id}:msg",
             {"year": year, "share": money(share.total), "jasa_modal": money(share.jasa_modal),
              "jasa_usaha": money(share.jasa_usaha), "tax": money(share.tax),
              "net": money(share.net), "to_savings": to_savings[share.member_id]})
            for share in shares], kind="shu.distributed")
        posted = len(shares)
        pool_legs = []
        for name, units in dist.pools.items():
            if name in ("jasa_modal", "jasa_usaha") or not units:
                continue
            code = ledger.open_account(RESERVE_ACCOUNT if name == RESERVE else
                                       f"equity.fund.{name}", type="equity")
            pool_legs.append(Leg(code, -_money(crm, units)))
        pools_total = sum(u for n, u in dist.pools.items()
                          if n not in ("jasa_modal", "jasa_usaha"))
        if pools_total:
            ledger.post([Leg(undistributed, _money(crm, pools_total)), *pool_legs],
                        kind="shu.allocation", actor=actor.username, key=f"{prefix}:pools",
                        on=day, memo=f"Pembagian SHU {year}: dana cadangan dan dana lain")
        row.status, row.posted_by, row.posted_at, row.posted_on = \
            "posted", actor.username, crm.now(), day
        row.save()
        from dyncrm.periods import year_closing

        if year_closing(crm, year) is None:  # closing the books fired it already
            crm.hook.dyncrm_expand_year_closed(crm=crm, year=year, actor=actor)
        result = {"year": year, "members": posted, "members_total": dist.members_total,
                  "pools_total": pools_total, "on": day.isoformat(), "payout": payout}
        if dist.tax_total:
            result["tax_total"] = dist.tax_total
        act.done(**result)
    return PostOutcome(replayed=False, **result)


def member_share(crm: CRM, year: int, member_ref: int | str) -> tuple[Draft, object]:
    """The distribution of ``year`` and one member's line in it (``None`` if not eligible)."""
    info = crm.member(member_ref)
    draft = current(crm, year)
    line = next((m for m in draft.distribution.members if m.member_id == info.id), None)
    return draft, line
