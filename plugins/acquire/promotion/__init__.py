"""Plugin ``acquire.promotion``: products, promotions, the funnel and referral codes.

Library API (re-exported here): :func:`products`, :func:`add_product`,
:func:`add`, :func:`get`, :func:`find`, :func:`stop`, :func:`audience_ids`,
:func:`active_for`, :func:`push`, :func:`track`, :func:`funnel`,
:func:`render`, :func:`referral_code`, :func:`referral_report`; banner images:
:func:`set_banner`, :func:`remove_banner`, :func:`read_banner`.

Hooks it implements: it offers its own products (config and staff-added)
through ``dyncrm_acquire_products``; on ``dyncrm_acquire_application_received``
it records the ``applied`` step of the promotion an application names; on
``dyncrm_acquire_member_joined`` it records ``joined`` and, when the new
member was referred, fires ``dyncrm_acquire_referral_converted``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dyncrm import hookimpl
from dyncrm.i18n import N_
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, Permission
from dyncrm_acquire.models import ApplicationRow
from dyncrm_acquire.promotion.banners import read_banner, remove_banner, set_banner
from dyncrm_acquire.promotion.promotions import (
    AUDIENCES,
    EVENTS,
    PLUGIN,
    FunnelRow,
    PromotionInfo,
    PushReport,
    ReferralRow,
    Tracked,
    active_for,
    add,
    add_product,
    audience_ids,
    find,
    funnel,
    get,
    own_products,
    parse_audience,
    products,
    push,
    record_event,
    record_joined,
    referral_report,
    render,
    stop,
    track,
)
from dyncrm_acquire.referrals import member_id_of, referral_code
from dyncrm_acquire.registration.applications import Application
from dyncrm_acquire.settings import PromotionSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import MemberInfo

__all__ = [
    "AUDIENCES", "EVENTS", "FunnelRow", "PromotionInfo", "PushReport", "ReferralRow",
    "Tracked", "active_for", "add", "add_product", "audience_ids", "find", "funnel", "get",
    "member_id_of", "parse_audience", "products", "push", "read_banner", "referral_code",
    "referral_report", "remove_banner", "render", "set_banner", "stop", "track",
]


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_acquire.promotion.web:dyncrm_web",
    settings=PromotionSettings,
    models="dyncrm_acquire.models:PROMOTION_MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_acquire.promotion.cli:register",
    permissions=[
        Permission("promotions.manage", frozenset({"secretary", "admin"}),
                   "add products and promotions, record views and claims for members"),
        Permission("promotions.push", frozenset({"secretary", "admin"}),
                   "send a promotion to its audience"),
    ],
    requires=["acquire.registration"],
)
spec.export(globals())


@hookimpl
def dyncrm_acquire_products(crm: CRM):
    return own_products(crm) or None


@hookimpl
def dyncrm_acquire_application_received(crm: CRM, application: Application) -> None:
    """Credit the promotion an application names with an ``applied`` step."""
    if application.promotion_id is not None and application.id is not None:
        record_event(crm, get(crm, application.promotion_id), application.id, "applied",
                Actor(username=application.submitted_by or "system"))


@hookimpl
def dyncrm_acquire_member_joined(crm: CRM, member: MemberInfo, actor: Actor) -> None:
    """Record ``joined`` for promotions the member applied through; credit the referrer."""
    row = ApplicationRow.get_or_none(ApplicationRow.member == member.id)
    record_joined(crm, member, actor, row.promotion if row is not None else None)
    if row is not None and row.referrer_id is not None:
        referrer = crm.member(row.referrer_id)
        crm.touch(referrer.id, "acquire", "of", "referral.converted", actor,
                  {"member": member.id, "number": member.number})
        crm.hook.dyncrm_acquire_referral_converted(crm=crm, referrer=referrer, member=member)


@hookimpl
def dyncrm_member_details(crm: CRM, member: MemberInfo) -> dict[str, Any] | None:
    if member.stage not in ("active", "leaving"):
        return None
    referred = ApplicationRow.select().where(ApplicationRow.referrer == member.id).count()
    facts = {N_("Referral code"): referral_code(member.id)}
    if referred:
        facts[N_("Referred applicants")] = str(referred)
    return facts
