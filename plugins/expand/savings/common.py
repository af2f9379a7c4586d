"""Helpers shared by the modules of ``expand.savings``: settings, amounts, accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dyncrm import inputs
from dyncrm.db.models import Member
from dyncrm.errors import ValidationError
from dyncrm.lifecycle import member_label
from dyncrm.money import Money, from_minor, to_minor
from dyncrm.values import Actor, MemberInfo
from dyncrm_expand.savings.config import PRODUCTS, SavingsSettings
from dyncrm_expand.savings.wajib import WajibCalculator

PLUGIN = "expand.savings"




def settings(crm) -> SavingsSettings:
    """The deployment's savings settings."""
    return crm.plugin_config(PLUGIN)


def calculator(crm) -> WajibCalculator:
    """The wajib arithmetic with this deployment's settings."""
    return WajibCalculator(settings(crm), crm.ledger.exponent(crm.currency))


def member_row(crm, member: MemberInfo | int | str) -> Member:
    """The member row for a ``MemberInfo``, an id or a member number."""
    if isinstance(member, MemberInfo):
        return crm.member_row(member.id)
    return crm.member_row(member)


def canonical_product(crm, product: str) -> str:
    """``pokok``/``wajib``/``sukarela`` for what a user typed, else a ``ValidationError``."""
    name = settings(crm).canonical(product)
    if name is None:
        codes = ", ".join(settings(crm).product(p).code for p in PRODUCTS)
        raise ValidationError(f"unknown savings product {product!r}; products: {codes}",
                              field="product")
    return name


def product_name(crm, product: str) -> str:
    """The configured display name of a canonical product."""
    return settings(crm).product(product).name


def parse_amount(crm, amount: Money | str | int | Decimal, field: str = "amount") -> Money:
    """A positive amount of the organisation's currency, exact to its minor unit."""
    if not isinstance(amount, Money | str | int | Decimal) or isinstance(amount, bool):
        raise ValidationError(f"{amount!r} is not an amount", field=field)
    value = crm.money(amount, field=field)  # storable, within max_amount, whole minor units
    if value.amount <= 0:
        raise ValidationError(f"must be above zero, not {crm.format_money(value)}", field=field)
    return value


def to_units(crm, value: Money) -> int:
    """Integer minor units of ``value``."""
    return to_minor(value, crm.ledger.exponent(value.currency))


def from_units(crm, units: int) -> Money:
    """Money from minor units of the organisation's currency."""
    return from_minor(int(units), crm.currency, crm.ledger.exponent(crm.currency))


def check_reference(reference: str | None) -> str:
    """A usable idempotency reference, stripped."""
    return inputs.reference(reference or "", field="reference", max_length=120)


def date_on(crm, on: dt.date | None) -> dt.date:
    """``on`` or today; never a future date."""
    today = crm.today()
    if on is None:
        return today
    return inputs.check_date(on, field="date", kind="past", today=today)


def savings_account(crm, product: str, member_id: int) -> str:
    """The ledger code of a member's savings account, opened if new."""
    return crm.ledger.open_account(f"savings.{product}", type="liability", member_id=member_id,
                                   name=f"{product_name(crm, product)} m{member_id}")


def money_account(crm, method: str) -> str:
    """``cash`` for cash, ``bank`` for transfers and payroll remittances (opened if new)."""
    kind = "cash" if method == "cash" else "bank"
    return crm.ledger.open_account(kind, type="asset", name="Cash" if kind == "cash" else "Bank")


def can_view(crm, actor: Actor, member_id: int) -> None:
    """Members see their own savings; anyone else needs ``savings.view``."""
    if actor.member_id is not None and actor.member_id == member_id:
        return
    crm.require(actor, "savings.view")


def require_active(member: Member, doing: str) -> None:
    """Refuse to move savings of a member who is not active."""
    if member.stage != "active":
        raise ValidationError(
            f"cannot {doing} for {member_label(member)}: the member is {member.stage!r}, "
            "and savings move only for active members")


def notify(crm, member_id: int, template: str, *, kind: str, key: str, **context: Any) -> None:
    """Queue an essential message to the member (skipped when they have no address)."""
    crm.notify_member(member_id, template, kind=kind, key=key, essential=True, **context)
