"""Quorum: decisions that need more than one person, set per deployment.

A plugin names its decisions (``loans.approve``, ``loans.override``) and asks
:meth:`Quorum.record` each time a person approves; the decision takes effect only
when the approvals on record satisfy the deployment's rule.  Approvals are kept
per subject (``loan:42``), one per person: the same person approving twice is
told so and counts once, so four eyes are always two people.

A rule comes from the configuration::

    [quorum."loans.approve"]
    approvals = 2            # distinct people
    above = 10000000         # only for amounts above this (leave out: always)
    roles = ["credit_committee"]   # each listed role covered by a different person

Without a rule a decision needs one approval, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from dyncrm.db.models import Approval
from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor

if TYPE_CHECKING:
    from dyncrm.app import CRM


def _people(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if not 1 <= value <= 9:
        raise ValueError(f"{attribute.name} must be a number of people from 1 to 9, "
                         f"not {value}")


@attrs.frozen
class QuorumRule:
    """How many distinct people a decision needs, and which roles they must cover."""

    approvals: int = attrs.field(default=1, validator=_people)
    above: Decimal | None = None
    roles: tuple[str, ...] = ()

    def applies_to(self, amount: Money | None) -> bool:
        """True when the rule covers a decision about ``amount``."""
        return self.above is None or (amount is not None and amount.amount > self.above)

    def needed(self) -> int:
        """People needed: at least one per listed role."""
        return max(self.approvals, len(self.roles))


def merge(rules: Iterable[QuorumRule]) -> QuorumRule:
    """One rule as strict as all of ``rules`` together."""
    rules = list(rules)
    roles: list[str] = []
    for rule in rules:
        roles.extend(r for r in rule.roles if r not in roles)
    return QuorumRule(approvals=max([r.approvals for r in rules] or [1]), roles=tuple(roles))


@attrs.frozen
class QuorumStatus:
    """Who has approved a subject, and who is still needed."""

    decision: str
    subject: str
    approvers: tuple[str, ...]
    needed: int
    missing_roles: tuple[str, ...]
    replayed: bool = False

    @property
    def complete(self) -> bool:
        """True when the approvals on record satisfy the rule."""
        return len(self.approvers) >= self.needed and not self.missing_roles

    def describe(self) -> str:
        """A sentence for the person at the keyboard."""
        have = ", ".join(self.approvers) or "nobody"
        if self.complete:
            return f"approved by {have}"
        more = self.needed - len(self.approvers)
        parts = []
        if more > 0:
            parts.append(f"{more} more approval{'s' if more > 1 else ''} by another person")
        if self.missing_roles:
            parts.append("someone with the role " + " and someone with the role ".join(
                self.missing_roles))
        return f"approved so far by {have}; still needed: {'; '.join(parts)}"


class Quorum:
    """Approvals of one deployment; reach it as ``crm.quorum``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def rule(self, decision: str, amount: Money | None = None) -> QuorumRule:
        """The deployment's rule for ``decision`` about ``amount`` (one person by default)."""
        rule = self.crm.config.quorum.get(decision)
        if rule is None or not rule.applies_to(amount):
            return QuorumRule()
        return rule

    def status(self, decision: str, subject: str, rule: QuorumRule | None = None
               ) -> QuorumStatus:
        """The approvals on record for ``subject`` measured against ``rule``."""
        rule = rule or self.rule(decision)
        rows = list(Approval.select().where(Approval.decision == decision,
                                            Approval.subject == subject)
                    .order_by(Approval.id))
        return self._status(decision, subject, rule, rows)

    def _status(self, decision: str, subject: str, rule: QuorumRule, rows: list,
                replayed: bool = False) -> QuorumStatus:
        covered = _cover(rule.roles, [set(r.roles.split(",")) for r in rows])
        return QuorumStatus(decision=decision, subject=subject,
                            approvers=tuple(r.username for r in rows),
                            needed=rule.needed(),
                            missing_roles=tuple(r for r in rule.roles if r not in covered),
                            replayed=replayed)

    def record(self, decision: str, subject: str, actor: Actor, *,
               rule: QuorumRule | None = None, note: str = "") -> QuorumStatus:
        """Record ``actor``'s approval of ``subject`` (inside the caller's action).

        The caller locks the subject first (``crm.lock``), so two people approving
        at once see each other.  Approving twice counts once and says so
        (``replayed``).
        """
        if actor.is_system:
            raise ValidationError(f"{decision} needs a person; scheduled work cannot approve")
        rule = rule or self.rule(decision)
        if rule.roles and not (actor.roles & set(rule.roles)) and not actor.is_operator:
            raise ValidationError(
                f"{decision} of {subject} needs approvals by "
                f"{' and '.join(rule.roles)}; {actor.username} holds none of these roles")
        seen = Approval.get_or_none(Approval.decision == decision, Approval.subject == subject,
                                    Approval.username == actor.username)
        if seen is None:
            Approval.create(decision=decision, subject=subject, username=actor.username,
                            roles=",".join(sorted(actor.roles)), channel=actor.channel,
                            note=note, at=self.crm.now())
        rows = list(Approval.select().where(Approval.decision == decision,
                                            Approval.subject == subject)
                    .order_by(Approval.id))
        return self._status(decision, subject, rule, rows, replayed=seen is not None)


def _cover(required: tuple[str, ...], people: list[set[str]]) -> set[str]:
    """The largest set of ``required`` roles that distinct people can cover (matching)."""
    best: set[str] = set()

    def walk(i: int, used: set[int], got: set[str]) -> None:
        nonlocal best
        if len(got) > len(best):
            best = set(got)
        if i == len(required):
            return
        for j, roles in enumerate(people):
            if j not in used and required[i] in roles:
                walk(i + 1, used | {j}, got | {required[i]})
        walk(i + 1, used, got)

    walk(0, set(), set())
    return best
