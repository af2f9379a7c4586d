"""``expand.rewards``: points for taking part, tiers, and a catalogue to redeem them.

Points are their own ledger commodity ``POINTS``: earning debits
``rewards.issued`` and credits the member's ``rewards.points:m``; redeeming
debits ``rewards.points:m`` and credits ``rewards.redeemed``.  Every rule is
idempotent per triggering event through the entry's key:

- on-time installment: ``dyncrm_expand_installment_paid``; key
  ``rewards:installment:<loan>:<n>``;
- a full year of simpanan wajib paid on time: ``dyncrm_expand_year_closed`` and
  the January job ``rewards.wajib_year``; key ``rewards:wajib_year:<year>:<member>``;
- referral: ``dyncrm_acquire_referral_converted``; key ``rewards:referral:<new member>``;
- anniversary: the daily job ``rewards.anniversaries``; key
  ``rewards:anniversary:<member>:<years>``;
- by hand: ``dyncrm rewards award``; key ``rewards:award:<reference>``.

Public API: :func:`balance`, :func:`earned`, :func:`statement`, :func:`earn`,
:func:`award`, :func:`redeem`, :func:`restock`, :func:`catalogue`,
:func:`tier`, :func:`award_anniversaries`, :func:`award_wajib_year`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs
from peewee import fn

from dyncrm.dates import as_date as _as_date
from dyncrm.db import prepared
from dyncrm.db.models import Account, JournalEntry, Member, Posting
from dyncrm.errors import ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.i18n import N_
from dyncrm.ledger import CREDIT_NORMAL
from dyncrm.money import POINTS, Money, from_minor
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, Leg, Permission, ScheduledJob
from dyncrm_expand.rewards.chart import dyncrm_chart_accounts  # noqa: F401  (hook)
from dyncrm_expand.rewards.config import CatalogueItem, RewardsSettings, Tier
from dyncrm_expand.rewards.models import MODELS, RewardRedemption, RewardStock

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "expand.rewards"
EARN_KINDS = ("rewards.earn", "rewards.award")


@attrs.frozen
class PointsResult:
    """Points earned or awarded by one event; ``replayed`` when the event was known."""

    member_id: int
    points: int
    rule: str
    key: str
    entry_id: int
    replayed: bool


@attrs.frozen
class Redemption:
    """A redemption as recorded."""

    id: int
    member_id: int
    item: str
    item_name: str
    quantity: int
    points: int
    reference: str
    on: dt.date
    actor: str
    replayed: bool = False


@attrs.frozen
class CatalogueEntry:
    """A catalogue item with the stock left."""

    code: str
    name: str
    points: int
    stock_left: int
    description: str = ""


# -- helpers --------------------------------------------------------------------------


def settings(crm: CRM) -> RewardsSettings:
    """The parsed ``[plugins."expand.rewards"]`` settings."""
    return crm.plugin_config(PLUGIN)


def _points(n: int) -> Money:
    return Money.of(n, POINTS)


def _member_account(crm: CRM, member_id: int) -> str:
    return crm.ledger.open_account("rewards.points", type="liability", member_id=member_id,
                                   commodity=POINTS)


def _whole(points: Any, field: str = "points") -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ValidationError("must be a whole number of points above zero", field=field)
    return points


def _years(joined: dt.date | None, on: dt.date) -> int:
    if joined is None or joined > on:
        return 0
    years = on.year - joined.year
    if (on.month, on.day) < (joined.month, joined.day):
        years -= 1
    return years


def _anniversary(joined: dt.date, years: int) -> dt.date:
    try:
        return joined.replace(year=joined.year + years)
    except ValueError:  # 29 February
        return dt.date(joined.year + years, 3, 1)


# -- reading --------------------------------------------------------------------------


#: A member's points account and the sum of its postings (up to a date): one statement
#: through the account's unique code and the postings' account index, prepared once.
_BALANCE_SQL = {dated: (
    "SELECT a.type, a.commodity, (SELECT SUM(p.amount) FROM posting p"
    + (" JOIN journal_entry e ON e.id = p.entry_id" if dated else "")
    + " WHERE p.account_id = a.id" + (" AND e.effective_date <= {p}" if dated else "")
    + ") FROM account a WHERE a.code = {p}") for dated in (False, True)}


def balance(crm: CRM, member_id: int, *, as_of: dt.date | None = None) -> Money:
    """A member's points (``POINTS``), zero if they never earned any (one query; what
    ``crm.ledger.balance_or_zero("rewards.points", member_id)`` gives)."""
    db = crm.database
    code = f"rewards.points:m{int(member_id)}"
    params = [code] if as_of is None else [as_of.isoformat(), code]
    row = db.execute_sql(prepared.sql(db, _BALANCE_SQL[as_of is not None]), params).fetchone()
    if row is None:
        return Money.zero(POINTS)
    account_type, commodity, units = row
    units = int(units or 0)
    if account_type in CREDIT_NORMAL:
        units = -units
    return from_minor(units, commodity, crm.ledger.exponent(commodity))


def earned(crm: CRM, member_id: int) -> int:
    """Points a member has earned over their membership (redemptions not deducted)."""
    value = (Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0))
             .join(Account).switch(Posting).join(JournalEntry)
             .where(Account.code == f"rewards.points:m{member_id}",
                    JournalEntry.kind.in_(EARN_KINDS + tuple(f"{k}.reversal"
                                                             for k in EARN_KINDS))).scalar())
    return -int(value or 0)


def statement(crm: CRM, member_id: int, *, since: dt.date | None = None,
              until: dt.date | None = None) -> list[dict[str, Any]]:
    """Every earning and redemption of a member with the running balance."""
    code = f"rewards.points:m{member_id}"
    if not Account.select().where(Account.code == code).exists():
        return []
    return crm.ledger.statement(code, since=since, until=until)


def tier(crm: CRM, member_id: int, on: dt.date | None = None) -> Tier:
    """The highest tier a member reaches by lifetime points or years of membership."""
    cfg = settings(crm)
    member = crm.member(member_id)
    years = _years(member.joined_on, on or crm.today())
    points = earned(crm, member_id)
    found = cfg.tiers[0]
    for t in cfg.tiers:
        if t.reached(points, years):
            found = t
    return found


def catalogue(crm: CRM) -> list[CatalogueEntry]:
    """The catalogue with the stock left of each item (two grouped queries)."""
    items = settings(crm).catalogue
    redeemed = {r.item: int(r.n) for r in RewardRedemption.select(
        RewardRedemption.item, fn.SUM(RewardRedemption.quantity).alias("n"))
        .group_by(RewardRedemption.item)}
    added = {r.item: int(r.n) for r in RewardStock.select(
        RewardStock.item, fn.SUM(RewardStock.quantity).alias("n")).group_by(RewardStock.item)}
    return [CatalogueEntry(code=code, name=item.name, points=item.points,
                           stock_left=item.stock + added.get(code, 0) - redeemed.get(code, 0),
                           description=item.description)
            for code, item in sorted(items.items())]


def _item(crm: CRM, code: str) -> CatalogueItem:
    items = settings(crm).catalogue
    if code not in items:
        known = ", ".join(sorted(items)) or "the catalogue is empty"
        raise ValidationError(f"unknown item {code!r}; items: {known}", field="item")
    return items[code]


# -- earning ----------------------------------------------------------------------------


def earn(crm: CRM, member_id: int, points: int, *, rule: str, event: str,
         actor: Actor | None = None, on: dt.date | None = None, memo: str = ""
         ) -> PointsResult:
    """Credit ``points`` to a member for one triggering ``event`` of ``rule``.

    Idempotent: the ledger key ``rewards:<rule>:<event>`` is posted once; a
    second call returns the first entry with ``replayed=True``.
    """
    points = _whole(points)
    actor = actor or Actor.system("rewards")
    key = f"rewards:{rule}:{event}"
    known = crm.ledger.entry_by_key(key)
    if known is not None:
        return PointsResult(member_id=known.member_id, points=points, rule=rule, key=key,
                            entry_id=known.id, replayed=True)
    with crm.action("rewards.earn", actor):
        issued = crm.ledger.open_account("rewards.issued", type="expense", commodity=POINTS)
        posted = crm.ledger.post(
            [Leg(issued, _points(points)), Leg(_member_account(crm, member_id),
                                               -_points(points))],
            kind="rewards.award" if rule == "award" else "rewards.earn",
            actor=actor.username, key=key, on=on, member_id=member_id,
            memo=memo or f"{rule}: {event}", meta={"rule": rule, "event": event})
        if not posted.replayed:  # another process earned it a moment ago: no second touch
            crm.touch(member_id, "expand", "for", "rewards.earned", actor,
                      {"rule": rule, "event": event, "points": points})
    return PointsResult(member_id=member_id, points=points, rule=rule, key=key,
                        entry_id=posted.entry.id, replayed=posted.replayed)


def award(crm: CRM, actor: Actor, member_id: int, points: int, *, reason: str,
          reference: str) -> PointsResult:
    """Award points by hand (``rewards.award``), once per ``reference``."""
    crm.require(actor, "rewards.award")
    if not (reason or "").strip():
        raise ValidationError("say why the points are awarded", field="reason")
    if not (reference or "").strip():
        raise ValidationError("give a reference; the same reference awards once",
                              field="reference")
    member = crm.member(member_id)
    if member.stage not in ("active", "leaving"):
        raise ValidationError(f"member {member.number or member.id} is {member.stage!r}")
    return earn(crm, member.id, points, rule="award", event=reference.strip(), actor=actor,
                memo=reason.strip())


def award_anniversaries(crm: CRM, on: dt.date) -> int:
    """Award the anniversary rule to active members whose membership anniversary fell
    in the last ``anniversary_catch_up_days`` days.  Set-based; returns how many."""
    rules = settings(crm).rules
    if not rules.anniversary and not rules.milestones:
        return 0
    due: dict[str, tuple[int, int]] = {}
    members = Member.select(Member.id, Member.joined_on).where(
        Member.stage == "active", Member.joined_on.is_null(False))
    for m in members.iterator():
        joined = _as_date(m.joined_on)
        years = _years(joined, on)
        if years < 1 or (on - _anniversary(joined, years)).days > \
                rules.anniversary_catch_up_days:
            continue
        if rules.anniversary_points(years):
            due[f"rewards:anniversary:{m.id}:{years}"] = (m.id, years)
    return _post_missing(crm, due, lambda mid, years: (
        rules.anniversary_points(years), "anniversary", f"{mid}:{years}",
        f"{years} year(s) of membership"), on)


def award_wajib_year(crm: CRM, year: int, on: dt.date | None = None) -> int:
    """Award ``wajib_full_year`` to members who paid every simpanan wajib month of
    ``year`` on time (from ``expand.savings``).  Idempotent; returns how many."""
    points = settings(crm).rules.wajib_full_year
    if not points or not crm.is_enabled("expand.savings"):
        return 0
    from dyncrm_expand import savings

    members = savings.wajib_paid_on_time(crm, year)
    due = {f"rewards:wajib_year:{year}:{m}": (m, year) for m in sorted(members)}
    return _post_missing(crm, due, lambda mid, y: (
        points, "wajib_year", f"{y}:{mid}", f"simpanan wajib {y} paid on time"),
        on or min(crm.today(), dt.date(year + 1, 1, 31)))


def _post_missing(crm: CRM, due: dict[str, tuple[int, int]], make, on: dt.date) -> int:
    """Post the entries of ``due`` whose keys are not in the ledger yet (one lookup)."""
    if not due:
        return 0
    known = set()
    keys = list(due)
    for start in range(0, len(keys), 500):
        known.update(e.key for e in JournalEntry.select(JournalEntry.key)
                     .where(JournalEntry.key.in_(keys[start:start + 500])))
    count = 0
    for key, (member_id, n) in due.items():
        if key in known:
            continue
        points, rule, event, memo = make(member_id, n)
        earn(crm, member_id, points, rule=rule, event=event, on=on, memo=memo)
        count += 1
    return count


# -- redeeming ------------------------------------------------------------------------


def redeem(crm: CRM, actor: Actor, member_id: int, item_code: str, *, reference: str,
           quantity: int = 1, on: dt.date | None = None) -> Redemption:
    """Exchange points for ``quantity`` of a catalogue item.

    Refused when the item is out of stock or the member has too few points.
    Idempotent by ``reference``.  Members redeem for themselves; staff need
    ``rewards.redeem``.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("give a reference; the same reference redeems once",
                              field="reference")
    if actor.member_id != member_id:
        crm.require(actor, "rewards.redeem")
    with crm.action("rewards.redeem", actor, key=f"rewards.redeem:{reference}") as act:
        if act.replayed:
            row = RewardRedemption.get_or_none(RewardRedemption.reference == reference)
            if row is None or row.member_id != member_id:
                raise ValidationError(f"reference {reference!r} was already used",
                                      field="reference")
            return attrs.evolve(_redemption(crm, row), replayed=True)
        member = crm.member(member_id)
        if member.stage != "active":
            raise ValidationError(f"member {member.number or member.id} is {member.stage!r}; "
                                  "only active members redeem points")
        item = _item(crm, item_code)
        quantity = _whole(quantity, "quantity")
        # check-then-write: lock the item's stock and the member's points, then read them
        crm.lock([_stock_lock(item_code), f"account:{_member_account(crm, member_id)}"])
        left = next(e.stock_left for e in catalogue(crm) if e.code == item_code)
        if left < quantity:
            raise ValidationError(f"{item.name} is out of stock ({left} left)", field="item")
        needed = item.points * quantity
        have = int(balance(crm, member_id).amount)
        if have < needed:
            raise ValidationError(f"{item.name} takes {needed} points; the member has {have}",
                                  field="points")
        on = on or crm.today()
        redeemed = crm.ledger.open_account("rewards.redeemed", type="income", commodity=POINTS)
        posted = crm.ledger.post(
            [Leg(_member_account(crm, member_id), _points(needed)),
             Leg(redeemed, -_points(needed))],
            kind="rewards.redeem", actor=actor.username, key=f"rewards:redeem:{reference}",
            on=on, member_id=member_id, memo=f"{quantity} × {item.name}",
            meta={"item": item_code, "quantity": quantity})
        row = RewardRedemption.create(member=member_id, item=item_code, quantity=quantity,
                                      points=needed, reference=reference, effective_date=on,
                                      actor=actor.username, entry=posted.entry.id)
        crm.touch(member_id, "expand", "by", "rewards.redeemed", actor,
                  {"item": item_code, "quantity": quantity, "points": needed})
        result = _redemption(crm, row)
        crm.notify_member(member_id, "rewards/redeemed.txt", kind="rewards.redeemed",
                          key=f"rewards:redeem:{reference}", essential=True,
                          redemption=result, balance=balance(crm, member_id))
        act.done(redemption_id=row.id)
        return result


