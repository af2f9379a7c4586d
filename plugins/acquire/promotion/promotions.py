"""Products, promotions, their audiences, pushing through the outbox, and the funnel.

A promotion has a title, a body (a Jinja template rendered per member in a
sandbox), a validity window, an audience and channels.  Audiences::

    everyone            applicants and active members
    applicants          people whose application is open
    new_members:N       active members who joined in the last N days
    without_loan        active members without a loan (segment "without_loan" of
                        the loans plugin; every active member when no plugin knows it)
    department:NAME     active members of a department
    segment:NAME        whoever a plugin's dyncrm_acquire_segment says

Pushing queues one message per member with the outbox key
``promo:<id>:<member>``, so a member is reached at most once however often
the push runs.  Views, claims, applications and joins are events (one per
member and kind) and touchpoints; the funnel counts them with one grouped query.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs
import jinja2
from peewee import JOIN, Case, fn

from dyncrm.dates import as_date as _date
from dyncrm.db.models import Member, OutboxMessage
from dyncrm.errors import (
    DuplicateError,
    EnvironmentFault,
    IllegalTransition,
    NotFoundError,
    ValidationError,
)
from dyncrm.i18n import N_
from dyncrm.lifecycle import member_info
from dyncrm.text import clean_text
from dyncrm.values import Actor, MemberInfo, Product
from dyncrm_acquire.models import ApplicationRow, ProductRow, PromotionEventRow, PromotionRow
from dyncrm_acquire.promotion.limits import BoundedSandbox, Limits, TemplateLimit, trial_render
from dyncrm_acquire.referrals import referral_code
from dyncrm_acquire.settings import PromotionSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "acquire.promotion"
AUDIENCES = ("everyone", "applicants", "new_members", "without_loan", "department", "segment")
EVENTS = ("reached", "viewed", "claimed", "applied", "joined")
EVENT_INFO = {"reached": "for", "viewed": "for", "claimed": "by", "applied": "by",
              "joined": "of"}
PRODUCT_KINDS = ("savings", "loan", "other")
TEMPLATE = "acquire/promotion.txt"
CHUNK = 500
JOINED_STAGES = ("active", "leaving", "inactive")


@attrs.frozen
class PromotionInfo:
    """A promotion as callers see it."""

    id: int
    title: str
    body: str
    product: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    audience: str
    audience_arg: str | None
    channels: tuple[str, ...]
    created_by: str
    stopped: bool
    banner: str | None = None  # stored file name of the banner image, if any
    banner_width: int | None = None
    banner_height: int | None = None

    @property
    def audience_label(self) -> str:
        """The audience as written: ``department:Produksi``."""
        return f"{self.audience}:{self.audience_arg}" if self.audience_arg else self.audience

    def is_running(self, on: dt.date) -> bool:
        """True when the promotion may be shown or pushed on ``on``."""
        return (not self.stopped and self.starts_on <= on
                and (self.ends_on is None or on <= self.ends_on))


@attrs.frozen
class PushReport:
    """What a push did: newly reached, reached before, opted out, without an address."""

    promotion: int
    reached: int
    already: int
    opted_out: int
    unreachable: int


@attrs.frozen
class Tracked:
    """A recorded promotion event; ``replayed`` when it had been recorded before."""

    promotion: int
    member_id: int
    kind: str
    replayed: bool


@attrs.frozen
class FunnelRow:
    """Distinct members at each step of one promotion's funnel."""

    promotion: int
    title: str
    reached: int
    viewed: int
    claimed: int
    applied: int
    joined: int


def settings(crm: CRM) -> PromotionSettings:
    """The deployment's promotion settings."""
    return crm.plugin_config(PLUGIN)


