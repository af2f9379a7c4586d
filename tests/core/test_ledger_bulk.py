"""``crm.ledger.post_many``: the same ledger as ``post`` one entry at a time, set-based.

A batch writes exactly the rows posting its entries one by one writes (entries,
postings, balances), a replay writes nothing, and one bad entry refuses the whole
batch.  On SQLite and on PostgreSQL (and MariaDB for the receipts and touchpoints that
hook implementations write, per entry or set-based).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peewee import PostgresqlDatabase

from dyncrm import hookimpl
from dyncrm.db import bulk
from dyncrm.db.models import JournalEntry, Member, Posting, Touchpoint
from dyncrm.db.receipts import Receipt
from dyncrm.errors import NotFoundError, UnbalancedEntryError, ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.money import Money
from dyncrm.receipts import ReceiptKind
from dyncrm.testing import snapshot
from dyncrm.values import Actor, Leg

SYSTEM = Actor.operator()
DAY = dt.date(2026, 3, 25)
CODES = ("cash", "bank", "savings.wajib:m1", "savings.wajib:m2", "loans.principal:m1",
         "income.loan_interest:m2")


def idr(n: int) -> Money:
    return Money.of(n, "IDR")


def open_accounts(crm) -> None:
    with crm.action("setup", SYSTEM):
        for name in ("Siti", "Budi"):
            Member.create(name=name)
        crm.ledger.open_account("cash", type="asset")
        crm.ledger.open_account("bank", type="asset")
        assert crm.ledger.open_accounts("savings.wajib", [1, 2, 1], type="liability") == {
            1: "savings.wajib:m1", 2: "savings.wajib:m2"}
        crm.ledger.open_account("loans.principal", type="asset", member_id=1)
        crm.ledger.open_account("income.loan_interest", type="income", member_id=2)


def ledger_rows(crm) -> tuple[list, list, dict]:
    """Entries and postings without ids or recording time, and every balance."""
    entries = [(e.key, e.kind, e.memo, str(e.effective_date), e.actor, e.member_id, e.meta)
               for e in JournalEntry.select().order_by(JournalEntry.id)]
    postings = [(p.entry.key, p.account.code, p.amount, p.commodity)
                for p in Posting.select().order_by(Posting.id)]
    return entries, postings, {c: crm.ledger.balance(c) for c in CODES}


# an entry: a key (or none), then 2-4 legs whose last balances the others
entry_specs = st.lists(
    st.tuples(st.one_of(st.none(), st.sampled_from([f"k{i}" for i in range(8)])),
              st.lists(st.tuples(st.sampled_from(CODES), st.integers(-10**9, 10**9)
                                 .filter(bool)), min_size=1, max_size=3),
              st.sampled_from(CODES), st.sampled_from([None, 1, 2])),
    min_size=0, max_size=12)


def specs_of(raw) -> list[EntrySpec]:
    specs = []
    for key, legs, last, member in raw:
        total = sum(amount for _, amount in legs)
        all_legs = [Leg(code, idr(amount)) for code, amount in legs]
        all_legs.append(Leg(last, idr(-total)))
        specs.append(EntrySpec(legs=all_legs, kind="test.bulk", actor="kasir", key=key,
                               memo=f"memo {key}", on=DAY, member_id=member,
                               meta={"key": key}))
    return specs


def post_each(crm, specs):
    return [crm.ledger.post(list(s.legs), kind=s.kind, actor=s.actor, key=s.key, memo=s.memo,
                            on=s.on, member_id=s.member_id, meta=s.meta) for s in specs]


class Rollback(Exception):
    """Raised to undo a run: every example starts from the same ledger."""


def rows_after(crm, post) -> tuple[list, tuple]:
    """What ``post()`` returns and the ledger rows it leaves, then undone."""
    out: list = []
    try:
        with crm.action("run", SYSTEM):
            out = post()
            rows = ledger_rows(crm)
            raise Rollback
    except Rollback:
        pass
    return out, rows


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_crm(request, make_crm):
    """A core CRM with the test accounts, on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    crm = make_crm(database_url=url)
    open_accounts(crm)
    return crm


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=entry_specs)
def test_post_many_writes_what_post_one_by_one_writes(ledger_crm, raw) -> None:
    crm, specs = ledger_crm, specs_of(raw)
    each, expected = rows_after(crm, lambda: post_each(crm, specs))
    many, got = rows_after(crm, lambda: crm.ledger.post_many(specs, chunk=3))
    assert got == expected
    assert [(r.replayed, r.entry.key, r.entry.legs, r.entry.memo, r.entry.member_id)
            for r in many] == \
        [(r.replayed, r.entry.key, r.entry.legs, r.entry.memo, r.entry.member_id)
         for r in each]


