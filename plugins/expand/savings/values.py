"""Values the savings API returns: immutable, JSON-friendly through ``dyncrm.output.plain``."""

from __future__ import annotations

import datetime as dt

import attrs

from dyncrm.money import Money


@attrs.frozen
class DepositResult:
    """A deposit as recorded; ``replayed`` says the reference was seen before.

    ``status`` is ``posted`` (in the ledger), ``pending`` (a transfer waiting
    for a cashier) or ``rejected`` (with ``reject_reason``).
    """

    id: int
    member_id: int
    product: str
    amount: Money
    method: str
    reference: str
    status: str
    on: dt.date
    entry_id: int | None
    replayed: bool = False
    recorded_by: str = ""
    decided_by: str | None = None
    reject_reason: str | None = None
    note: str = ""
    proof_file: str | None = None
    proof_name: str | None = None
    proof_sha256: str | None = None
    proof_type: str | None = None  # content type of the stored proof, found by parsing
    #: other deposits whose proof is the same file (set by ``deposit`` when it records one)
    duplicate_proof_of: tuple[int, ...] = ()


@attrs.frozen
class ProofUse:
    """Another deposit whose proof is the same file (same SHA-256 as uploaded or stored)."""

    deposit_id: int
    member_id: int
    member: str  # "number name"
    product: str
    amount: Money
    method: str
    reference: str
    on: dt.date
    status: str  # pending | posted | rejected | reversed

    def describe(self, format_money) -> str:
        """``#3 (A001 Siti Aminah, sukarela Rp 250.000, ref TRF-1, 2026-03-02, posted)``."""
        return (f"#{self.deposit_id} ({self.member}, {self.product} "
                f"{format_money(self.amount)}, ref {self.reference}, {self.on.isoformat()}, "
                f"{self.status})")


@attrs.frozen
class WithdrawalResult:
    """A sukarela withdrawal posted to the ledger (or found again by its reference)."""

    entry_id: int
    member_id: int
    product: str
    amount: Money
    method: str
    reference: str
    on: dt.date
    balance_after: Money
    replayed: bool = False


@attrs.frozen
class SukarelaCredit:
    """Money another plugin credited to a member's sukarela savings."""

    entry_id: int
    member_id: int
    amount: Money
    reference: str
    replayed: bool = False


@attrs.frozen
class SukarelaDebit:
    """Sukarela savings moved out to another account by a program (``debit_sukarela``)."""

    entry_id: int
    member_id: int
    amount: Money
    reference: str
    target_account: str
    balance_after: Money
    replayed: bool = False


@attrs.frozen
class StatementLine:
    """One movement of a savings account, with the running balance after it."""

    date: dt.date
    entry_id: int
    kind: str
    memo: str
    amount: Money
    balance: Money
    key: str | None = None


@attrs.frozen
class Statement:
    """A member's movements on one product over a period, with opening and closing balance."""

    member_id: int
    product: str
    since: dt.date | None
    until: dt.date | None
    opening: Money
    lines: tuple[StatementLine, ...]
    closing: Money