def _info(row: PromotionRow) -> PromotionInfo:
    return PromotionInfo(
        id=row.id, title=row.title, body=row.body, product=row.product,
        starts_on=_date(row.starts_on), ends_on=_date(row.ends_on), audience=row.audience,
        audience_arg=row.audience_arg, channels=tuple(row.channels or ()),
        created_by=row.created_by, stopped=row.stopped_at is not None, banner=row.banner,
        banner_width=row.banner_width, banner_height=row.banner_height)


# --- products ---------------------------------------------------------------------


def products(crm: CRM) -> list[Product]:
    """Every product on offer: from the savings/loan plugins, the config and staff."""
    found: dict[str, Product] = {}
    for offered in crm.hook.dyncrm_acquire_products(crm=crm):
        for p in offered or []:
            found.setdefault(p.code, p)
    return sorted(found.values(), key=lambda p: (p.kind, p.code))


def add_product(crm: CRM, code: str, name: str, actor: Actor, *, kind: str = "other",
                description: str = "") -> Product:
    """Add an offer that is not a savings or loan product (e.g. a partner discount)."""
    code = str(code).strip().lower()
    if not code or len(code) > 40 or not all(c.isascii() and (c.isalnum() or c in "._-")
                                             for c in code):
        raise ValidationError("use up to 40 letters, digits, dots, dashes or underscores",
                              field="code")
    name = " ".join(str(name).split())
    if not 2 <= len(name) <= 120:
        raise ValidationError("give a name of 2 to 120 characters", field="name")
    if kind not in PRODUCT_KINDS:
        raise ValidationError(f"must be one of {', '.join(PRODUCT_KINDS)}", field="kind")
    with crm.action("acquire.product_add", actor, permission="promotions.manage"):
        if any(p.code == code for p in products(crm)):
            raise DuplicateError(f"a product with code {code!r} already exists", field="code")
        ProductRow.create(code=code, name=name, kind=kind, description=description.strip(),
                          created_by=actor.username, created_at=crm.now())
    return Product(code=code, name=name, kind=kind, description=description.strip(),
                   plugin=PLUGIN)


def own_products(crm: CRM) -> list[Product]:
    """Products declared in the config and added by staff."""
    found = [Product(code=p.code, name=p.name, kind=p.kind, description=p.description,
                     plugin=PLUGIN) for p in settings(crm).products]
    found += [Product(code=r.code, name=r.name, kind=r.kind, description=r.description,
                      plugin=PLUGIN) for r in ProductRow.select().order_by(ProductRow.code)]
    return found


# --- templates ----------------------------------------------------------------------


def limits(crm: CRM) -> Limits:
    """How long and how large filling in one promotion text may get (from the settings)."""
    cfg = settings(crm)
    return Limits(timeout=cfg.render_timeout_ms / 1000, memory_mb=cfg.render_memory_mb,
                  max_chars=cfg.max_message_chars)


def _sandbox(crm: CRM) -> BoundedSandbox:
    return BoundedSandbox(limits(crm), filters={"money": crm.templates.filters["money"],
                                                "date": crm.templates.filters["date"]},
                          globals={"organisation": crm.config.organisation})


def _context(crm: CRM, member: MemberInfo, promo: PromotionInfo,
             product: Product | None) -> dict[str, Any]:
    return {"member": member, "promotion": promo, "product": product,
            "referral_code": referral_code(member.id) if member.id else None,
            "today": crm.today()}


def _compile(crm: CRM, body: str) -> jinja2.Template:
    """The body compiled in a fresh bounded sandbox (``template.environment`` renders it)."""
    try:
        return _sandbox(crm).compile_text(body)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError(f"template error on line {exc.lineno}: {exc.message}",
                              field="body") from None


def _product(crm: CRM, code: str | None) -> Product | None:
    if code is None:
        return None
    for p in products(crm):
        if p.code == code:
            return p
    return None


