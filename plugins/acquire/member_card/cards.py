"""Member cards: issue and reissue, the signed QR payload, and verification.

The QR code holds ``MC1:<member number>:<serial>:<signature>``, where the
signature is an HMAC-SHA256 of the rest under the deployment's card secret,
truncated to 80 bits and written in base32 (so the whole payload fits QR's
compact alphanumeric mode).  Each issue of a card has a serial; reissuing
raises it, so an older card still verifies as genuine but ``superseded``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs
from peewee import JOIN, fn

from dyncrm.dates import as_date as _date
from dyncrm.db.models import Member
from dyncrm.errors import ConfigError, ValidationError
from dyncrm.values import Actor
from dyncrm_acquire.models import ApplicationRow, CardRow
from dyncrm_acquire.settings import CardSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "acquire.member_card"
PREFIX = "MC1"
CARD_STAGES = ("active", "leaving")


@attrs.frozen
class CardData:
    """Everything printed on one card."""

    member_id: int
    number: str
    name: str
    employee_number: str | None
    department: str | None
    joined_on: dt.date | None
    stage: str
    serial: int
    payload: str


@attrs.frozen
class CardCheck:
    """The answer to a scanned card: ``valid``, ``superseded`` or ``invalid`` (with why)."""

    status: str
    reason: str
    number: str | None = None
    name: str | None = None
    serial: int | None = None
    current_serial: int | None = None


def settings(crm: CRM) -> CardSettings:
    """The deployment's card settings."""
    return crm.plugin_config(PLUGIN)


def _secret(crm: CRM) -> bytes:
    """The configured signing key, else the deployment's own ``card-secret`` file.

    A secret configured as ``{ "$env" = "NAME" }`` whose variable is not set is
    refused (naming the variable), never replaced by the file's key: cards
    signed with another key would not verify on the other machines.
    """
    from dyncrm.config import secret_value

    secret = secret_value(settings(crm).secret)
    if not secret and crm.config.path is not None:
        from dyncrm.files import deployment_secret

        secret = deployment_secret(crm.config.path, "card-secret")
    if not secret:
        raise ConfigError('set a card signing secret: [plugins."acquire.member_card"] '
                          'secret = { "$env" = "DYNCRM_CARD_SECRET" }',
                          path=crm.config.path, key=f"plugins.{PLUGIN}.secret")
    return secret.encode()


def sign(crm: CRM, number: str, serial: int) -> str:
    """The QR payload of card ``serial`` of member ``number``."""
    body = f"{PREFIX}:{number}:{serial}"
    digest = hmac.new(_secret(crm), body.encode(), hashlib.sha256).digest()[:10]
    return f"{body}:{base64.b32encode(digest).decode()}"


def verify(crm: CRM, payload: str) -> CardCheck:
    """Check a scanned QR payload against the signature and the member's current card."""
    text = str(payload).strip()
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0].startswith(PREFIX + ":"):
        return CardCheck("invalid", "this is not a member card code")
    head, serial_text, _ = parts
    number = head[len(PREFIX) + 1:]
    if not serial_text.isascii() or not serial_text.isdigit() or len(serial_text) > 9:
        return CardCheck("invalid", "this is not a member card code")
    serial = int(serial_text)
    if not hmac.compare_digest(sign(crm, number, serial).encode(), text.encode()):
        return CardCheck("invalid", "the signature does not match: the card is forged or "
                         "damaged", number=number)
    member = Member.get_or_none(Member.number == number)
    if member is None:
        return CardCheck("invalid", "no member has this number", number=number)
    current = (CardRow.select(fn.MAX(CardRow.serial)).where(CardRow.member == member.id)
               .scalar()) or 0
    base = {"number": number, "name": member.name, "serial": serial,
            "current_serial": current}
    if member.stage not in CARD_STAGES:
        return CardCheck("invalid", f"the membership is {member.stage}", **base)
    if serial < current:
        return CardCheck("superseded", f"card {serial} was replaced by card {current}", **base)
    if serial > current:
        return CardCheck("invalid", "this card was never issued", **base)
    return CardCheck("valid", "genuine card of an active member", **base)


