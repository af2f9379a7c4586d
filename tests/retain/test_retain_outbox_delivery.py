"""Outbox delivery through real servers on loopback: a stable SMTP Message-ID, and several
`dyncrm outbox send` processes at once on SQLite, PostgreSQL and MariaDB never sending a
message twice (each message is claimed by one of them before it leaves)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from retain_support import SYSTEM, add_staff, free_port, http_server, smtp_notify, write_config

from dyncrm.app import open_crm
from dyncrm.db.models import DeliveryAttempt, OutboxMessage


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to the loopback server must not go through a proxy from the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


class Grumpy:
    """An SMTP server that refuses the first message with a temporary error, then accepts."""

    def __init__(self) -> None:
        self.seen: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.seen.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "451 try again later" if len(self.seen) == 1 else "250 accepted"


def test_smtp_messages_carry_the_same_message_id_on_every_attempt(make_crm):
    grumpy, port = Grumpy(), free_port()
    controller = Controller(grumpy, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        crm = make_crm(notify=smtp_notify(port))
        with crm.action("test.notify", SYSTEM):
            first = crm.outbox.queue(recipient="siti@example.org", subject="Angsuran", body="b")
            other = crm.outbox.queue(recipient="budi@example.org", subject="Angsuran", body="b")
        assert crm.outbox.deliver().failed == 1
        later = crm.now() + dt.timedelta(hours=1)
        assert crm.outbox.deliver(now=later).sent == 1
    finally:
        controller.stop()
    ids = [str(m["Message-ID"]) for m in grumpy.seen]
    uid = OutboxMessage.get_by_id(first.id).uid
    assert ids[0] == ids[2] == f"<{uid}@example.org>"  # refused, then accepted: same id
    assert ids[1] == f"<{OutboxMessage.get_by_id(other.id).uid}@example.org>" != ids[0]


class Slow:
    """An SMTP server that takes the message and confirms it too late for the client."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.seen.append(envelope.content)
        await asyncio.sleep(1.6)
        return "250 accepted (too late)"


def test_a_message_the_smtp_server_took_but_did_not_confirm_is_held_not_resent(make_crm):
    slow, port = Slow(), free_port()
    controller = Controller(slow, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        crm = make_crm(notify={**smtp_notify(port), "smtp": {
            **smtp_notify(port)["smtp"], "timeout": 1}})
        with crm.action("test.notify", SYSTEM):
            mid = crm.outbox.queue(recipient="siti@example.org", subject="Angsuran", body="b").id
        report = crm.outbox.deliver()
        assert (report.sent, report.failed, report.unknown) == (0, 0, 1)
        row = OutboxMessage.get_by_id(mid)
        assert row.status == "unknown" and "did not confirm" in row.last_error
        later = crm.now() + dt.timedelta(days=1)
        assert crm.outbox.deliver(now=later).unknown == 0
        assert len(slow.seen) == 1  # not sent again by the system
    finally:
        controller.stop()


@pytest.fixture(params=["sqlite",
                        pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
                        pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")])
def database_url(request) -> str:
    if request.param == "sqlite":
        return "sqlite:///crm.db"
    return request.getfixturevalue(request.param)


SENDERS = 3
MESSAGES = 90


def test_concurrent_outbox_send_processes_send_each_message_once(tmp_path: Path, database_url):
    with http_server() as (gateway, url):
        gateway.delay = 0.004  # a gateway that takes its time: the senders overlap
        config = write_config(tmp_path, enabled=["retain.http_gateway"],
                              notify={"default_channel": "whatsapp"},
                              plugins={"retain.http_gateway": {"url": url, "timeout": 10}},
                              database_url=database_url)
        with open_crm(config) as crm:
            crm.upgrade()
            add_staff(crm, "admin", "admin")
            with crm.action("test.queue", SYSTEM):
                for i in range(MESSAGES):
                    crm.outbox.queue(recipient=f"+62811{i:04d}", subject=f"message {i}",
                                     body="b")
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        started = time.monotonic()
        argv = [sys.executable, "-m", "dyncrm.cli", "-c", str(config), "--debug", "--as",
                "admin", "outbox", "send"]
        procs = [subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(SENDERS)]
        outputs = [p.communicate(timeout=120) for p in procs]
        elapsed = time.monotonic() - started
        assert [p.returncode for p in procs] == [0] * SENDERS, outputs
        per_process = [int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs]

        posts = Counter(r["json"]["subject"] for r in gateway.requests)
        assert len(posts) == MESSAGES and set(posts.values()) == {1}, posts.most_common(3)
        assert sum(per_process) == MESSAGES
        assert sum(1 for n in per_process if n) >= 2, per_process  # they did run at once
        with open_crm(config) as crm:
            assert {m.status for m in OutboxMessage.select()} == {"sent"}
            attempts = Counter(a.message_id for a in DeliveryAttempt.select())
            assert len(attempts) == MESSAGES and set(attempts.values()) == {1}
            claims = {m.claim.rsplit(":", 1)[0] for m in OutboxMessage.select()}
            assert len(claims) == sum(1 for n in per_process if n)  # one claimer per process
        print(json.dumps({"backend": database_url.split(":")[0], "senders": per_process,
                          "posts": len(gateway.requests), "seconds": round(elapsed, 2)}))


def test_the_daily_reminder_job_reports_messages_held_as_unknown(make_crm):
    from dyncrm.notify import CLAIM_LEASE
    from dyncrm_retain.reminders import run_job

    crm = make_crm(enabled=["retain.reminders"])
    with crm.action("test.queue", SYSTEM):
        mid = crm.outbox.queue(recipient="siti@example.org", subject="s", body="b").id
    OutboxMessage.update(status="sending", claim="gone-host:1:x", attempts=1,
                         claimed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                         - 2 * CLAIM_LEASE).where(OutboxMessage.id == mid).execute()
    text = run_job(crm, crm.today())
    assert "1 of an interrupted run held as unknown (dyncrm outbox unknown)" in text
    assert "held as unknown" not in run_job(crm, crm.today())
    assert OutboxMessage.get_by_id(mid).status == "unknown"