def _fill(template: jinja2.Template, context: dict[str, Any], member: MemberInfo) -> str:
    """The body for one member, within the sandbox's limits (in this process)."""
    env = template.environment
    assert isinstance(env, BoundedSandbox)
    try:
        return env.render_text(template, context).strip()
    except TemplateLimit as exc:
        raise ValidationError(f"the text is too costly to fill in for "
                              f"{member.number or member.name}: {exc}", field="body") from None
    except Exception as exc:  # a template that works for the sample may fail for a member
        raise ValidationError(f"the text cannot be filled in for "
                              f"{member.number or member.name}: {exc}", field="body") from None


def _trial(crm: CRM, promo: PromotionInfo, product: Product | None) -> None:
    """Fill the text in once for a sample member in a child process bounded in time and memory.

    The in-process sandbox already refuses the usual exhaustion; the child
    catches what it does not foresee, before anything is written.
    """
    sample = MemberInfo(id=0, number="SAMPLE-0001", name="Sample Member",
                        email="sample@example.com", phone="+628120000000", stage="active",
                        joined_on=crm.today(), left_on=None, preferred_channel=None,
                        marketing_opt_out=False)
    context = {**_context(crm, sample, promo, product), "referral_code": "ABCDEF"}
    bounds = limits(crm)
    try:
        trial_render(promo.body, context, limits=bounds, locale=crm.locale.tag,
                     currency=crm.currency, exponent=crm.ledger.exponent(crm.currency),
                     globals={"organisation": crm.config.organisation})
    except TemplateLimit as exc:
        raise ValidationError(f"the text is too costly to fill in: {exc} (limits: "
                              f"{bounds.timeout:g} s, {bounds.memory_mb} MB, "
                              f"{bounds.max_chars:,} characters)", field="body") from None
    except ValueError as exc:  # the template's own error
        raise ValidationError(f"the text cannot be filled in: {exc}", field="body") from None
    except OSError as exc:
        raise EnvironmentFault(f"cannot start a process to check the promotion text "
                               f"({sys.executable}): {exc.strerror or exc}",
                               path=sys.executable, cause=str(exc)) from None


def render(crm: CRM, promo: PromotionInfo, member: MemberInfo) -> tuple[str, str]:
    """The (subject, body) a member receives for ``promo``."""
    template = _compile(crm, promo.body)
    product = _product(crm, promo.product)
    body = _fill(template, _context(crm, member, promo, product), member)
    return crm.render_message(TEMPLATE, member=member, promotion=promo, body=body,
                              product=product)


# --- promotions ---------------------------------------------------------------------


def parse_audience(text: str) -> tuple[str, str | None]:
    """``"department:Produksi"`` → ``("department", "Produksi")``, checked."""
    name, _, arg = str(text).strip().partition(":")
    name, arg = name.strip().lower(), arg.strip() or None
    if name not in AUDIENCES:
        raise ValidationError(f"must be one of {', '.join(AUDIENCES)} (e.g. new_members:30, "
                              "department:Produksi, segment:NAME)", field="audience")
    if name == "new_members":
        if arg is None or not arg.isascii() or not arg.isdigit() or not 1 <= int(arg) <= 3650:
            raise ValidationError("write new_members:N with N days (1-3650)", field="audience")
    elif name in ("department", "segment"):
        if not arg or len(arg) > 64:
            raise ValidationError(f"write {name}:NAME", field="audience")
    elif arg is not None:
        raise ValidationError(f"{name} takes no argument", field="audience")
    return name, arg


