"""``crm.notify_members`` queues what a loop of ``crm.notify_member`` queues: the same
messages, the same skips and the same replays, set-based; and processes queueing the same
keys at once, on SQLite, PostgreSQL and MariaDB, queue each message once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from test_receipts import CONFIG  # a core deployment on the URL given

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


# -- races: real processes queueing the same keys at once ---------------------------------

WORKER = textwrap.dedent("""
    import json, sys, time
    from dyncrm.app import CRM
    from dyncrm.config import load_config
    from dyncrm.errors import ConcurrentDuplicate, DatabaseBusy
    from dyncrm.values import Actor

    crm = CRM(load_config(sys.argv[1]))
    ids, rounds, start = json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    done, retries = [], 0
    for r in range(rounds):
        # every worker starts each round at the same moment
        time.sleep(max(0.0, start + r * 0.5 - time.time()))
        items = [(m, f"race:{r}:{m}", {}) for m in ids]
        for attempt in range(100):
            try:
                with crm.action("test.notify", Actor.operator()):
                    results = crm.notify_members("messages/base.txt", items, kind="test")
                break
            except (ConcurrentDuplicate, DatabaseBusy):
                retries += 1
                time.sleep(0.01)  # the other session's messages are committed: a replay
        else:
            sys.exit("round %d never got through" % r)
        done.append({"new": [k for (_, k, _), q in zip(items, results) if not q.replayed],
                     "ids": [q.id for q in results]})
    crm.close()
    print(json.dumps({"rounds": done, "retries": retries}))
""")


def _race(make_crm, tmp_path, url: str, *, workers: int = 3, rounds: int = 4) -> int:
    """``workers`` processes queue the same ``rounds`` batches of keyed messages at once:
    every key is queued once, by one of them; the others get it back as a replay.
    Returns how many attempts met another session's same keys (``ConcurrentDuplicate``,
    rolled back and run again)."""
    crm = make_crm(database_url=url)
    with crm.action("seed", SYSTEM):
        ids = [Member.create(name=f"Anggota {i}", email=f"a{i}@contoh.id", stage="active",
                             number=f"R-{i}").id for i in range(40)]
    config = tmp_path / "dyncrm.toml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    start = time.time() + 5  # after every worker has imported dyncrm and connected
    procs = [subprocess.Popen([sys.executable, str(script), str(config), json.dumps(ids),
                               str(rounds), str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    outcomes, retries = [], 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outcomes.append(json.loads(out)["rounds"])
        retries += json.loads(out)["retries"]
    keys = [m.key for m in OutboxMessage.select().where(OutboxMessage.key.startswith("race:"))]
    assert sorted(keys) == sorted(f"race:{r}:{m}" for r in range(rounds) for m in ids)
    by_key = {m.key: m.id for m in OutboxMessage.select()}
    for r in range(rounds):
        firsts = [k for done in outcomes for k in done[r]["new"]]
        assert sorted(firsts) == sorted(f"race:{r}:{m}" for m in ids)  # each queued once
        for done in outcomes:  # and every worker was given that one message
            assert done[r]["ids"] == [by_key[f"race:{r}:{m}"] for m in ids]
    return retries


def test_processes_queueing_the_same_keys_queue_each_once_on_sqlite(make_crm, tmp_path):
    # SQLite's write lock (BEGIN IMMEDIATE) lets one action at a time check and insert
    _race(make_crm, tmp_path, f"sqlite:///{tmp_path / 'race.db'}")


def test_processes_queueing_the_same_keys_queue_each_once_on_postgresql(
        make_crm, pg_url, tmp_path):
    # the servers let the actions run side by side: some meet the same keys at once
    assert _race(make_crm, tmp_path, pg_url) > 0, "no two sessions ever raced"


def test_processes_queueing_the_same_keys_queue_each_once_on_mariadb(
        make_crm, mysql_url, tmp_path):
    assert _race(make_crm, tmp_path, mysql_url) > 0, "no two sessions ever raced"