def _card_member(crm: CRM, member_ref: int | str) -> Member:
    member = crm.member_row(member_ref)
    if member.stage not in CARD_STAGES or not member.number:
        raise ValidationError(f"cards are for members; {member.name} is {member.stage}",
                              field="member")
    return member


def _current(member_ids: Iterable[int] | None = None) -> dict[int, int]:
    query = CardRow.select(CardRow.member, fn.MAX(CardRow.serial).alias("serial")).group_by(
        CardRow.member)
    if member_ids is not None:
        query = query.where(CardRow.member.in_(list(member_ids)))
    return {r.member_id: r.serial for r in query}


def issue(crm: CRM, member_ref: int | str, actor: Actor, *, reason: str = "") -> int:
    """Issue a new card to a member (first card or replacement); returns its serial.

    A replacement makes every older card of the member ``superseded``.
    """
    with crm.action("acquire.card_issue", actor, permission="cards.print"):
        member = _card_member(crm, member_ref)
        serial = _current([member.id]).get(member.id, 0) + 1
        CardRow.create(member=member.id, serial=serial, issued_by=actor.username,
                       issued_at=crm.now(), reason=reason)
        crm.touch(member.id, "acquire", "of", "card.reissued" if serial > 1 else "card.issued",
                  actor, {"serial": serial, "reason": reason})
        return serial


def cards_for(crm: CRM, actor: Actor, *, member_ids: Iterable[int] | None = None,
              stage: str | None = None) -> list[CardData]:
    """Card data for the given members or every numbered member in ``stage``.

    Members without a card get their first one.  A member may ask for their
    own card (``member_ids=[actor.member_id]``); everything else needs
    ``cards.print``.  Set-based: one query for the
    members with their profiles, one for the current serials, one insert for
    the missing cards.
    """
    if (member_ids is None) == (stage is None):
        raise ValidationError("name either members or a stage")
    member_ids = None if member_ids is None else list(member_ids)
    own = (actor.member_id is not None and "member" in actor.roles
           and member_ids is not None and set(member_ids) == {actor.member_id})
    with crm.action("acquire.card_print", actor,
                    permission=None if own else "cards.print"):
        query = (Member.select(Member, ApplicationRow.employee_number,
                               ApplicationRow.department)
                 .join(ApplicationRow, on=(ApplicationRow.member == Member.id),
                       join_type=JOIN.LEFT_OUTER)
                 .order_by(Member.number))
        if member_ids is not None:
            query = query.where(Member.id.in_(list(member_ids)))
        else:
            if stage not in CARD_STAGES:
                raise ValidationError(f"cards are printed for {' or '.join(CARD_STAGES)} "
                                      "members", field="stage")
            query = query.where(Member.stage == stage, Member.number.is_null(False))
        rows = list(query.objects())
        for m in rows:
            if m.stage not in CARD_STAGES or not m.number:
                raise ValidationError(f"cards are for members; {m.name} is {m.stage}",
                                      field="member")
        current = _current(m.id for m in rows) if member_ids is not None else _current()
        missing = [m for m in rows if m.id not in current]
        if missing:
            now = crm.now()
            CardRow.insert_many([{"member": m.id, "serial": 1, "issued_by": actor.username,
                                  "issued_at": now, "reason": ""} for m in missing]).execute()
            for m in missing:
                crm.touch(m.id, "acquire", "of", "card.issued", actor, {"serial": 1})
                current[m.id] = 1
        return [CardData(member_id=m.id, number=m.number, name=m.name,
                         employee_number=m.employee_number, department=m.department,
                         joined_on=_date(m.joined_on), stage=m.stage, serial=current[m.id],
                         payload=sign(crm, m.number, current[m.id])) for m in rows]