def add(crm: CRM, actor: Actor, *, title: str, body: str, audience: str = "everyone",
        starts_on: dt.date | None = None, ends_on: dt.date | None = None,
        product: str | None = None, channels: Iterable[str] = (),
        banner: bytes | None = None) -> PromotionInfo:
    """Create a promotion (checked: dates, audience, product, channels, template).

    ``banner`` is an optional image (JPEG, PNG or WebP, checked by content; see
    :mod:`dyncrm_acquire.promotion.banners`); when it is refused nothing is written.
    """
    from dyncrm_acquire.promotion import banners
    title = clean_text(title, field="title", max_length=120)
    if not 3 <= len(title) <= 120:
        raise ValidationError("give a title of 3 to 120 characters", field="title")
    body = clean_text(body, field="body", multiline=True, max_length=10_000)
    if not body:
        raise ValidationError("give the text of the promotion (up to 10,000 characters)",
                              field="body")
    starts_on = starts_on or crm.today()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("ends before it starts", field="ends_on")
    kind, arg = parse_audience(audience)
    channels = tuple(dict.fromkeys(c.strip() for c in channels if c.strip()))
    unknown = [c for c in channels if c not in crm.outbox.channels]
    if unknown:
        raise ValidationError(f"unknown channel {unknown[0]!r}; channels: "
                              f"{', '.join(sorted(crm.outbox.channels))}", field="channels")
    if product is not None and _product(crm, product) is None:
        raise ValidationError(f"no product {product!r}; see dyncrm promo products",
                              field="product")
    if kind == "segment" and crm.hook.dyncrm_acquire_segment(
            crm=crm, name=arg, on=crm.today()) is None:
        raise ValidationError(f"no enabled plugin knows segment {arg!r}", field="audience")
    checked = banners.check(banner) if banner is not None else None
    crm.require(actor, "promotions.manage")  # before a process is started for the trial
    body = str(body).strip()
    _compile(crm, body)
    draft = PromotionInfo(id=0, title=title, body=body, product=product, starts_on=starts_on,
                          ends_on=ends_on, audience=kind, audience_arg=arg, channels=channels,
                          created_by=actor.username, stopped=False)
    _trial(crm, draft, _product(crm, product))  # no transaction is open while it runs
    stored = banners.store(crm, checked) if checked is not None else None
    try:
        with crm.action("acquire.promotion_add", actor, permission="promotions.manage"):
            row = PromotionRow.create(title=title, body=body, product=product,
                                      starts_on=starts_on, ends_on=ends_on, audience=kind,
                                      audience_arg=arg, channels=list(channels),
                                      created_by=actor.username, created_at=crm.now(),
                                      banner=stored, banner_width=checked and checked.width,
                                      banner_height=checked and checked.height)
            return _info(row)
    except BaseException:
        banners.discard(crm, stored)
        raise


def _row(promotion_id: int | str) -> PromotionRow:
    text = str(promotion_id).strip().lstrip("#")
    row = None
    if text.isascii() and text.isdigit() and len(text) < 10:
        row = PromotionRow.get_or_none(PromotionRow.id == int(text))
    if row is None:
        raise NotFoundError("promotion", promotion_id)
    return row


def get(crm: CRM, promotion_id: int | str) -> PromotionInfo:
    """The promotion with this id (raises ``NotFoundError``)."""
    return _info(_row(promotion_id))


def find(crm: CRM, *, running_on: dt.date | None = None) -> list[PromotionInfo]:
    """Every promotion, newest first; only those running on a date if given."""
    found = [_info(r) for r in PromotionRow.select().order_by(PromotionRow.id.desc())]
    if running_on is not None:
        found = [p for p in found if p.is_running(running_on)]
    return found


def stop(crm: CRM, promotion_id: int | str, actor: Actor) -> PromotionInfo:
    """End a promotion now: it is no longer shown or pushed."""
    with crm.action("acquire.promotion_stop", actor, permission="promotions.manage"):
        row = _row(promotion_id)
        if row.stopped_at is not None:
            raise IllegalTransition(N_("promotion #{id}").format(id=row.id), "stopped", "stop")
        row.stopped_at = crm.now()
        row.save()
        return _info(row)


# --- audiences ----------------------------------------------------------------------


def _segment(crm: CRM, name: str, on: dt.date) -> frozenset[int] | None:
    found = crm.hook.dyncrm_acquire_segment(crm=crm, name=name, on=on)
    return None if found is None else frozenset(found)


def _ids(query) -> frozenset[int]:
    return frozenset(r.id for r in query)


