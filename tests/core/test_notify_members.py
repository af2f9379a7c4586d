"""``crm.notify_members`` queues what a loop of ``crm.notify_member`` queues: the same
messages, the same skips and the same replays, set-based."""

from __future__ import annotations

import pytest

from dyncrm.db.models import Member, OutboxMessage
from dyncrm.errors import NotFoundError
from dyncrm.values import Actor

SYSTEM = Actor.operator()
#: (name, email, phone, preferred channel, opted out of marketing)
PEOPLE = [("Ani", "ani@contoh.id", None, None, False),
          ("Budi", None, "0812000001", None, False),
          ("Citra", None, None, None, False),
          ("Dewi", "dewi@contoh.id", "0812000002", None, True),
          ("Eko", "eko@contoh.id", None, "file", False)]


def _cooperative(make_crm, **database):
    crm = make_crm(**database)
    with crm.action("seed", SYSTEM):
        ids = [Member.create(name=name, email=email, phone=phone, preferred_channel=channel,
                             marketing_opt_out=opted_out, stage="active",
                             number=f"T-{i}").id
               for i, (name, email, phone, channel, opted_out) in enumerate(PEOPLE, start=1)]
        crm.notify_member(ids[4], "messages/base.txt", kind="test", key="queued-before")
    return crm, ids


def _items(ids):
    ani, budi, citra, dewi, eko = ids
    return [(ani, "k:ani", {}), (budi, "k:budi", {}), (citra, "k:citra", {}),
            (dewi, "k:dewi", {}), (eko, None, {}), (ani, "k:ani", {}), (eko, None, {}),
            (eko, "queued-before", {})]


def _outbox():
    return sorted((m.key or "", m.member_id, m.channel, m.recipient, m.subject, m.body, m.kind,
                   m.essential, m.status) for m in OutboxMessage.select())


def _shape(results):
    """Each result as None (skipped) or (replayed, the key of the message it names)."""
    keys = {m.id: m.key for m in OutboxMessage.select()}
    return [None if r is None else (r.replayed, keys[r.id]) for r in results]


@pytest.mark.parametrize("essential", [True, False])
def test_the_same_as_a_loop_of_notify_member(make_crm, tmp_path, essential: bool) -> None:
    crm, ids = _cooperative(make_crm)
    with crm.action("loop", SYSTEM):
        one_by_one = [crm.notify_member(m, "messages/base.txt", kind="test", key=key,
                                        essential=essential, **context)
                      for m, key, context in _items(ids)]
    expected, expected_shape = _outbox(), _shape(one_by_one)

    crm, ids = _cooperative(make_crm, database_url=f"sqlite:///{tmp_path / 'batch.db'}")
    with crm.action("batch", SYSTEM):
        together = crm.notify_members("messages/base.txt", _items(ids), kind="test",
                                      essential=essential)
    assert _outbox() == expected
    assert _shape(together) == expected_shape
    assert together[2] is None  # Citra has no address
    assert (together[3] is None) is (not essential)  # Dewi opted out of marketing
    assert together[5].replayed and together[5].id == together[0].id  # a key twice
    assert not together[6].replayed and together[6].id != together[4].id  # no key: twice
    assert together[7].replayed  # queued before the batch


def test_an_unknown_member_queues_nothing(make_crm) -> None:
    crm, ids = _cooperative(make_crm)
    before = _outbox()
    with pytest.raises(NotFoundError), crm.action("batch", SYSTEM):
        crm.notify_members("messages/base.txt", [(ids[0], "k:1", {}), (10_000, "k:2", {})],
                           kind="test")
    assert _outbox() == before
