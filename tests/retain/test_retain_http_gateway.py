"""retain.http_gateway against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import datetime as dt

import pytest
from retain_support import SYSTEM, Dues, add_member, fixed_clock, free_port, http_server

from dyncrm.config import ConfigError
from dyncrm.db.models import DeliveryAttempt, OutboxMessage
from dyncrm_retain.reminders import engine as remind_engine

DUE = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Requests to the loopback server must not go through a proxy from the environment."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def gateway_crm(make_crm, url, monkeypatch, **extra):
    monkeypatch.setenv("WA_GATEWAY_TOKEN", "s3cret-token")
    return make_crm(enabled=["retain.reminders", "retain.http_gateway"], plugins={
        "retain.http_gateway": {"url": url, "token": {"$env": "WA_GATEWAY_TOKEN"},
                                "timeout": 5, **extra}})


def test_messages_are_posted_as_json_with_the_token_from_the_environment(make_crm, monkeypatch):
    with http_server() as (rec, url):
        crm = gateway_crm(make_crm, url, monkeypatch)
        assert "whatsapp" in crm.outbox.channels
        member = add_member(crm, "Siti Aminah", phone="+628123456789", channel="whatsapp")
        with crm.action("test.notify", SYSTEM):
            crm.outbox.queue(recipient="+628123456789", subject="Angsuran",
                             body="Angsuran Rp 250.000 jatuh tempo besok. Terima kasih 🙏",
                             channel="whatsapp", member_id=member, kind="test")
        report = crm.outbox.deliver()
        assert (report.sent, report.failed) == (1, 0)
        assert len(rec.requests) == 1
        req = rec.requests[0]
        assert req["path"] == "/send"
        assert req["json"] == {"to": "+628123456789", "subject": "Angsuran",
                               "body": "Angsuran Rp 250.000 jatuh tempo besok. Terima kasih 🙏"}
        assert req["headers"]["Authorization"] == "Bearer s3cret-token"
        assert req["headers"]["Idempotency-Key"] == OutboxMessage.get().uid  # a UUID
        assert req["headers"]["Content-Type"].startswith("application/json")
        assert crm.outbox.deliver().sent == 0  # sent once, never again
        assert len(rec.requests) == 1


def test_a_gateway_error_is_recorded_and_retried_later(make_crm, monkeypatch):
    with http_server() as (rec, url):
        crm = gateway_crm(make_crm, url, monkeypatch)
        with crm.action("test.notify", SYSTEM):
            crm.outbox.queue(recipient="+628111", subject="s", body="b", channel="whatsapp")
        rec.status = 503
        report = crm.outbox.deliver()
        assert (report.sent, report.failed) == (0, 1)
        msg = OutboxMessage.get()
        assert msg.status == "pending" and "503" in msg.last_error
        rec.status = 200
        later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
        assert crm.outbox.deliver(now=later).sent == 1
        assert [a.ok for a in DeliveryAttempt.select().order_by(DeliveryAttempt.id)] == [
            False, True]
        assert len(rec.requests) == 2


def test_an_unreachable_gateway_is_a_recorded_failure(make_crm, monkeypatch):
    crm = gateway_crm(make_crm, f"http://127.0.0.1:{free_port()}/send", monkeypatch, timeout=2)
    with crm.action("test.notify", SYSTEM):
        crm.outbox.queue(recipient="+628111", subject="s", body="b", channel="whatsapp")
    assert crm.outbox.deliver().failed == 1
    assert "not reachable" in OutboxMessage.get().last_error


def test_reminders_reach_members_who_prefer_the_gateway_on_their_phone(make_crm, monkeypatch):
    with http_server() as (rec, url):
        dues = Dues()
        monkeypatch.setenv("WA_GATEWAY_TOKEN", "t")
        crm = make_crm(enabled=["retain.reminders", "retain.http_gateway"],
                       extra_plugins=[("test.dues", dues)],
                       clock=fixed_clock(dt.datetime(2026, 3, 16, 2, 0)),
                       plugins={"retain.http_gateway": {"url": url, "channel": "sms"}})
        m = add_member(crm, "Budi Santoso", phone="+628555", channel="sms")
        dues.add("inst:1", m, DUE, amount=crm.money("300.000"), description="angsuran 1")
        report = remind_engine.run(crm, DUE, SYSTEM)
        assert [(s.channel, s.recipient) for s in report.queued] == [("sms", "+628555")]
        crm.outbox.deliver(now=crm.now())
        assert [r["json"]["to"] for r in rec.requests] == ["+628555"]
        assert rec.requests[0]["json"]["subject"] == "Reminder: angsuran 1 due today"
        assert "Authorization" not in rec.requests[0]["headers"]


@pytest.mark.parametrize("section, message", [
    ({}, "needs settings"),
    ({"url": "ftp://gateway.example/send"}, "must be an http"),
    ({"url": "http://gateway.example/send", "timeout": 0}, "above zero"),
])
def test_bad_gateway_settings_are_refused(make_crm, section, message):
    with pytest.raises(ConfigError, match=message):
        make_crm(enabled=["retain.http_gateway"], plugins={"retain.http_gateway": section}
                 if section else {})


def test_an_unset_token_variable_refuses_only_the_send(make_crm):
    """The deployment loads (every other command works); sending names the variable."""
    from dyncrm.config import MissingSecret
    from dyncrm.values import OutboundMessage
    from dyncrm_retain.http_gateway import GatewaySettings, gateway_channel

    make_crm(enabled=["retain.http_gateway"], plugins={"retain.http_gateway": {
        "url": "http://gateway.example/send", "token": {"$env": "NOT_SET_ANYWHERE_X"}}})

    settings = GatewaySettings(url="http://gateway.example/send",
                               token=MissingSecret("NOT_SET_ANYWHERE_X", "token", None))
    channel = gateway_channel(settings)
    message = OutboundMessage(id=1, channel="whatsapp", recipient="+628123", subject="s",
                              body="b", kind="test", member_id=None, idempotency_key="k")
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE_X is not set"):
        channel.send(message)