def _stock_lock(item_code: str) -> str:
    """The lock name of a catalogue item's stock (``crm.lock``)."""
    return f"rewards.item:{item_code}"


def _redemption(crm: CRM, row: RewardRedemption) -> Redemption:
    items = settings(crm).catalogue
    return Redemption(id=row.id, member_id=row.member_id, item=row.item,
                      item_name=items[row.item].name if row.item in items else row.item,
                      quantity=row.quantity, points=int(row.points), reference=row.reference,
                      on=_as_date(row.effective_date), actor=row.actor)


def restock(crm: CRM, actor: Actor, item_code: str, quantity: int, *, reference: str,
            note: str = "") -> CatalogueEntry:
    """Add ``quantity`` of an item to the stock (``rewards.manage``), once per reference."""
    crm.require(actor, "rewards.manage")
    _item(crm, item_code)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        raise ValidationError("must be a whole number other than zero", field="quantity")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError("give a reference; the same reference counts once",
                              field="reference")
    with crm.action("rewards.restock", actor, key=f"rewards.restock:{reference}") as act:
        if not act.replayed:
            crm.lock([_stock_lock(item_code)])
            left = next(e.stock_left for e in catalogue(crm) if e.code == item_code)
            if left + quantity < 0:
                raise ValidationError(f"only {left} left to take out", field="quantity")
            RewardStock.create(item=item_code, quantity=quantity, reference=reference,
                               note=note, actor=actor.username)
            act.done(item=item_code)
    return next(e for e in catalogue(crm) if e.code == item_code)


