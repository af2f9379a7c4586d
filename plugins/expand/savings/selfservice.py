"""What a member does with their own savings, and the lists the portal shows.

A member records a transfer to their own savings with a proof
(:func:`deposit_own_transfer`); it waits for a cashier like any transfer.  The
checks live here, not in the pages: only the member's own savings, only by
transfer, only with the proof's bytes (never a path on the server), and a
member never verifies a deposit (``verify_deposit`` needs ``savings.verify``).
"""

from __future__ import annotations

from decimal import Decimal

from dyncrm.db.models import Member
from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand.savings.deposits import deposit, deposit_result
from dyncrm_expand.savings.models import SavingsDeposit
from dyncrm_expand.savings.values import DepositResult


def deposit_own_transfer(crm, actor: Actor, product: str,
                         amount: Money | str | int | Decimal, *, reference: str,
                         proof: bytes | None, note: str = "") -> DepositResult:
    """Record a transfer a member made to their own savings; it waits for a cashier.

    The member is the actor's own (``actor.member_id``); there is no way to name
    another.  ``proof`` is the uploaded file's bytes (JPEG, PNG or PDF, checked by
    content); without it nothing is recorded.  ``reference`` is the idempotency
    key (the same form sent twice records one deposit).
    """
    if actor.member_id is None:
        raise PermissionDenied(actor.username, "record a transfer to their own savings "
                               "(the account is not a member's)", actor.roles)
    if proof is None or not isinstance(proof, bytes | bytearray) or not proof:
        raise ValidationError("a transfer needs the proof of transfer (photo or PDF)",
                              field="proof")
    return deposit(crm, actor, actor.member_id, product, amount, method="transfer",
                   reference=reference, proof=bytes(proof), note=note)


def deposits_of(crm, member_id: int, *, limit: int = 50) -> list[DepositResult]:
    """A member's deposits, newest first (pending, posted and rejected)."""
    query = (SavingsDeposit.select().where(SavingsDeposit.member == member_id)
             .order_by(SavingsDeposit.recorded_at.desc(), SavingsDeposit.id.desc())
             .limit(limit))
    return [deposit_result(crm, row) for row in query]


def pending_transfers(crm) -> list[tuple[DepositResult, Member, object]]:
    """Transfers waiting for verification with their member and arrival time, oldest first.

    One query (deposits joined to members), for work queues.
    """
    query = (SavingsDeposit.select(SavingsDeposit, Member)
             .join(Member, on=(SavingsDeposit.member == Member.id))
             .where(SavingsDeposit.status == "pending")
             .order_by(SavingsDeposit.recorded_at, SavingsDeposit.id))
    return [(deposit_result(crm, row), row.member, row.recorded_at) for row in query]


__all__ = ["deposit_own_transfer", "deposits_of", "pending_transfers"]
