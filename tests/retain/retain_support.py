"""Shared helpers for the retain tests: members made with the core only, a loopback
SMTP server (aiosmtpd), a loopback HTTP server, row counts and CLI config files.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.server
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from dyncrm import hookimpl
from dyncrm.db.models import ActionKey, DeliveryAttempt, Member, OutboxMessage, Touchpoint, User
from dyncrm.values import Actor

SYSTEM = Actor.operator()
RETAIN = ["retain.feedback", "retain.faq", "retain.reminders"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_member(crm, name: str, *, number: str | None = None, email_addr: str | None = None,
               phone: str | None = None, opt_out: bool = False, channel: str | None = None,
               login: str | None = None) -> int:
    """An active member made with the core only (``crm.lifecycle.enrol``), optionally with a
    login."""
    member = crm.lifecycle.enrol(SYSTEM, name, number=number,
                                 email=email_addr or f"{name.split()[0].lower()}@example.org",
                                 phone=phone, marketing_opt_out=opt_out,
                                 preferred_channel=channel)
    if login:
        with crm.database.atomic():  # no password: argon2 is slow and logins are not tested here
            crm.users.add(login, roles=["member"], member_id=member.id)
    return member.id


def add_staff(crm, username: str, *roles: str) -> Actor:
    """A staff login with ``roles`` (without a password, to keep tests fast)."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles))
    return crm.actor(username)


def counts(*models) -> dict[str, int]:
    """Row counts of the core tables an action may write, plus ``models``."""
    base = (Member, User, Touchpoint, OutboxMessage, DeliveryAttempt, ActionKey)
    return {m.__name__: m.select().count() for m in (*base, *models)}


def fixed_clock(start: dt.datetime):
    """A settable clock: ``clock.at = datetime`` (naive UTC)."""

    class Clock:
        at = start

        def __call__(self) -> dt.datetime:
            return self.at

    return Clock()


# --- SMTP on loopback ---------------------------------------------------------------


class Mailbox:
    """What the loopback SMTP server received, as parsed e-mail messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        #: called after a message is recorded, before the client hears "250"
        self.on_message: Callable[[], None] | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler API
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        if self.on_message is not None:
            self.on_message()
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if str(m["To"]) == address]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """An aiosmtpd server on 127.0.0.1 and a free port; yields ``(mailbox, port)``."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def smtp_notify(port: int) -> dict[str, Any]:
    """The ``[notify]`` section sending everything through the loopback SMTP server."""
    return {"default_channel": "smtp", "file_directory": "outbox",
            "smtp": {"host": "127.0.0.1", "port": port, "sender": "koperasi@example.org",
                     "timeout": 5}}


# --- HTTP on loopback ---------------------------------------------------------------


class Recorder:
    """Requests the loopback HTTP server received, and the status it answers with.

    Like a gateway that honours ``Idempotency-Key``, it delivers each key once:
    ``requests`` has every POST, ``deliveries`` the first request of each key.
    ``delay`` (seconds) slows each answer; ``on_post`` is called after a request is
    recorded, before it is answered.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.deliveries: dict[str, dict[str, Any]] = {}
        self.status = 200
        self.delay = 0.0
        self.on_post: Callable[[], None] | None = None
        self.lock = threading.Lock()


@contextmanager
def http_server() -> Iterator[tuple[Recorder, str]]:
    """A ``http.server`` on 127.0.0.1 in a thread; yields ``(recorder, url)``."""
    rec = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            request = {"path": self.path, "headers": dict(self.headers),
                       "json": json.loads(body.decode("utf-8"))}
            key = self.headers.get("Idempotency-Key")
            with rec.lock:
                rec.requests.append(request)
                status = rec.status
                if status < 300 and key and key not in rec.deliveries:
                    rec.deliveries[key] = request
            if rec.on_post is not None:
                rec.on_post()
            if rec.delay:
                time.sleep(rec.delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if status < 300 else b'{"ok": false}')

        def log_message(self, *args):  # keep the test output quiet
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-way
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec, f"http://127.0.0.1:{server.server_address[1]}/send"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- CLI config files ---------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A Python value as TOML (enough for test configs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(type(value))


def write_config(directory: Path, *, enabled: list[str], notify: dict[str, Any],
                 plugins: dict[str, dict[str, Any]] | None = None,
                 database_url: str = "sqlite:///crm.db") -> Path:
    """A dyncrm.toml for CLI tests in ``directory`` (SQLite file ``crm.db`` next to it,
    unless ``database_url`` names another database)."""
    lines = ['[organisation]', 'name = "Koperasi Uji"', 'currency = "IDR"',
             'currency_exponent = 0', 'locale = "id_ID"', 'timezone = "Asia/Jakarta"', '',
             '[database]', f'url = {json.dumps(database_url)}', '', '[plugins]',
             f"enabled = {toml_value(enabled)}", '']
    for name, section in (plugins or {}).items():
        lines.append(f'[plugins."{name}"]')
        lines += [f"{k} = {toml_value(v)}" for k, v in section.items()]
        lines.append("")
    lines.append("[notify]")
    for k, v in notify.items():
        if not isinstance(v, dict):
            lines.append(f"{k} = {toml_value(v)}")
    for k, v in notify.items():
        if isinstance(v, dict):
            lines.append(f"[notify.{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items()]
    path = directory / "dyncrm.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- a test-only due-item source ------------------------------------------------------


class Dues:
    """A due-item source kept in memory: ``add`` items, ``pay`` them on a date.

    Register it with ``make_crm(extra_plugins=[("test.dues", Dues())])``.  An item paid
    on day P is returned for runs before P only, as a real source stops returning what
    was settled.
    """

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls: list[dt.date] = []

    def add(self, key: str, member_id: int | None, due_on: dt.date, *, kind: str = "test.due",
            amount: Any = None, essential: bool = True, recipient: str | None = None,
            description: str = "") -> None:
        self.items[key] = dict(key=key, member_id=member_id, due_on=due_on, kind=kind,
                               amount=amount, essential=essential, recipient=recipient,
                               description=description or f"payment {key}", paid_on=None)

    def pay(self, key: str, on: dt.date) -> None:
        self.items[key]["paid_on"] = on

    @hookimpl
    def dyncrm_retain_due_items(self, crm, on):
        from dyncrm.values import DueItem

        self.calls.append(on)
        return [DueItem(key=i["key"], kind=i["kind"], member_id=i["member_id"],
                        due_on=i["due_on"], amount=i["amount"], essential=i["essential"],
                        recipient=i["recipient"], description=i["description"])
                for i in self.items.values() if i["paid_on"] is None or on < i["paid_on"]]