def audience_ids(crm: CRM, promo: PromotionInfo, on: dt.date | None = None) -> frozenset[int]:
    """Member ids in the promotion's audience on ``on`` (set-based queries)."""
    on = on or crm.today()
    active = Member.select(Member.id).where(Member.stage == "active")
    if promo.audience == "everyone":
        return _ids(Member.select(Member.id).where(Member.stage.in_(("applicant", "active"))))
    if promo.audience == "applicants":
        return _ids(Member.select(Member.id).where(Member.stage == "applicant"))
    if promo.audience == "new_members":
        since = on - dt.timedelta(days=int(promo.audience_arg or 0))
        return _ids(active.where(Member.joined_on >= since, Member.joined_on <= on))
    if promo.audience == "department":
        return _ids(active.join(ApplicationRow, on=(ApplicationRow.member == Member.id)).where(
            fn.LOWER(ApplicationRow.department) == (promo.audience_arg or "").lower()))
    if promo.audience == "without_loan":
        everyone = _ids(active)
        found = _segment(crm, "without_loan", on)
        return everyone if found is None else everyone & found
    if promo.audience == "segment":
        found = _segment(crm, promo.audience_arg or "", on)
        if found is None:
            raise ValidationError(f"no enabled plugin knows segment {promo.audience_arg!r}",
                                  field="audience")
        return found & _ids(Member.select(Member.id).where(
            Member.stage.in_(("applicant", "active"))))
    raise ValidationError(f"unknown audience {promo.audience!r}", field="audience")


def active_for(crm: CRM, member_ref: int | str, on: dt.date | None = None
               ) -> list[PromotionInfo]:
    """Promotions running on ``on`` whose audience includes this member or applicant."""
    on = on or crm.today()
    member = crm.member_row(member_ref)
    running = find(crm, running_on=on)
    if not running or member.stage not in ("applicant", "active"):
        return []
    department = (ApplicationRow.select(ApplicationRow.department)
                  .where(ApplicationRow.member == member.id).scalar())
    joined = _date(member.joined_on)
    segments: dict[str, frozenset[int] | None] = {}

    def in_segment(name: str) -> bool | None:
        if name not in segments:
            segments[name] = _segment(crm, name, on)
        found = segments[name]
        return None if found is None else member.id in found

    result = []
    for p in running:
        active = member.stage == "active"
        if p.audience == "everyone":
            ok = True
        elif p.audience == "applicants":
            ok = member.stage == "applicant"
        elif p.audience == "new_members":
            ok = active and joined is not None and \
                on - dt.timedelta(days=int(p.audience_arg or 0)) <= joined <= on
        elif p.audience == "department":
            ok = active and (department or "").lower() == (p.audience_arg or "").lower()
        elif p.audience == "without_loan":
            found = in_segment("without_loan")
            ok = active and (found is None or found)
        else:
            ok = bool(in_segment(p.audience_arg or ""))
        if ok:
            result.append(p)
    return result


# --- pushing ------------------------------------------------------------------------


def _channel(crm: CRM, promo: PromotionInfo, preferred: str | None) -> str:
    allowed = promo.channels or settings(crm).default_channels
    if not allowed:
        return preferred if preferred in crm.outbox.channels else \
            crm.config.notify.default_channel
    return preferred if preferred in allowed else allowed[0]


def _recipient(channel: str, email: str | None, phone: str | None) -> str | None:
    first = email if channel in ("smtp", "file", "console") else phone
    return first or email or phone