# -- hooks ------------------------------------------------------------------------------


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_expand.rewards.web:dyncrm_web",
    settings=RewardsSettings,
    models=MODELS,
    migrations="migrations",
    templates="templates",
    commands="dyncrm_expand.rewards.cli:register",
    permissions=[
        Permission("rewards.view", frozenset({"admin", "secretary", "treasurer", "cashier"}),
                   "see any member's points (members always see their own)"),
        Permission("rewards.award", frozenset({"admin", "secretary"}),
                   "award points by hand"),
        Permission("rewards.redeem", frozenset({"admin", "secretary", "cashier"}),
                   "redeem points for a member at the counter"),
        Permission("rewards.manage", frozenset({"admin", "secretary"}),
                   "restock the rewards catalogue"),
        Permission("rewards.correct", frozenset({"admin", "treasurer"}),
                   "reverse points awarded, earned or redeemed (dyncrm rewards reverse)"),
    ],
)
spec.export(globals())


@hookimpl
def dyncrm_ledger_owners():
    """Points earned, awarded and redeemed are corrected by ``rewards reverse``."""
    from dyncrm_expand.rewards.corrections import OWNERS

    return OWNERS


@hookimpl
def dyncrm_expand_installment_paid(crm, payment):
    points = settings(crm).rules.on_time_installment
    if points and payment.on_time and not payment.payoff:
        earn(crm, payment.member_id, points, rule="installment",
             event=f"{payment.loan_id}:{payment.number}", on=payment.paid_on,
             memo=f"installment {payment.number} of loan {payment.loan_id} paid on time")