def test_a_replay_posts_nothing(ledger_crm) -> None:
    crm = ledger_crm
    specs = specs_of([(f"k{i}", [("cash", 10 + i)], "savings.wajib:m1", 1) for i in range(7)])
    with crm.action("bulk", SYSTEM):
        first = crm.ledger.post_many(specs, chunk=3)
    before = snapshot(crm)
    with crm.action("again", SYSTEM):
        again = crm.ledger.post_many(specs, chunk=3)
    assert snapshot(crm) == before
    assert [(r.replayed, r.entry) for r in again] == [(True, r.entry) for r in first]


def test_post_many_on_postgresql(make_crm, pg_url) -> None:
    """Same rows as one by one (one database, two runs), RETURNING ids, refusal."""
    raw = [("a", [("cash", 100), ("bank", 5)], "savings.wajib:m1", 1),
           (None, [("loans.principal:m1", 7)], "income.loan_interest:m2", 2),
           ("a", [("cash", 1)], "bank", None),  # same key again: a replay of the first
           ("b", [("bank", -40)], "cash", None)]
    crm = make_crm(database_url=pg_url)
    assert isinstance(crm.database, PostgresqlDatabase)
    open_accounts(crm)
    specs = specs_of(raw)
    with crm.action("bulk", SYSTEM):
        many = crm.ledger.post_many(specs, chunk=2)
    assert [r.replayed for r in many] == [False, False, True, False]
    assert many[2].entry.id == many[0].entry.id
    assert [p.entry_id for p in Posting.select().order_by(Posting.id)] == \
        [r.entry.id for r in many if not r.replayed for _ in r.entry.legs]
    assert crm.ledger.balance("savings.wajib:m1") == idr(105)
    before = snapshot(crm)
    bad = [*specs_of([("c", [("cash", 9)], "bank", None)]),
           EntrySpec(legs=[Leg("cash", idr(1)), Leg("nowhere", idr(-1))], kind="x",
                     actor="kasir")]
    with pytest.raises(NotFoundError), crm.action("bad", SYSTEM):
        crm.ledger.post_many(bad)
    assert snapshot(crm) == before


@pytest.mark.parametrize(("legs", "error"), [
    ([Leg("cash", idr(10)), Leg("bank", idr(-9))], UnbalancedEntryError),
    ([Leg("cash", idr(10)), Leg("savings.wajib:m9", idr(-10))], NotFoundError),
    ([Leg("cash", idr(10))], ValidationError),
    ([Leg("cash", Money.of(10, "USD")), Leg("bank", Money.of(-10, "USD"))], ValidationError),
])
def test_one_bad_entry_refuses_the_whole_batch(crm, legs, error) -> None:
    open_accounts(crm)
    good = specs_of([(f"g{i}", [("cash", 10 + i)], "savings.wajib:m1", 1) for i in range(5)])
    before = snapshot(crm)
    with pytest.raises(error), crm.action("bulk", SYSTEM):
        crm.ledger.post_many([*good, EntrySpec(legs=legs, kind="x", actor="kasir", key="bad")],
                             chunk=2)
    assert snapshot(crm) == before


def test_hooks_see_every_new_entry_once(make_crm) -> None:
    seen = []

    class Watcher:
        @hookimpl
        def dyncrm_transaction_posted(self, crm, entry):
            seen.append((entry.key, JournalEntry.get_by_id(entry.id).key))

    crm = make_crm(extra_plugins=[("watcher", Watcher())])
    open_accounts(crm)
    specs = specs_of([(k, [("cash", 5)], "bank", None) for k in ("x", "y", "x", None)])
    with crm.action("bulk", SYSTEM):
        crm.ledger.post_many(specs)
    assert seen == [("x", "x"), ("y", "y"), (None, None)]


def test_open_accounts_refuses_another_type(crm) -> None:
    open_accounts(crm)
    before = snapshot(crm)
    with pytest.raises(ValidationError, match="exists as liability"), \
            crm.action("setup", SYSTEM):
        crm.ledger.open_accounts("savings.wajib", [2, 1], type="asset")
    assert snapshot(crm) == before


# --- hooks, receipts and touchpoints: post_many in a loop of post's shoes ---------------


class Receipted:
    """Entries of kind ``test.bulk`` get receipts."""

    @hookimpl
    def dyncrm_receipt_kinds(self):
        return [ReceiptKind("test.bulk", "Test receipt", entry_kinds=("test.bulk",))]


class PerEntry:
    """Implements only the per-entry hook: a touchpoint per entry of a member."""

    @hookimpl
    def dyncrm_transaction_posted(self, crm, entry):
        if entry.member_id is not None:
            crm.touch(entry.member_id, "expand", "by", "test.each", "kasir", {"key": entry.key})