def push(crm: CRM, promotion_id: int | str, actor: Actor, *,
         progress: Callable[[int], None] | None = None) -> PushReport:
    """Queue the promotion for every audience member not reached before.

    One transaction; the audience, the members already reached and the member
    rows are read with set-based queries; messages and events are inserted in
    batches.  Members who opted out of marketing or have no address are
    counted, not messaged.  ``progress(n)`` is called as members are handled.
    """
    with crm.action("acquire.promotion_push", actor, permission="promotions.push"):
        promo = get(crm, promotion_id)
        today = crm.today()
        if not promo.is_running(today):
            raise ValidationError(f"promotion #{promo.id} is not running today (it runs "
                                  f"{_window(crm, promo)})")
        audience = audience_ids(crm, promo, today)
        reached_before = {r.member_id for r in PromotionEventRow.select(
            PromotionEventRow.member).where(PromotionEventRow.promotion == promo.id,
                                            PromotionEventRow.kind == "reached")}
        todo = sorted(audience - reached_before)
        template = _compile(crm, promo.body)
        product = _product(crm, promo.product)
        counts = {"reached": 0, "opted_out": 0, "unreachable": 0}
        now = crm.now()
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            messages, events, touched = [], [], []
            for m in Member.select().where(Member.id.in_(chunk)).order_by(Member.id):
                if m.marketing_opt_out:
                    counts["opted_out"] += 1
                    continue
                channel = _channel(crm, promo, m.preferred_channel)
                recipient = _recipient(channel, m.email, m.phone)
                if not recipient:
                    counts["unreachable"] += 1
                    continue
                info = member_info(m)
                text = _fill(template, _context(crm, info, promo, product), info)
                subject, body = crm.render_message(TEMPLATE, member=info, promotion=promo,
                                                   body=text, product=product)
                messages.append({"key": f"promo:{promo.id}:{m.id}", "member": m.id,
                                 "channel": channel, "recipient": recipient,
                                 "subject": subject, "body": body,
                                 "kind": "acquire.promotion", "essential": False,
                                 "status": "pending", "attempts": 0,
                                 "next_attempt_at": now, "created_at": now})
                events.append({"promotion": promo.id, "member": m.id, "kind": "reached",
                               "at": now, "actor": actor.username})
                touched.append((m.id, channel))
            if messages:
                OutboxMessage.insert_many(messages).execute()
                PromotionEventRow.insert_many(events).execute()
                crm.touch_many([member_id for member_id, _ in touched], "acquire", "for",
                               "promotion.reached", actor,
                               [{"promotion": promo.id, "channel": channel}
                                for _, channel in touched], at=now)
                counts["reached"] += len(messages)
            if progress is not None:
                progress(len(chunk))
        return PushReport(promotion=promo.id, reached=counts["reached"],
                          already=len(audience & reached_before),
                          opted_out=counts["opted_out"], unreachable=counts["unreachable"])


def _window(crm: CRM, promo: PromotionInfo) -> str:
    text = f"from {crm.locale.date(promo.starts_on)}"
    if promo.ends_on:
        text += f" to {crm.locale.date(promo.ends_on)}"
    return text + (", stopped" if promo.stopped else "")


# --- tracking -----------------------------------------------------------------------


def record_event(crm: CRM, promo: PromotionInfo, member_id: int, kind: str,
                 actor: Actor) -> bool:
    """Insert an event and its touchpoint unless recorded before; True when new."""
    exists = PromotionEventRow.select().where(
        PromotionEventRow.promotion == promo.id, PromotionEventRow.member == member_id,
        PromotionEventRow.kind == kind).exists()
    if exists:
        return False
    PromotionEventRow.create(promotion=promo.id, member=member_id, kind=kind, at=crm.now(),
                             actor=actor.username)
    crm.touch(member_id, "acquire", EVENT_INFO[kind], f"promotion.{kind}", actor,
              {"promotion": promo.id})
    return True


