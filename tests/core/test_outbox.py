"""The outbox's delivery states: claimed ('sending') before the hand-over, settled after,
and an interrupted hand-over never resent blindly.

A crash is a ``BaseException`` raised from inside a channel's ``send`` (the outbox catches
``Exception`` only), which leaves the message exactly where a SIGKILL would: in 'sending',
claimed by a process that no longer sends it.  Real processes are killed in
tests/retain/test_retain_outbox_kills.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from dyncrm import hookimpl
from dyncrm.db.models import DeliveryAttempt, OutboxMessage, utcnow
from dyncrm.errors import DyncrmError, NotFoundError, PermissionDenied, ValidationError
from dyncrm.notify import CLAIM_LEASE
from dyncrm.testing import run_cli, staff
from dyncrm.values import Actor, Channel

SYSTEM = Actor.operator()


class Crash(BaseException):
    """The process dies here (as under SIGKILL, nothing after it runs)."""


class Recorder:
    """A channel plugin: records what it got; can crash after or before delivering."""

    def __init__(self, name: str = "pigeon", *, idempotent: bool = False) -> None:
        self.name, self.idempotent = name, idempotent
        self.got: list = []
        self.crash_after_delivery = False
        self.status_seen: list[str] = []
        self.db_path: Path | None = None

    def send(self, message) -> None:
        if self.db_path is not None:  # what another connection sees: committed state only
            con = sqlite3.connect(self.db_path)
            try:
                self.status_seen.append(con.execute(
                    "SELECT status FROM outbox_message WHERE id = ?", (message.id,)).fetchone()[0])
            finally:
                con.close()
        self.got.append(message)
        if self.crash_after_delivery:
            self.crash_after_delivery = False
            raise Crash("killed after the channel delivered, before 'sent' was recorded")

    @hookimpl
    def dyncrm_notification_channels(self, crm):
        return [Channel(self.name, self.send, "test channel",
                        honours_idempotency_key=self.idempotent)]


def queue(crm, n: int = 1, channel: str = "pigeon") -> list[int]:
    with crm.action("test.queue", SYSTEM):
        return [crm.outbox.queue(recipient=f"loft {i}", subject=f"message {i}", body="b",
                                 channel=channel).id for i in range(n)]


def test_the_message_is_committed_as_sending_before_its_channel_gets_it(make_crm, tmp_path):
    pigeon = Recorder()
    crm = make_crm(extra_plugins=[("pigeon", pigeon)])
    pigeon.db_path = tmp_path / "crm.db"
    [mid] = queue(crm)
    assert crm.outbox.deliver().sent == 1
    assert pigeon.status_seen == ["sending"]
    row = OutboxMessage.get_by_id(mid)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.claim.split(":")[1].isdigit() and row.claimed_at is not None
    assert pigeon.got[0].idempotency_key == row.uid and len(row.uid) == 36


def test_an_interrupted_hand_over_is_held_as_unknown_and_never_resent_by_itself(make_crm):
    pigeon = Recorder()
    crm = make_crm(extra_plugins=[("pigeon", pigeon)])
    first, second = queue(crm, 2)
    pigeon.crash_after_delivery = True
    with pytest.raises(Crash):
        crm.outbox.deliver()
    assert OutboxMessage.get_by_id(first).status == "sending"

    report = crm.outbox.deliver()
    assert (report.sent, report.unknown, report.resumed) == (1, 1, 0)  # the second went out
    assert [m.id for m in pigeon.got] == [first, second]  # the first not again
    assert [m.id for m in crm.outbox.unknown()] == [first]
    row = OutboxMessage.get_by_id(first)
    assert row.status == "unknown" and row.attempts == 1
    [attempt] = DeliveryAttempt.select().where(DeliveryAttempt.message == first)
    assert not attempt.ok and "may or may not have been delivered" in attempt.error
    later = utcnow() + dt.timedelta(days=30)
    assert crm.outbox.deliver(now=later) == crm.outbox.deliver(now=later)  # nothing, twice
    assert len(pigeon.got) == 2


def test_a_channel_that_honours_the_key_gets_the_message_again_with_the_same_key(make_crm):
    gateway = Recorder("gateway", idempotent=True)
    crm = make_crm(extra_plugins=[("gateway", gateway)])
    [mid] = queue(crm, channel="gateway")
    gateway.crash_after_delivery = True
    with pytest.raises(Crash):
        crm.outbox.deliver()
    report = crm.outbox.deliver()
    assert (report.sent, report.resumed, report.unknown) == (1, 1, 0)
    first, again = gateway.got
    assert first.idempotency_key == again.idempotency_key == OutboxMessage.get_by_id(mid).uid
    row = OutboxMessage.get_by_id(mid)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [a.ok for a in DeliveryAttempt.select().order_by(DeliveryAttempt.id)] == [False, True]
    assert crm.outbox.unknown() == []


def test_a_live_senders_claim_is_left_alone_a_dead_ones_is_settled(make_crm):
    pigeon = Recorder()
    crm = make_crm(extra_plugins=[("pigeon", pigeon)])
    ids = queue(crm, 4)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket
        host = socket.gethostname()
        now = utcnow()
        claims = {ids[0]: (f"{host}:{sleeper.pid}:live", now),              # alive here
                  ids[1]: ("elsewhere:123:fresh", now),                     # cannot check
                  ids[2]: ("elsewhere:123:stale", now - CLAIM_LEASE * 2),   # lease ran out
                  ids[3]: (f"{host}:{sleeper.pid}:old", now - CLAIM_LEASE * 2)}
        for mid, (claim, at) in claims.items():
            OutboxMessage.update(status="sending", claim=claim, claimed_at=at,
                                 attempts=1).where(OutboxMessage.id == mid).execute()
        report = crm.outbox.deliver()
        assert (report.sent, report.unknown) == (0, 2)
        assert {m.id for m in crm.outbox.unknown()} == {ids[2], ids[3]}
        sleeper.kill()
        sleeper.wait()
        assert crm.outbox.deliver().unknown == 1  # its process is gone now
        assert {m.id for m in crm.outbox.unknown()} == {ids[0], ids[2], ids[3]}
        assert OutboxMessage.get_by_id(ids[1]).status == "sending"
        assert pigeon.got == []
    finally:
        sleeper.kill()
        sleeper.wait()


def test_resend_needs_the_permission_and_records_who(make_crm):
    pigeon = Recorder()
    crm = make_crm(extra_plugins=[("pigeon", pigeon)])
    secretary = staff(crm, "sec", "secretary")
    cashier = staff(crm, "kasir", "cashier")
    lost, fine = queue(crm, 2)
    pigeon.crash_after_delivery = True
    with pytest.raises(Crash):
        crm.outbox.deliver()
    crm.outbox.deliver()
    with pytest.raises(PermissionDenied):
        crm.outbox.resend(lost, cashier)
    with pytest.raises(ValidationError, match="is sent; only a message whose delivery"):
        crm.outbox.resend(fine, secretary)
    with pytest.raises(NotFoundError):
        crm.outbox.resend(999, secretary)
    assert OutboxMessage.get_by_id(lost).status == "unknown"  # refusals changed nothing

    crm.outbox.resend(lost, secretary)
    assert crm.outbox.deliver(only=lost).sent == 1
    row = OutboxMessage.get_by_id(lost)
    assert (row.status, row.resent_by, row.attempts) == ("sent", "sec", 2)
    assert [m.id for m in pigeon.got] == [lost, fine, lost]
    with pytest.raises(ValidationError):
        crm.outbox.resend(lost, secretary)  # sent now: never again


def test_delivering_inside_a_transaction_is_refused(make_crm):
    crm = make_crm(extra_plugins=[("pigeon", Recorder())])
    queue(crm)
    with pytest.raises(DyncrmError, match="outside any transaction"), crm.database.atomic():
        crm.outbox.deliver()
    assert OutboxMessage.get().status == "pending"


def test_the_file_channel_writes_a_stable_message_id(make_crm, tmp_path):
    crm = make_crm()
    [mid] = queue(crm, channel="file")
    crm.outbox.deliver()
    [eml] = (tmp_path / "outbox").glob("*.eml")
    uid = OutboxMessage.get_by_id(mid).uid
    assert f"Message-ID: <{uid}@localhost>" in eml.read_text()


def test_the_console_channel_flushes_before_sent_is_recorded(make_crm, capsys):
    crm = make_crm()
    queue(crm, channel="console")
    assert crm.outbox.deliver().sent == 1
    assert "via console: message 0" in capsys.readouterr().out


# --- the CLI --------------------------------------------------------------------------------


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    code, _, err = run_cli(["init", str(tmp_path), "--name", "Koperasi Uji",
                            "--admin-password-stdin"], input="sangat-rahasia-1\n")
    assert code == 0, err
    return tmp_path / "dyncrm.toml"


def cli(config: Path, *args: str, user: str = "admin"):
    return run_cli(["-c", str(config), "--as", user, *args])


def test_outbox_unknown_lists_and_outbox_resend_sends(deployment: Path) -> None:
    from dyncrm.app import open_crm

    with open_crm(deployment) as crm:
        ids = queue(crm, 2, channel="file")
        with crm.database.atomic():
            crm.users.add("kasir", roles=["cashier"])
        OutboxMessage.update(status="sending", claim="gone-host:1:x", attempts=1,
                             claimed_at=utcnow() - CLAIM_LEASE * 2).where(
            OutboxMessage.id == ids[0]).execute()
    code, out, err = cli(deployment, "outbox", "send")
    assert code == 0, err
    assert "sent 1" in out and "1 interrupted messages may or may not" in err
    assert "dyncrm outbox unknown" in err
    code, out, _ = cli(deployment, "outbox", "unknown")
    assert code == 0 and "loft 0" in out and "loft 1" not in out
    code, out, _ = cli(deployment, "outbox", "unknown", "--json")
    [row] = json.loads(out)["data"]
    assert row["id"] == ids[0] and row["channel"] == "file" and row["attempts"] == 1
    code, out, _ = cli(deployment, "outbox", "list", "--status", "unknown", "--json")
    assert [r["id"] for r in json.loads(out)["data"]] == [ids[0]]

    code, _, err = cli(deployment, "outbox", "resend", str(ids[0]), user="kasir")
    assert code == 1 and "outbox.resend" in err
    code, out, err = cli(deployment, "outbox", "resend", str(ids[0]))
    assert code == 0, err
    assert f"message {ids[0]} resent by admin and sent" in out
    assert len(list((deployment.parent / "outbox").glob("*.eml"))) == 2
    code, out, _ = cli(deployment, "outbox", "unknown")
    assert "(no message of unknown delivery)" in out
    code, _, err = cli(deployment, "outbox", "resend", str(ids[0]))
    assert code == 1 and "is sent" in err


# --- migration 0002 on a database that had messages before it ---------------------------


@pytest.fixture(params=["sqlite",
                        pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
                        pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")])
def any_crm(request, make_crm):
    url = None if request.param == "sqlite" else request.getfixturevalue(request.param)
    return make_crm(database_url=url)


def test_migration_0002_gives_existing_messages_a_uid_of_their_own(any_crm):
    from playhouse.migrate import SchemaMigrator

    crm = any_crm
    db = crm.database
    ids = queue(crm, 3, channel="console")
    migrator = SchemaMigrator.from_database(db)
    # the database as it was before 0002
    db.execute_sql("DELETE FROM dyncrm_schema_migration WHERE name = "
                   f"{db.param}", ("core:0002_outbox_delivery_states",))
    with db.atomic():
        ops = [migrator.drop_index("outbox_message", "outbox_message_uid")]
        ops += [migrator.drop_column("outbox_message", c)
                for c in ("uid", "claim", "claimed_at", "resent_by", "resent_at")]
        migrator.migrate(*ops)
    assert "uid" not in {c.name for c in db.get_columns("outbox_message")}

    assert crm.upgrade() == ["core:0002_outbox_delivery_states"]
    uids = [m.uid for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert len(set(uids)) == 3 and all(len(u) == 36 for u in uids)
    assert any(i.name == "outbox_message_uid" and i.unique for i in db.get_indexes(
        "outbox_message"))
    uid = {c.name: c for c in db.get_columns("outbox_message")}["uid"]
    assert uid.null == isinstance(db, SqliteDatabase)
    assert crm.outbox.deliver().sent == 3
    assert [m.status for m in OutboxMessage.select()] == ["sent"] * 3
    assert ids == [m.id for m in OutboxMessage.select().order_by(OutboxMessage.id)]
