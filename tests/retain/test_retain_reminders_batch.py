"""retain.reminders at scale: what a large plan reads is what a small one reads.

A plan over many items reads the sent reminders in one pass of the table instead of
one query per 500 keys; the chunk size is lowered here so a few items take that
path, and both paths must agree.
"""

from __future__ import annotations

import datetime as dt

from test_retain_reminders import DUE, add_member, month, run_days, setup

from dyncrm_retain.reminders import engine


def test_sent_offsets_read_whole_or_in_chunks_agree(make_crm, monkeypatch):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    for n in range(1, 4):
        dues.add(f"loan:1:inst:{n}", m, DUE + dt.timedelta(days=n), amount=crm.money("1.000"))
    run_days(crm, clock, month()[:10], runs_per_day=1)
    keys = [f"loan:1:inst:{n}" for n in range(1, 6)]
    chunked = engine.sent_offsets(keys)
    assert chunked and set(chunked) <= set(keys[:3])
    monkeypatch.setattr(engine, "CHUNK", 2)  # five keys > CHUNK: one pass over the table
    assert engine.sent_offsets(keys) == chunked
    planned, _ = engine.plan(crm, crm.today())
    assert {p.item.key: p.sent_offsets for p in planned} == {
        k: tuple(sorted(v)) for k, v in chunked.items()} | {
        k: () for k in keys[:3] if k not in chunked}


def test_members_read_whole_or_in_chunks_agree(make_crm, monkeypatch):
    crm, _, _ = setup(make_crm)
    ids = [add_member(crm, f"Anggota {i}", number=f"A{i:03d}") for i in range(5)]
    chunked = engine._members(ids[:4])
    assert sorted(chunked) == sorted(ids[:4])
    assert chunked[ids[0]].name == "Anggota 0" and chunked[ids[0]].number == "A000"
    monkeypatch.setattr(engine, "CHUNK", 2)  # four of five members: one pass over the table
    assert engine._members(ids[:4]) == chunked