def track(crm: CRM, promotion_id: int | str, member_ref: int | str, kind: str,
          actor: Actor) -> Tracked:
    """Record that a member viewed, claimed, applied for or joined through a promotion.

    Members record their own views and claims (the member portal); anything
    else needs ``promotions.manage``.  Views and claims need the promotion running and
    offered to the member; a claim counts as a view too.  Recording the same
    event again is a replay that changes nothing.
    """
    if kind not in EVENTS[1:]:
        raise ValidationError(f"must be one of {', '.join(EVENTS[1:])}", field="event")
    with crm.action("acquire.promotion_track", actor) as act:
        member = crm.member_row(member_ref)
        if actor.member_id != member.id or kind not in ("viewed", "claimed"):
            crm.require(actor, "promotions.manage")
        promo = get(crm, promotion_id)
        if kind in ("viewed", "claimed"):
            today = crm.today()
            if not promo.is_running(today):
                raise ValidationError(f"promotion #{promo.id} is not running (it runs "
                                      f"{_window(crm, promo)})")
            reached = PromotionEventRow.select().where(
                PromotionEventRow.promotion == promo.id, PromotionEventRow.member == member.id,
                PromotionEventRow.kind == "reached").exists()
            if not reached and promo not in active_for(crm, member.id, today):
                raise ValidationError(f"promotion #{promo.id} is not offered to "
                                      f"{member.number or 'applicant #' + str(member.id)}")
        if kind == "claimed":
            record_event(crm, promo, member.id, "viewed", actor)
        new = record_event(crm, promo, member.id, kind, actor)
        act.done(new=new)
        return Tracked(promo.id, member.id, kind, replayed=not new)


def record_joined(crm: CRM, member: MemberInfo, actor: Actor,
                  promotion_id: int | None = None) -> list[int]:
    """On joining, credit every promotion the member applied through; returns their ids."""
    applied = {r.promotion_id for r in PromotionEventRow.select(PromotionEventRow.promotion)
               .where(PromotionEventRow.member == member.id,
                      PromotionEventRow.kind == "applied")}
    if promotion_id is not None:
        applied.add(promotion_id)
    credited = []
    for pid in sorted(applied):
        promo = get(crm, pid)
        record_event(crm, promo, member.id, "applied", actor)
        if record_event(crm, promo, member.id, "joined", actor):
            credited.append(pid)
    return credited


def funnel(crm: CRM, promotion_id: int | str | None = None) -> list[FunnelRow]:
    """Reached → viewed → claimed → applied → joined per promotion (one grouped query)."""
    promos = [get(crm, promotion_id)] if promotion_id is not None else find(crm)
    if not promos:
        return []
    counts: dict[tuple[int, str], int] = {}
    query = (PromotionEventRow.select(PromotionEventRow.promotion, PromotionEventRow.kind,
                                      fn.COUNT(PromotionEventRow.id).alias("n"))
             .where(PromotionEventRow.promotion.in_([p.id for p in promos]))
             .group_by(PromotionEventRow.promotion, PromotionEventRow.kind))
    for r in query:
        counts[(r.promotion_id, r.kind)] = r.n
    return [FunnelRow(p.id, p.title, *(counts.get((p.id, k), 0) for k in EVENTS))
            for p in promos]


# --- referrals ----------------------------------------------------------------------


@attrs.frozen
class ReferralRow:
    """A member who referred others: how many applied and how many joined."""

    member_id: int
    number: str | None
    name: str
    code: str
    referred: int
    joined: int


def referral_report(crm: CRM) -> list[ReferralRow]:
    """Referrers with the number of applicants they brought and how many joined (one query)."""
    referred = Member.alias()
    query = (Member.select(Member.id, Member.number, Member.name,
                           fn.COUNT(ApplicationRow.member).alias("referred"),
                           fn.SUM(Case(None, [(referred.stage.in_(JOINED_STAGES), 1)], 0))
                           .alias("joined"))
             .join(ApplicationRow, JOIN.INNER, on=(ApplicationRow.referrer == Member.id))
             .join(referred, on=(ApplicationRow.member == referred.id))
             .group_by(Member.id, Member.number, Member.name)
             .order_by(fn.COUNT(ApplicationRow.member).desc(), Member.number))
    return [ReferralRow(r.id, r.number, r.name, referral_code(r.id), r.referred,
                        int(r.joined or 0)) for r in query.objects()]