@hookimpl
def dyncrm_acquire_referral_converted(crm, referrer, member):
    points = settings(crm).rules.referral
    if points and referrer.stage in ("active", "leaving"):
        earn(crm, referrer.id, points, rule="referral", event=str(member.id),
             memo=f"referred {member.name}, who became a member")


@hookimpl
def dyncrm_expand_year_closed(crm, year, actor):
    award_wajib_year(crm, year)


def _anniversary_job(crm, day):
    return f"{award_anniversaries(crm, day)} anniversaries awarded"


def _wajib_year_job(crm, day):
    if day.month != 1:
        return "runs in January for the year before"
    return f"{award_wajib_year(crm, day.year - 1, day)} members awarded for {day.year - 1}"


@hookimpl
def dyncrm_scheduled_jobs(crm):
    return [
        ScheduledJob("rewards.anniversaries", _anniversary_job,
                     "points for membership anniversaries (catches up missed days)"),
        ScheduledJob("rewards.wajib_year", _wajib_year_job,
                     "in January: points for a full year of simpanan wajib paid on time"),
    ]


@hookimpl
def dyncrm_member_details(crm, member):
    if member.stage == "applicant":
        return None
    points = balance(crm, member.id)
    return {N_("Reward points"): crm.format_money(points),
            N_("Reward tier"): tier(crm, member.id).name}


__all__ = [
    "CatalogueEntry", "PointsResult", "Redemption", "award", "award_anniversaries",
    "award_wajib_year", "balance", "catalogue", "earn", "earned", "redeem", "restock",
    "statement", "tier",
]