class Both:
    """Implements both hooks: touchpoints one by one for ``post``, set-based for a batch."""

    def __init__(self) -> None:
        self.batches: list[list] = []

    @hookimpl
    def dyncrm_transaction_posted(self, crm, entry):
        if entry.member_id is not None:
            crm.touch(entry.member_id, "expand", "by", "test.both", "kasir",
                      {"key": entry.key, "legs": len(entry.legs)})

    @hookimpl
    def dyncrm_transactions_posted(self, crm, entries):
        self.batches.append([e.key for e in entries])
        mine = [e for e in entries if e.member_id is not None]
        if mine:
            crm.touch_many([e.member_id for e in mine], "expand", "by", "test.both", "kasir",
                           [{"key": e.key, "legs": len(e.legs)} for e in mine])


class BatchOnly:
    """Implements only the batch hook: a touchpoint per entry of member 2."""

    @hookimpl
    def dyncrm_transactions_posted(self, crm, entries):
        for e in entries:
            if e.member_id == 2:
                crm.touch(2, "expand", "by", "test.batch_only", "kasir", {"key": e.key})


def hooked_crm(make_crm, url=None):
    crm = make_crm(database_url=url, extra_plugins=[
        ("receipted", Receipted()), ("per_entry", PerEntry()), ("both", Both()),
        ("batch_only", BatchOnly())])
    open_accounts(crm)
    return crm


def everything(crm) -> tuple:
    """Ledger rows, receipts (numbers, entries, amounts, lines as stored) and each plugin's
    touchpoints, in order (a loop of ``post`` interleaves the plugins entry by entry, a
    batch calls one plugin for the whole chunk after the other: only that order differs)."""
    texts = [text for (text,) in crm.database.execute_sql(  # as stored, not as parsed
        f"SELECT {bulk.quote(crm.database, 'lines')} FROM receipt ORDER BY id").fetchall()]
    receipts = [(r.number, r.year, r.seq, r.kind, r.entry.key, r.member_id, r.amount,
                 r.currency, str(r.effective_date), r.issued_by, text)
                for r, text in zip(Receipt.select().order_by(Receipt.id), texts, strict=True)]
    touchpoints: dict[str, list] = {}
    for t in Touchpoint.select().order_by(Touchpoint.id):
        touchpoints.setdefault(t.kind, []).append((t.member_id, t.payload))
    return ledger_rows(crm), receipts, touchpoints


def rows_and_all_after(crm, post) -> tuple[list, tuple]:
    out: list = []
    try:
        with crm.action("run", SYSTEM):
            out = post()
            rows = everything(crm)
            raise Rollback
    except Rollback:
        pass
    return out, rows


@pytest.fixture(params=["sqlite", "postgres",
                        pytest.param("mysql", marks=pytest.mark.mysql)])
def hooked(request, make_crm):
    """A core CRM with receipts for ``test.bulk`` and three hook plugins, on each backend."""
    url = None
    if request.param != "sqlite":
        url = request.getfixturevalue("pg_url" if request.param == "postgres" else "mysql_url")
    return hooked_crm(make_crm, url)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=entry_specs, chunk=st.integers(1, 5))
def test_post_many_and_a_loop_of_post_leave_the_same_ledger_receipts_and_touchpoints(
        hooked, raw, chunk) -> None:
    crm, specs = hooked, specs_of(raw)
    each, expected = rows_and_all_after(crm, lambda: post_each(crm, specs))
    many, got = rows_and_all_after(crm, lambda: crm.ledger.post_many(specs, chunk=chunk))
    assert got == expected
    # entry ids differ on PostgreSQL and MariaDB (a rolled-back sequence is not given back)
    assert [(r.replayed, attrs.evolve(r.entry, id=0)) for r in many] == \
        [(r.replayed, attrs.evolve(r.entry, id=0)) for r in each]


def test_hook_dyncrm_transactions_posted(make_crm) -> None:
    """One call per chunk of new entries (replays left out); a plugin with both hooks
    is not called per entry by post_many, and gets post's entries per entry."""
    crm = hooked_crm(make_crm)
    both = crm.pm.get_plugin("both")
    specs = specs_of([(k, [("cash", 5)], "savings.wajib:m1", 1)
                      for k in ("a", "b", "a", "c", None)])
    with crm.action("bulk", SYSTEM):
        crm.ledger.post_many(specs, chunk=2)
    assert both.batches == [["a", "b"], ["c", None]]
    kinds = Counter(t.kind for t in Touchpoint.select())
    assert kinds == {"test.each": 4, "test.both": 4}
    with crm.action("one", SYSTEM):
        crm.ledger.post(list(specs[0].legs), kind="test.bulk", actor="kasir", key="d",
                        member_id=2)
    assert both.batches == [["a", "b"], ["c", None]]  # post: the per-entry hook
    kinds = Counter(t.kind for t in Touchpoint.select())
    assert kinds == {"test.each": 5, "test.both": 5, "test.batch_only": 1}
    assert [r.number for r in Receipt.select().order_by(Receipt.id)] == \
        [f"{crm.config.receipts.prefix}-2026-{n:06d}" for n in range(1, 6)]
