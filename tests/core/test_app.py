"""Units of work: one transaction per action, idempotent by key, nothing half-written."""

from __future__ import annotations

import attrs
import pytest

from dyncrm.db.models import ActionKey, Counter, Member, OutboxMessage, Touchpoint
from dyncrm.errors import DyncrmError, PermissionDenied, ValidationError
from dyncrm.values import Actor

SYSTEM = Actor.operator()


def test_action_rolls_back_every_write_on_error(crm) -> None:
    with pytest.raises(ValidationError), crm.action("register", SYSTEM, key="reg-1"):
        member = Member.create(name="Tono")
        crm.touch(member.id, "acquire", "by", "application", SYSTEM)
        crm.outbox.queue(recipient="t@x.id", subject="Hi", body="b", member_id=member.id)
        raise ValidationError("NIK is not 16 digits", field="nik")
    assert Member.select().count() == 0
    assert Touchpoint.select().count() == 0
    assert OutboxMessage.select().count() == 0
    assert ActionKey.select().count() == 0  # the key is free for a corrected retry


def test_action_replay_by_key_changes_nothing_and_says_so(crm) -> None:
    def register() -> tuple[bool, dict]:
        with crm.action("register", SYSTEM, key="reg-2") as act:
            if act.replayed:
                return True, act.previous
            member = Member.create(name="Tini")
            act.done(member_id=member.id)
            return False, act.result

    assert register() == (False, {"member_id": 1})
    assert register() == (True, {"member_id": 1})
    assert Member.select().count() == 1


def test_action_checks_permission_before_anything(crm) -> None:
    with pytest.raises(PermissionDenied), crm.action("x", Actor("kasir", frozenset({"cashier"})),
                                                     permission="users.manage"):
        Member.create(name="never")
    assert Member.select().count() == 0


def test_next_number_is_rolled_back_with_a_failed_action(crm) -> None:
    with crm.action("a", SYSTEM):
        assert crm.next_number("member") == 1
    with pytest.raises(DyncrmError), crm.action("b", SYSTEM):
        assert crm.next_number("member") == 2
        raise DyncrmError("refused")
    with crm.action("c", SYSTEM):
        assert crm.next_number("member") == 2
    assert Counter.get_by_id("member").value == 2


def test_touch_validates_phase_and_information_type(crm) -> None:
    with crm.action("create", SYSTEM):
        member = Member.create(name="Wati")
    with pytest.raises(ValidationError, match="phase"), crm.action("t", SYSTEM):
        crm.touch(member.id, "delight", "of", "x", SYSTEM)
    with pytest.raises(ValidationError, match="information type"), crm.action("t", SYSTEM):
        crm.touch(member.id, "retain", "about", "x", SYSTEM)


def test_member_lookup_by_number_or_id(crm) -> None:
    with crm.action("create", SYSTEM):
        member = Member.create(name="Yanti", number="XYZ-2026-00007")
    assert crm.member("XYZ-2026-00007").id == member.id
    assert crm.member(member.id).name == "Yanti"
    assert crm.member(str(member.id)).number == "XYZ-2026-00007"


def test_money_helpers_follow_the_locale(crm) -> None:
    amount = crm.money("Rp 1.250.000")
    assert crm.format_money(amount) == "Rp 1.250.000"
    assert crm.ledger_money(5000).amount == 5000


def test_queue_is_idempotent_by_key(crm) -> None:
    with crm.action("q", SYSTEM):
        first = crm.outbox.queue(recipient="a@b.id", subject="s", body="b", key="remind:1:-7")
        second = crm.outbox.queue(recipient="a@b.id", subject="s", body="b", key="remind:1:-7")
    assert not first.replayed and second.replayed and first.id == second.id


def test_queue_refuses_unknown_channel(crm) -> None:
    with pytest.raises(ValidationError, match="unknown channel 'fax'"), crm.action("q", SYSTEM):
        crm.outbox.queue(recipient="x", subject="s", body="b", channel="fax")


def test_touch_many_records_each_member_in_one_statement(crm) -> None:
    """Batch touchpoints: one INSERT ... RETURNING per chunk, and the hook sees each one."""
    with crm.action("create", SYSTEM):
        ids = [Member.create(name=f"m{i}").id for i in range(3)]
    statements = []
    original = crm.database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    crm.database.execute_sql = counting
    try:
        with crm.action("push", SYSTEM):
            recorded = crm.touch_many(ids, "acquire", "for", "promotion.reached", SYSTEM,
                                      [{"promotion": 1, "n": i} for i in range(3)])
    finally:
        del crm.database.execute_sql
    inserts = [s for s in statements if s.startswith("INSERT") and "touchpoint" in s]
    assert len(inserts) == 1
    assert [t.member_id for t in recorded] == ids
    assert [t.id for t in recorded] == [t.id for m in ids for t in crm.timeline(m)]
    assert crm.timeline(ids[2])[0].payload == {"promotion": 1, "n": 2}
    with pytest.raises(ValidationError, match="phase"), crm.action("bad", SYSTEM):
        crm.touch_many(ids, "delight", "for", "x", SYSTEM)


def test_the_audit_trail_keeps_actions_that_changed_something(crm) -> None:
    """One line per action that wrote, with the person and channel; none for a no-op,
    a replay or a refusal."""
    from dyncrm.db.models import ActionLog

    person = attrs.evolve(Actor.operator("siti"), channel="cli")
    with crm.action("noop", person):
        Member.select().count()
    with crm.action("create", person, key="k1"):
        Member.create(name="Budi")
    with crm.action("create", person, key="k1") as act:
        assert act.replayed
    with pytest.raises(ValidationError), crm.action("refused", person):
        Member.create(name="Ani")
        raise ValidationError("no")
    with crm.action("outer", person), crm.action("inner", person):
        Member.create(name="Citra")
    rows = [(r.action, r.actor, r.channel, r.key) for r in ActionLog.select()]
    assert rows == [("create", "siti", "cli", "k1"), ("outer", "siti", "cli", None)]
