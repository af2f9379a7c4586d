"""An append-only double-entry ledger on integer minor units.

Every entry has two or more legs whose amounts sum to zero for each commodity
(a currency, or reward ``POINTS``).  Balances are sums of postings; nothing is
ever updated or deleted, and a correction is a reversing entry.  An entry may
carry an idempotency key: posting the same key again returns the original
entry with ``replayed=True`` and writes nothing.

Sign convention: debits are positive, credits negative.  ``balance(...,
natural=True)`` flips the sign for credit-normal accounts (liability, equity,
income), so a member's savings read as a positive amount.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import attrs
from peewee import JOIN, fn

from dyncrm.dates import as_date as _as_date
from dyncrm.db import bulk
from dyncrm.db.concurrency import insert_once
from dyncrm.db.models import Account, JournalEntry, Member, Posting, utcnow
from dyncrm.errors import (
    NotFoundError,
    OwnedEntryError,
    PluginError,
    UnbalancedEntryError,
    ValidationError,
)
from dyncrm.gc_pause import gc_paused
from dyncrm.money import Money, exponent_of, from_minor, to_minor
from dyncrm.periods import check_open
from dyncrm.values import EntryInfo, EntryOwner, Leg, PostResult

if TYPE_CHECKING:
    from dyncrm.app import CRM

ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
CREDIT_NORMAL = frozenset({"liability", "equity", "income"})
#: Entries per statement in :meth:`Ledger.post_many` (and account codes per lookup).
BULK_CHUNK = 500
_ENTRY_COLUMNS = ("key", "kind", "memo", "effective_date", "recorded_at", "actor", "member_id",
                  "meta", "owner")
_POSTING_COLUMNS = ("entry_id", "account_id", "amount", "commodity")


@attrs.frozen
class EntrySpec:
    """One entry for :meth:`Ledger.post_many`: the arguments :meth:`Ledger.post` takes."""

    legs: tuple[Leg, ...] = attrs.field(converter=tuple)
    kind: str
    actor: str
    key: str | None = None
    memo: str = ""
    on: dt.date | None = None
    member_id: int | None = None
    meta: dict | None = attrs.field(default=None, eq=False)
    #: the owning plugin; ``None``: the plugin declaring ``kind`` (:meth:`Ledger.owner_of`)
    owner: str | None = None


class Ledger:
    """The ledger of one CRM; reach it as ``crm.ledger``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self._owners: list[EntryOwner] | None = None
        self._exponents: dict[str, int] = {}
        #: minor units of the amounts a bulk post met: ``{(Decimal, exponent): units}``
        self._units: dict[tuple, int] = {}

    # -- ownership -----------------------------------------------------------

    def owners(self) -> list[EntryOwner]:
        """What the enabled plugins declare they own (hook ``dyncrm_ledger_owners``).

        Two plugins claiming the same entry kind is a :class:`~dyncrm.errors.PluginError`.
        """
        if self._owners is None:
            found: list[EntryOwner] = []
            for declared in self.crm.hook.dyncrm_ledger_owners():
                for owner in declared or []:
                    if not isinstance(owner, EntryOwner):
                        raise PluginError("dyncrm_ledger_owners must return EntryOwner "
                                          f"values, not {type(owner).__name__}")
                    for other in found:
                        clash = [k for k in owner.kinds if other.owns(k)] + \
                                [k for k in other.kinds if owner.owns(k)]
                        if other.plugin != owner.plugin and clash:
                            raise PluginError(
                                f"entry kind {clash[0]!r} is claimed by both {other.plugin} "
                                f"and {owner.plugin}", hook="dyncrm_ledger_owners")
                    found.append(owner)
            self._owners = found
        return self._owners

    def owner_of(self, kind: str) -> EntryOwner | None:
        """The declaration owning entries of ``kind``, if an enabled plugin claims it."""
        return next((o for o in self.owners() if o.owns(kind)), None)

    def _owner_for(self, kind: str, owner: str | None) -> str | None:
        """The owner to record on a new entry: the one given, else the kind's declarer."""
        if owner is not None:
            return owner
        declared = self.owner_of(kind)
        return declared.plugin if declared is not None else None

    def correction_command(self, entry: EntryInfo) -> str | None:
        """The owning plugin's correction command for ``entry`` (None if none is declared)."""
        mine = [o for o in self.owners() if o.plugin == entry.owner]
        best = next((o for o in mine if o.owns(entry.kind)), mine[0] if mine else None)
        return best.command(entry.id) if best is not None else None

    # -- accounts ----------------------------------------------------------

    def exponent(self, commodity: str) -> int:
        """Minor-unit exponent for ``commodity`` in this deployment."""
        return exponent_of(commodity, self.crm.exponents)

    def open_account(
        self,
        kind: str,
        *,
        type: str,
        name: str | None = None,
        member_id: int | None = None,
        commodity: str | None = None,
    ) -> str:
        """Return the code of the account ``kind`` (for ``member_id``), opening it if new.

        Codes are ``kind`` for organisation accounts and ``kind:m<member id>`` for
        members' own, e.g. ``savings.wajib:m42``.
        """
        if type not in ACCOUNT_TYPES:
            raise ValidationError(f"account type must be one of {', '.join(ACCOUNT_TYPES)}",
                                  field="type")
        commodity = commodity or self.crm.currency
        code = kind if member_id is None else f"{kind}:m{member_id}"
        account = Account.get_or_none(Account.code == code)
        if account is None:
            # a concurrent session may open the same account: then use its row
            insert_once(Account, {"code": code, "name": name or code, "type": type,
                                  "kind": kind, "member": member_id, "commodity": commodity})
            account = Account.get(Account.code == code)
        if account.type != type or account.commodity != commodity:
            raise ValidationError(
                f"account {code} exists as {account.type}/{account.commodity}, "
                f"not {type}/{commodity}"
            )
        return code

    def open_accounts(
        self,
        kind: str,
        member_ids: Iterable[int],
        *,
        type: str,
        name: str | None = None,
        commodity: str | None = None,
    ) -> dict[int, str]:
        """:meth:`open_account` for many members at once: ``{member_id: code}``.

        ``name`` may hold ``{member_id}`` (default: the code).
        One lookup per chunk of codes and one multi-row insert for the accounts
        not opened yet (a concurrent session opening the same account is
        tolerated, as in :meth:`open_account`).  Refuses, opening nothing, when
        an existing account has another type or commodity.
        """
        if type not in ACCOUNT_TYPES:
            raise ValidationError(f"account type must be one of {', '.join(ACCOUNT_TYPES)}",
                                  field="type")
        commodity = commodity or self.crm.currency
        codes = {m: f"{kind}:m{m}" for m in dict.fromkeys(member_ids)}
        found = self._accounts(codes.values())
        self._check_type(found, type, commodity)
        missing = [{"code": code, "name": name.format(member_id=m) if name else code,
                    "type": type, "kind": kind, "member": m,
                    "commodity": commodity} for m, code in codes.items() if code not in found]
        bulk.insert_dicts(self.crm.database, Account, missing, ignore_conflicts=True)
        if missing:  # a concurrent session may have opened some: check what is there
            self._check_type(self._accounts(row["code"] for row in missing), type, commodity)
        return codes

    @staticmethod
    def _check_type(found: dict[str, tuple[str, str]], type: str, commodity: str) -> None:
        for code, (has_type, has_commodity) in found.items():
            if has_type != type or has_commodity != commodity:
                raise ValidationError(
                    f"account {code} exists as {has_type}/{has_commodity}, "
                    f"not {type}/{commodity}")

    def _accounts(self, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``{code: (type, commodity)}`` of the accounts among ``codes`` (one ``IN``
        query per chunk)."""
        rows = bulk.select_in(self.crm.database, "SELECT code, type, commodity FROM account "
                                                 "WHERE code IN ({in})", list(codes),
                              size=BULK_CHUNK)
        return {code: (type_, commodity) for code, type_, commodity in rows}

    def account(self, code: str) -> Account:
        """The account row with ``code`` (raises ``NotFoundError``)."""
        account = Account.get_or_none(Account.code == code)
        if account is None:
            raise NotFoundError("account", code)
        return account

    def lock(self, accounts: Iterable[str]) -> list[str]:
        """Lock accounts by code until the action ends: ``lock`` first, then check, then post.

        Every check-then-post (a withdrawal against the balance, a payout against
        what is owed, a redemption against points) locks the accounts it checks
        before reading their balances, inside the same ``crm.action``; another
        action locking any of them waits, then reads the balance this one left.
        An account not opened yet can be locked too (its name is locked, not its
        row).  Accounts are locked in sorted order.  See :meth:`CRM.lock <dyncrm.app.CRM.lock>`.
        """
        if isinstance(accounts, str):
            accounts = [accounts]
        return self.crm.lock(f"account:{code}" for code in accounts)

    # -- posting -------------------------------------------------------------

    def post(
        self,
        legs: Sequence[Leg],
        *,
        kind: str,
        actor: str,
        key: str | None = None,
        memo: str = "",
        on: dt.date | None = None,
        member_id: int | None = None,
        reverses: int | None = None,
        meta: dict | None = None,
        owner: str | None = None,
    ) -> PostResult:
        """Write one balanced entry, or return the entry already posted under ``key``.

        Must run inside a transaction (``crm.action``); the entry, its postings
        and whatever the ``dyncrm_transaction_posted`` hooks write commit together.
        ``owner`` is the plugin that owns the entry (default: the enabled plugin
        declaring ``kind`` through ``dyncrm_ledger_owners``, else nobody); only
        that plugin may reverse it (:meth:`reverse`).  An entry dated inside a
        closed period is refused (:class:`~dyncrm.periods.ClosedPeriodError`,
        see :mod:`dyncrm.periods`), after a shared lock on its month.
        """
        if key is not None:
            existing = JournalEntry.get_or_none(JournalEntry.key == key)
            if existing is not None:
                return PostResult(self._info(existing), replayed=True)
        if len(legs) < 2:
            raise ValidationError("a journal entry needs at least two legs")
        codes = list(dict.fromkeys(leg.account for leg in legs))
        accounts = {}
        for start in range(0, len(codes), BULK_CHUNK):  # a year's closing has many legs
            accounts.update((a.code, a) for a in Account.select().where(
                Account.code.in_(codes[start:start + BULK_CHUNK])))
        totals: dict[str, int] = defaultdict(int)
        rows = []
        for leg in legs:
            account = accounts.get(leg.account)
            if account is None:
                raise NotFoundError("account", leg.account)
            if leg.amount.currency != account.commodity:
                raise ValidationError(
                    f"account {account.code} holds {account.commodity}, "
                    f"not {leg.amount.currency}"
                )
            units = to_minor(leg.amount, self.exponent(leg.amount.currency))
            totals[leg.amount.currency] += units
            rows.append((account, units, leg.amount.currency))
        for commodity, total in totals.items():
            if total != 0:
                raise UnbalancedEntryError(
                    commodity, from_minor(total, commodity, self.exponent(commodity)).amount
                )
        effective_date = on or self.crm.today()
        check_open(self.crm, [effective_date])  # nothing dated inside a closed period
        owner = self._owner_for(kind, owner)
        row = {"key": key, "kind": kind, "memo": memo, "effective_date": effective_date,
               "actor": actor, "member": member_id, "reverses": reverses, "meta": meta or {},
               "owner": owner}
        if key is None:
            entry_id = JournalEntry.insert(**row).execute()
        else:
            entry_id = insert_once(JournalEntry, row)
            if entry_id is None:  # posted by a concurrent session a moment ago
                existing = JournalEntry.get(JournalEntry.key == key)
                return PostResult(self._info(existing), replayed=True)
        for start in range(0, len(rows), BULK_CHUNK):
            Posting.insert_many(
                [{"entry": entry_id, "account": a.id, "amount": u, "commodity": c}
                 for a, u, c in rows[start:start + BULK_CHUNK]]
            ).execute()
        info = EntryInfo(
            id=entry_id, key=key, kind=kind, memo=memo, effective_date=effective_date,
            actor=actor, member_id=member_id, legs=tuple(legs), reverses=reverses,
            meta=meta or {}, owner=owner,
        )
        self._announce_one(info)
        return PostResult(info, replayed=False)

    @gc_paused()  # thousands of entries, legs and results kept until the batch ends
    def post_many(self, entries: Iterable[EntrySpec], *, chunk: int = BULK_CHUNK
                  ) -> list[PostResult]:
        """Write many balanced entries set-based; the same result as :meth:`post` in a loop.

        For batch work (a payroll confirmation, an SHU payout): per chunk of
        ``chunk`` entries one ``IN`` query finds the keys already posted (those
        entries are replays and write nothing, as with :meth:`post`) and one
        resolves the account codes (cached for the batch); then prepared SQL
        text (:mod:`dyncrm.db.bulk`, no query building) writes the entries with
        multi-row inserts, reads their ids back by key in one ``IN`` query, and
        writes the postings with multi-row inserts: a fixed number of
        statements per chunk on SQLite, PostgreSQL and MariaDB alike.  Entries
        without a key are inserted one statement each (batch callers key
        theirs).  Every entry is checked before anything is written, with the
        checks of :meth:`post` (two legs or more, known accounts of the leg's
        commodity, balanced per commodity, not dated inside a closed period);
        one bad entry refuses the whole batch.  Runs in a savepoint: all entries or none.

        After each chunk is written (a hook reading the ledger sees the whole
        chunk), in the same transaction: ``dyncrm_transaction_posted`` once per
        new entry, in order, on the plugins that implement only that hook, then
        ``dyncrm_transactions_posted`` once with the chunk's new entries (the
        core issues their receipts there, set-based).  Two specs with the same key: the
        second is a replay of the first.  Returns one :class:`~dyncrm.values.PostResult` per
        spec, in order.  Must run inside ``crm.action``, like :meth:`post`.
        """
        specs = list(entries)
        if not specs:
            return []
        chunk = max(1, int(chunk))
        db = self.crm.database
        keys = [s.key for s in specs if s.key is not None]
        existing = self._infos_by_key(keys, chunk) if keys else {}
        accounts = self._account_ids(leg.account for s in specs for leg in s.legs)
        today = self.crm.today()
        recorded = utcnow()
        self._units = {}  # the amounts of this batch only
        planned: list[tuple | None] = []
        first_of: dict[str, int] = {}
        owners: dict = {}  # the owner of each (kind, owner given), asked once per batch
        for i, spec in enumerate(specs):
            if spec.key is not None and (spec.key in existing or spec.key in first_of):
                planned.append(None)
                continue
            if spec.key is not None:
                first_of[spec.key] = i
            owner = owners.get((spec.kind, spec.owner), owners)
            if owner is owners:
                owner = owners[(spec.kind, spec.owner)] = self._owner_for(spec.kind, spec.owner)
            planned.append((spec.on or today, spec.meta or {},
                            self._checked_legs(spec.legs, accounts), owner))
        self._units = {}
        results: list[PostResult | None] = [None] * len(specs)
        fresh = [i for i, p in enumerate(planned) if p is not None]
        check_open(self.crm, {planned[i][0] for i in fresh})  # one query for the batch
        each, batch = self._bulk_hooks()
        with db.atomic():
            for start in range(0, len(fresh), chunk):
                part = fresh[start:start + chunk]
                ids = self._insert_entries([specs[i] for i in part],
                                           [planned[i] for i in part], recorded)
                bulk.insert_rows(db, "posting", _POSTING_COLUMNS,
                                 [(entry_id, a, u, c)
                                  for i, entry_id in zip(part, ids, strict=True)
                                  for a, u, c in planned[i][2]])
                infos = []
                for i, entry_id in zip(part, ids, strict=True):
                    spec, (day, meta, _, owner) = specs[i], planned[i]
                    info = EntryInfo(
                        id=entry_id, key=spec.key, kind=spec.kind, memo=spec.memo,
                        effective_date=day, actor=spec.actor, member_id=spec.member_id,
                        legs=spec.legs, reverses=None, meta=meta, owner=owner)
                    results[i] = PostResult(info, replayed=False)
                    infos.append(info)
                if each is not None:
                    for info in infos:
                        each(crm=self.crm, entry=info)
                batch(crm=self.crm, entries=infos)
        for i, spec in enumerate(specs):
            if results[i] is None:
                info = existing.get(spec.key) or results[first_of[spec.key]].entry
                results[i] = PostResult(info, replayed=True)
        return results

    def _announce_one(self, info: EntryInfo) -> None:
        """``dyncrm_transaction_posted`` for one new entry, and ``dyncrm_transactions_posted``
        with it alone on the plugins that implement only the batch hook."""
        hook = self.crm.hook
        hook.dyncrm_transaction_posted(crm=self.crm, entry=info)
        batched = hook.dyncrm_transactions_posted.get_hookimpls()
        if not batched:
            return
        each = {impl.plugin for impl in hook.dyncrm_transaction_posted.get_hookimpls()}
        only = [impl.plugin for impl in batched if impl.plugin not in each]
        if only:
            self.crm.pm.subset_hook_caller(
                "dyncrm_transactions_posted",
                remove_plugins=[p for p in each if p not in only])(crm=self.crm, entries=[info])

    def _bulk_hooks(self):
        """The hook callers of a bulk post: ``dyncrm_transaction_posted`` on the plugins
        that do not implement ``dyncrm_transactions_posted`` (None when there are none),
        and ``dyncrm_transactions_posted``."""
        hook = self.crm.hook
        batched = {impl.plugin for impl in hook.dyncrm_transactions_posted.get_hookimpls()}
        others = [impl for impl in hook.dyncrm_transaction_posted.get_hookimpls()
                  if impl.plugin not in batched]
        if not others:
            return None, hook.dyncrm_transactions_posted
        if not batched:
            return hook.dyncrm_transaction_posted, hook.dyncrm_transactions_posted
        return (self.crm.pm.subset_hook_caller("dyncrm_transaction_posted",
                                                    remove_plugins=list(batched)),
                hook.dyncrm_transactions_posted)

    def _checked_legs(self, legs: Sequence[Leg], accounts: dict[str, tuple[int, str]]
                      ) -> list[tuple[int, int, str]]:
        """``(account id, units, commodity)`` per leg, with :meth:`post`'s checks
        (``accounts``: ``{code: (id, commodity)}``)."""
        if len(legs) < 2:
            raise ValidationError("a journal entry needs at least two legs")
        totals: dict[str, int] = defaultdict(int)
        rows = []
        exponents = self._exponents
        units_of = self._units
        for leg in legs:
            found = accounts.get(leg.account)
            if found is None:
                raise NotFoundError("account", leg.account)
            currency = leg.amount.currency
            if currency != found[1]:
                raise ValidationError(
                    f"account {leg.account} holds {found[1]}, not {currency}")
            exp = exponents.get(currency)
            if exp is None:
                exp = exponents[currency] = self.exponent(currency)
            amount = leg.amount.amount
            units = units_of.get((amount, exp))  # a batch repeats its amounts
            if units is None:
                units = units_of[(amount, exp)] = to_minor(leg.amount, exp)
            totals[currency] += units
            rows.append((found[0], units, currency))
        for commodity, total in totals.items():
            if total != 0:
                raise UnbalancedEntryError(
                    commodity, from_minor(total, commodity, self.exponent(commodity)).amount)
        return rows

    def _account_ids(self, codes: Iterable[str]) -> dict[str, tuple[int, str]]:
        """``{code: (id, commodity)}`` of the accounts among ``codes`` (one ``IN`` query
        per chunk)."""
        db = self.crm.database
        rows = bulk.select_in(db, "SELECT code, id, commodity FROM account WHERE code IN "
                                  "({in})", list(codes), size=BULK_CHUNK)
        return {code: (account_id, commodity) for code, account_id, commodity in rows}

    def _insert_entries(self, specs: list[EntrySpec], planned: list[tuple],
                        recorded: dt.datetime) -> list[int]:
        """Insert the entries of one chunk; their ids in order.

        Keyed entries: multi-row inserts, then one ``IN`` query by key for the ids
        (every backend, whatever order ``RETURNING`` would give).  Entries without
        a key: one insert each.
        """
        db = self.crm.database
        date_value = bulk.day_values(db, JournalEntry.effective_date)
        stamp = bulk.stamp(db, JournalEntry.recorded_at.db_value(recorded))
        meta_value = JournalEntry.meta.db_value
        rows = [(s.key, s.kind, s.memo, date_value(day), stamp, s.actor, s.member_id,
                 meta_value(meta), owner)
                for s, (day, meta, _, owner) in zip(specs, planned, strict=True)]
        out: list[int] = []
        start = 0
        while start < len(rows):  # runs of keyed rows together, in order
            end = start
            while end < len(rows) and rows[end][0] is not None:
                end += 1
            if end == start:
                row = rows[start]
                out.append(JournalEntry.insert(
                    key=None, kind=row[1], memo=row[2], effective_date=row[3],
                    recorded_at=recorded, actor=row[5], member=row[6],
                    meta=json.loads(row[7]), **dict(zip(_ENTRY_COLUMNS[8:], row[8:],
                                                        strict=True))).execute())
                start += 1
                continue
            keyed = rows[start:end]
            bulk.insert_rows(db, "journal_entry", _ENTRY_COLUMNS, keyed)
            k = bulk.quote(db, "key")
            ids = dict(bulk.select_in(
                db, f"SELECT {k}, id FROM journal_entry WHERE {k} IN ({{in}})",
                [r[0] for r in keyed], size=len(keyed)))
            if len(ids) != len(keyed):
                raise RuntimeError("the database returned fewer entry ids than it inserted")
            out.extend(ids[r[0]] for r in keyed)
            start = end
        return out

    def _infos_by_key(self, keys: list[str], chunk: int) -> dict[str, EntryInfo]:
        """Entries already posted under ``keys``, with their legs (two queries per chunk)."""
        db = self.crm.database
        k = bulk.quote(db, "key")
        found: dict[str, EntryInfo] = {}
        entries = bulk.select_in(
            db, f"SELECT id, {k}, kind, memo, effective_date, actor, member_id, reverses_id, "
                f"meta, owner FROM journal_entry WHERE {k} IN ({{in}})", keys, size=chunk)
        if not entries:
            return found
        legs: dict[int, list[Leg]] = defaultdict(list)
        for entry_id, code, amount, commodity in bulk.select_in(
                db, "SELECT p.entry_id, a.code, p.amount, p.commodity FROM posting p "
                    "JOIN account a ON a.id = p.account_id WHERE p.entry_id IN ({in}) "
                    "ORDER BY p.id", [e[0] for e in entries], size=chunk):
            legs[entry_id].append(Leg(code, from_minor(amount, commodity,
                                                       self.exponent(commodity))))
        meta_value = JournalEntry.meta.python_value
        for entry_id, key, kind, memo, day, actor, member_id, reverses, meta, owner in entries:
            if owner is None:
                declared = self.owner_of(kind)
                owner = declared.plugin if declared is not None else None
            found[key] = EntryInfo(
                id=entry_id, key=key, kind=kind, memo=memo, effective_date=_as_date(day),
                actor=actor, member_id=member_id, legs=tuple(legs[entry_id]),
                reverses=reverses, meta=meta_value(meta) or {}, owner=owner)
        return found

    def transfer(self, amount: Money, *, debit: str, credit: str, **kwargs) -> PostResult:
        """Post a two-leg entry: ``amount`` debited to ``debit``, credited to ``credit``."""
        if amount.amount <= 0:
            raise ValidationError("amount must be above zero", field="amount")
        return self.post([Leg(debit, amount), Leg(credit, -amount)], **kwargs)

    def reverse(self, entry_id: int, *, actor: str, key: str | None = None, memo: str = "",
                on: dt.date | None = None, owner: str | None = None,
                meta: dict | None = None) -> PostResult:
        """Post the mirror image of entry ``entry_id`` (the only way to correct).

        An entry a plugin owns (``EntryInfo.owner``) is reversed only by that
        plugin, which passes its name as ``owner`` and keeps its own records in
        step in the same action; anyone else gets
        :class:`~dyncrm.errors.OwnedEntryError` naming the plugin's correction
        command.  The reversal belongs to the same owner.  ``key`` (default
        ``reversal:<id>``) makes a repeat a replay.  The reversal is dated ``on``
        or today: a correction of an entry in a closed period goes into an open
        one (a date inside a closed period is refused, as for :meth:`post`).
        """
        original = JournalEntry.get_or_none(JournalEntry.id == entry_id)
        if original is None:
            raise NotFoundError("journal entry", entry_id)
        entry_owner = self._stored_owner(original)
        if entry_owner is not None and entry_owner != owner:
            raise OwnedEntryError(entry_id, original.kind, entry_owner,
                                  self.correction_command(self._info(original)))
        if key is None:
            key = f"reversal:{entry_id}"
        replay = JournalEntry.get_or_none(JournalEntry.key == key)
        if replay is not None:
            return PostResult(self._info(replay), replayed=True)
        if self.crm.in_action():  # two reversals of one entry at once: one waits
            self.crm.lock([f"journal_entry:{entry_id}"])
            replay = JournalEntry.get_or_none(JournalEntry.key == key)
            if replay is not None:
                return PostResult(self._info(replay), replayed=True)
        if JournalEntry.select().where(JournalEntry.reverses == entry_id).exists():
            raise ValidationError(f"journal entry {entry_id} is already reversed")
        info = self._info(original)
        return self.post(
            [Leg(leg.account, -leg.amount) for leg in info.legs],
            kind=f"{original.kind}.reversal", actor=actor, key=key,
            memo=memo or f"reversal of entry {entry_id}", on=on,
            member_id=info.member_id, reverses=entry_id, owner=entry_owner, meta=meta,
        )

    # -- reading -------------------------------------------------------------

    def _info(self, entry: JournalEntry) -> EntryInfo:
        postings = (Posting.select(Posting, Account).join(Account)
                    .where(Posting.entry == entry.id).order_by(Posting.id))
        legs = tuple(
            Leg(p.account.code, from_minor(p.amount, p.commodity, self.exponent(p.commodity)))
            for p in postings
        )
        return EntryInfo(
            id=entry.id, key=entry.key, kind=entry.kind, memo=entry.memo,
            effective_date=_as_date(entry.effective_date), actor=entry.actor,
            member_id=entry.member_id, legs=legs, reverses=entry.reverses_id,
            meta=entry.meta or {}, owner=self._stored_owner(entry),
        )

    def _stored_owner(self, entry: JournalEntry) -> str | None:
        """The entry's recorded owner; for an entry older than the column, the
        enabled plugin declaring its kind."""
        if entry.owner is not None:
            return entry.owner
        declared = self.owner_of(entry.kind)
        return declared.plugin if declared is not None else None

    def reversal_of(self, entry_id: int) -> EntryInfo | None:
        """The entry reversing ``entry_id``, if it was reversed."""
        found = JournalEntry.get_or_none(JournalEntry.reverses == entry_id)
        return self._info(found) if found is not None else None

    def entry(self, entry_id: int) -> EntryInfo:
        """The entry with ``entry_id``."""
        entry = JournalEntry.get_or_none(JournalEntry.id == entry_id)
        if entry is None:
            raise NotFoundError("journal entry", entry_id)
        return self._info(entry)

    def entry_by_key(self, key: str) -> EntryInfo | None:
        """The entry posted under idempotency ``key``, if any."""
        entry = JournalEntry.get_or_none(JournalEntry.key == key)
        return self._info(entry) if entry else None

    def balance(self, code: str, *, as_of: dt.date | None = None,
                natural: bool = True) -> Money:
        """Sum of the postings of account ``code`` (up to and including ``as_of``)."""
        account = self.account(code)
        query = (Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0))
                 .where(Posting.account == account.id))
        if as_of is not None:
            query = query.join(JournalEntry).where(JournalEntry.effective_date <= as_of)
        units = int(query.scalar() or 0)
        if natural and account.type in CREDIT_NORMAL:
            units = -units
        return from_minor(units, account.commodity, self.exponent(account.commodity))

    def balance_or_zero(self, kind: str, member_id: int | None = None, *,
                        commodity: str | None = None, as_of: dt.date | None = None) -> Money:
        """Balance of account ``kind`` (for ``member_id``), zero if it was never opened."""
        code = kind if member_id is None else f"{kind}:m{member_id}"
        if not Account.select().where(Account.code == code).exists():
            return Money.zero(commodity or self.crm.currency)
        return self.balance(code, as_of=as_of)

    def balances_by_member(
        self,
        kinds: Iterable[str],
        *,
        as_of: dt.date | None = None,
        since: dt.date | None = None,
        member_ids: Iterable[int] | None = None,
    ) -> dict[int, dict[str, int]]:
        """Natural balances in minor units per member and account kind, in one query.

        Set-based: one grouped ``SUM`` over postings, whatever the number of
        members.  Returns ``{member_id: {kind: units}}``.
        """
        kinds = list(kinds)
        query = (Posting
                 .select(Account.member, Account.kind, Account.type,
                         fn.SUM(Posting.amount).alias("units"))
                 .join(Account)
                 .switch(Posting).join(JournalEntry)
                 .where(Account.kind.in_(kinds), Account.member.is_null(False))
                 .group_by(Account.member, Account.kind, Account.type))
        if as_of is not None:
            query = query.where(JournalEntry.effective_date <= as_of)
        if since is not None:
            query = query.where(JournalEntry.effective_date >= since)
        if member_ids is not None:
            query = query.where(Account.member.in_(list(member_ids)))
        result: dict[int, dict[str, int]] = defaultdict(dict)
        for row in query.dicts().iterator():
            units = int(row["units"] or 0)
            if row["type"] in CREDIT_NORMAL:
                units = -units
            result[row["member"]][row["kind"]] = units
        return dict(result)

    def totals_by_kind(self, *, as_of: dt.date | None = None) -> dict[tuple[str, str], int]:
        """Natural balance per (account kind, commodity) over all accounts, in minor units."""
        query = (Posting.select(Account.kind, Account.type, Posting.commodity,
                                fn.SUM(Posting.amount).alias("units"))
                 .join(Account).switch(Posting).join(JournalEntry)
                 .group_by(Account.kind, Account.type, Posting.commodity))
        if as_of is not None:
            query = query.where(JournalEntry.effective_date <= as_of)
        out: dict[tuple[str, str], int] = defaultdict(int)
        for row in query.dicts().iterator():
            units = int(row["units"] or 0)
            out[(row["kind"], row["commodity"])] += -units if row["type"] in CREDIT_NORMAL \
                else units
        return dict(out)

    def trial_balance(self) -> dict[str, int]:
        """Raw sum of all postings per commodity: zero for every commodity, always."""
        query = (Posting.select(Posting.commodity, fn.SUM(Posting.amount).alias("units"))
                 .group_by(Posting.commodity))
        return {row["commodity"]: int(row["units"]) for row in query.dicts()}

    def statement(self, code: str, *, since: dt.date | None = None,
                  until: dt.date | None = None) -> list[dict]:
        """Postings of account ``code`` in date order with a running natural balance."""
        account = self.account(code)
        sign = -1 if account.type in CREDIT_NORMAL else 1
        exp = self.exponent(account.commodity)
        opening = 0
        if since is not None:
            opening = sign * int(
                Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0)).join(JournalEntry)
                .where(Posting.account == account.id, JournalEntry.effective_date < since)
                .scalar() or 0)
        query = (Posting.select(Posting.amount, JournalEntry.id.alias("entry_id"),
                                JournalEntry.effective_date, JournalEntry.kind,
                                JournalEntry.memo, JournalEntry.key)
                 .join(JournalEntry)
                 .where(Posting.account == account.id)
                 .order_by(JournalEntry.effective_date, JournalEntry.id))
        if since is not None:
            query = query.where(JournalEntry.effective_date >= since)
        if until is not None:
            query = query.where(JournalEntry.effective_date <= until)
        running = opening
        lines = []
        for row in query.dicts().iterator():
            amount = sign * row["amount"]
            running += amount
            lines.append({
                "entry": row["entry_id"], "date": _as_date(row["effective_date"]),
                "kind": row["kind"], "memo": row["memo"], "key": row["key"],
                "amount": from_minor(amount, account.commodity, exp),
                "balance": from_minor(running, account.commodity, exp),
            })
        return lines

    def member_accounts(self, member_id: int) -> list[Account]:
        """Every account opened for ``member_id``."""
        return list(Account.select().join(Member, JOIN.INNER)
                    .where(Account.member == member_id).order_by(Account.code))
