"""Test fixtures and helpers for dyncrm plugins: a pytest plugin installed with dyncrm.

Installing dyncrm registers this module with pytest (the ``pytest11`` entry point
``dyncrm``), so a plugin's own tests get its fixtures with nothing to import:

* ``make_crm`` — factory of migrated CRMs on a real SQLite file in ``tmp_path``,
  with chosen plugins, settings and clock; ``crm`` — one with only the core;
  ``admin`` — an administrator of ``crm``;
* ``dyncrm_sessions`` (autouse) — every test keeps its command-line sign-in
  sessions in a folder of its own.

and these helpers, imported ``from dyncrm.testing import ...``:

* :func:`build_config` — a :class:`~dyncrm.config.Config` for a deployment in a folder;
* :class:`Clock` — a settable clock (``clock.now = ...`` moves time);
* :func:`staff` — a staff user with roles, as an :class:`~dyncrm.values.Actor`;
* :func:`active_member` — an active member in one call;
* :func:`run_cli` and :func:`sign_in` — the ``dyncrm`` command line, signed in;
* :func:`today_of` — today as a deployment counts days (its time zone, not the machine's);
* :func:`messages_for` and :func:`touchpoints` — what a member was sent and what
  happened to them;
* :func:`snapshot` — every row of every table, for "nothing was written" checks,
  on SQLite, PostgreSQL and MariaDB;
* :func:`web_client` — the web portal of a CRM, with a browser-like client that
  signs in and sends CSRF tokens (:class:`dyncrm.web.testclient.WebClient`).

Nothing here mocks the database or the channels: the CRMs are real, on real files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import io
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: pytest loads this module in every test run
    from dyncrm.app import CRM
    from dyncrm.config import Config
    from dyncrm.db.models import OutboxMessage
    from dyncrm.values import Actor, TouchpointInfo

__all__ = [
    "BASE_CONFIG",
    "DEFAULT_EXCLUDE",
    "TEST_PASSWORD",
    "Clock",
    "active_member",
    "build_config",
    "messages_for",
    "run_cli",
    "sign_in",
    "snapshot",
    "staff",
    "today_of",
    "touchpoints",
    "web_client",
]

#: The configuration every test deployment starts from: an Indonesian cooperative
#: keeping rupiah without decimals, messages written as files to ``outbox/``.
BASE_CONFIG: dict[str, Any] = {
    "organisation": {"name": "Koperasi Uji", "currency": "IDR", "currency_exponent": 0,
                     "locale": "id_ID", "timezone": "Asia/Jakarta"},
    "notify": {"default_channel": "file", "file_directory": "outbox"},
}

#: The password :func:`sign_in` gives people who sign in for a command-line test.
TEST_PASSWORD = "correct horse battery staple"

#: What :func:`snapshot` leaves out unless told otherwise: what records *who acted*
#: rather than *what changed*.  Signing in on the command line writes a session and
#: may clear a throttle whatever the command then does, and :func:`sign_in` sets the
#: user's password; migrations are bookkeeping of the schema.
DEFAULT_EXCLUDE: frozenset[str] = frozenset({
    "user_session", "login_throttle", "user.password_hash", "dyncrm_schema_migration",
})


# --- a deployment ---------------------------------------------------------------------


def build_config(tmp_path: Path, enabled: Iterable[str] = (), plugins: dict | None = None,
                 database_url: str | None = None, **sections: Any) -> Config:
    """A Config for a deployment living in ``tmp_path``, on a real SQLite file by default.

    :param enabled: plugin names to enable (``[plugins] enabled``).
    :param plugins: settings by plugin name, e.g. ``{"expand.savings": {...}}``.
    :param database_url: another database (a PostgreSQL or MariaDB URL) instead
        of ``sqlite:///<tmp_path>/crm.db``.
    :param sections: further top-level sections, replacing those of :data:`BASE_CONFIG`
        (``notify={...}``, ``clock={"simulated": True}``).
    """
    from dyncrm.config import config_from_dict

    raw: dict[str, Any] = {k: dict(v) for k, v in BASE_CONFIG.items()}
    raw["database"] = {"url": database_url or f"sqlite:///{Path(tmp_path) / 'crm.db'}"}
    raw["plugins"] = {"enabled": list(enabled), **(plugins or {})}
    for name, value in sections.items():
        raw[name] = value
    return config_from_dict(raw, base_dir=Path(tmp_path))


class Clock:
    """A settable clock for ``make_crm``: ``clock.now = ...`` moves time.

    ``Clock(dt.datetime(2026, 3, 2, 9, 0))``; :meth:`advance` moves it on by a
    :class:`~datetime.timedelta` or by ``days=``/``hours=``/....  Naive datetimes
    are UTC, as the CRM's own clock.
    """

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta | None = None, **units: float) -> dt.datetime:
        """Move the clock on by ``delta`` (or ``dt.timedelta(**units)``); the new time."""
        self.now = self.now + (delta if delta is not None else dt.timedelta(**units))
        return self.now


def today_of(config: str | Path) -> dt.date:
    """Today as the deployment at ``config`` counts days (its ``[organisation] timezone``):
    what its commands take as today.  Not the machine's ``date.today()``, which in a UTC
    test run is the day before Jakarta's from 17:00 to midnight."""
    from zoneinfo import ZoneInfo

    from dyncrm.config import load_config

    return dt.datetime.now(ZoneInfo(load_config(config).organisation.timezone)).date()


def _as_clock(clock: Any) -> Callable[[], dt.datetime] | None:
    if clock is None or callable(clock):
        return clock
    if isinstance(clock, dt.datetime):
        return Clock(clock)
    if isinstance(clock, dt.date):
        return Clock(dt.datetime(clock.year, clock.month, clock.day, 9, 0))
    raise TypeError(f"clock must be a callable, a datetime or a date, not {clock!r}")


def pytest_configure(config: pytest.Config) -> None:
    """Test runs hash passwords cheaply (see :func:`dyncrm.passwords.use_cheap_hashing_for_tests`).

    Signing a person in is then a matter of microseconds instead of the tens of
    milliseconds a real argon2id hash takes on purpose.  Set
    ``DYNCRM_TEST_REAL_PASSWORD_HASHING=1`` to test with the production cost.
    """
    if not os.environ.get("DYNCRM_TEST_REAL_PASSWORD_HASHING"):
        from dyncrm import passwords

        passwords.use_cheap_hashing_for_tests()


@pytest.fixture
def make_crm(tmp_path: Path) -> Iterator[Callable[..., CRM]]:
    """Factory of migrated CRMs on a real SQLite file in ``tmp_path``, closed after the test.

    ``make_crm(enabled=[...], plugins={...}, extra_plugins=[...], clock=...,
    database_url=..., **sections)``: ``enabled`` and ``plugins`` as in
    :func:`build_config`; ``extra_plugins`` are plugin objects or modules
    registered without an entry point (a plugin under test); ``clock`` is a
    callable returning the time, a :class:`Clock`, or a fixed datetime or date
    (a date means 09:00 UTC that day).  Every CRM made in one test shares the
    same database file.
    """
    from dyncrm.app import CRM

    opened: list[CRM] = []

    def factory(enabled: Iterable[str] = (), plugins: dict | None = None,
                extra_plugins: Iterable[Any] = (), clock: Any = None,
                database_url: str | None = None, **sections: Any) -> CRM:
        config = build_config(tmp_path, enabled, plugins, database_url, **sections)
        crm = CRM(config, extra_plugins=tuple(extra_plugins), clock=_as_clock(clock))
        opened.append(crm)
        crm.upgrade()
        return crm

    yield factory
    for crm in opened:
        crm.close()


@pytest.fixture
def crm(make_crm: Callable[..., CRM]) -> CRM:
    """A CRM with only the core loaded."""
    return make_crm()


@pytest.fixture
def admin(crm: CRM) -> Actor:
    """An administrator (role ``admin``) of the core-only :func:`crm`."""
    return staff(crm, "admin", "admin")


# --- people ---------------------------------------------------------------------------


def staff(crm: CRM, username: str, *roles: str, password: str | None = TEST_PASSWORD,
          member_id: int | None = None) -> Actor:
    """Create a staff user with ``roles`` and return its actor.

    The user's password is :data:`TEST_PASSWORD` (``password=None``: none, as a
    person not yet activated; it also spares the argon2 hashing).  ``member_id``
    links the login to a member (a member's own login, role ``member``).
    """
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles), password=password, member_id=member_id)
    return crm.actor(username)


def active_member(crm: CRM, name: str = "Siti Aminah", *, actor: Actor | None = None,
                  **fields: Any) -> int:
    """Create an active member in one call and return their id.

    Goes through :meth:`dyncrm.lifecycle.Lifecycle.enrol` (``applicant → active``,
    hooks and touchpoint as for any approval), acting as ``actor`` or the operator.
    ``fields`` are enrol's: ``email``, ``phone``, ``number``, ``joined_on``,
    ``preferred_channel``, ``marketing_opt_out``, ``key``.
    """
    from dyncrm.values import Actor

    info = crm.lifecycle.enrol(actor or Actor.operator(), name, **fields)
    return info.id


# --- the command line -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def dyncrm_sessions(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its command-line sessions in a folder of its own (autouse).

    Sets ``DYNCRM_SESSION_DIR`` to a fresh folder and clears ``DYNCRM_USER``, so
    a test never signs in with, or leaves, a session of the person running it.
    """
    folder = tmp_path_factory.mktemp("sessions")
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(folder))
    monkeypatch.delenv("DYNCRM_USER", raising=False)
    return folder


def sign_in(config: str | Path, username: str) -> None:
    """Sign ``username`` in on the command line of the deployment at ``config``.

    Gives the user :data:`TEST_PASSWORD` when theirs is another (through the
    trusted library path, as an operator would), then signs in through the real
    :meth:`~dyncrm.sessions.Sessions.login` and keeps the token where
    ``dyncrm login`` would.  A live session is reused.
    """
    from dyncrm.app import open_crm
    from dyncrm.passwords import verify_password
    from dyncrm.session_store import SessionStore
    from dyncrm.sessions import SignInRequired

    store = SessionStore(config)
    with open_crm(config) as crm:
        found = store.token(username)
        if found:
            try:
                crm.sessions.resume(found[1], channel="cli")
                return
            except SignInRequired:
                pass
        user = crm.users.get(username)
        if not verify_password(user.password_hash, TEST_PASSWORD):
            with crm.database.atomic():
                crm.users.set_password(username, TEST_PASSWORD)
        signed = crm.sessions.login(username, TEST_PASSWORD, channel="cli", source="tests")
    store.save(signed.actor.username, signed.token)


def web_client(crm: CRM, username: str | None = None) -> Any:
    """The portal of ``crm`` with a browser-like client, signed in as ``username`` if given.

    The user's password becomes :data:`TEST_PASSWORD` when it is another (as in
    :func:`sign_in`).  Returns a :class:`dyncrm.web.testclient.WebClient`;
    ``client.app`` is the Flask application.
    """
    from dyncrm.passwords import verify_password
    from dyncrm.web import create_app
    from dyncrm.web.testclient import WebClient

    client = WebClient(create_app(crm=crm))
    if username is not None:
        user = crm.users.get(username)
        if not verify_password(user.password_hash, TEST_PASSWORD):
            with crm.database.atomic():
                crm.users.set_password(username, TEST_PASSWORD)
        client.sign_in(username, TEST_PASSWORD)
    return client


def _config_of(args: list[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg in ("-c", "--config") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return os.environ.get("DYNCRM_CONFIG") or ("dyncrm.toml" if Path("dyncrm.toml").exists()
                                               else None)


def run_cli(args: list[str], *, env: dict[str, str] | None = None, input: str | None = None,
            signed_in: bool = True) -> tuple[int, str, str]:
    """Run ``dyncrm`` through ``dyncrm.cli.main`` like a shell would; returns
    ``(exit_code, stdout, stderr)``.

    With ``--as NAME`` in ``args`` (and ``signed_in``), NAME is signed in first
    (:func:`sign_in`), as a person would have done with ``dyncrm login``; tests of
    signing in itself pass ``signed_in=False``.  ``env`` adds environment
    variables for this run only; ``input`` is what the command reads on stdin.
    """
    if signed_in and "--as" in args:
        name = args[args.index("--as") + 1]
        config = _config_of(args)
        if config:
            # an unknown user and the like: the command itself then says so
            with contextlib.suppress(Exception):
                sign_in(config, name)

    from dyncrm.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(input or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        sys.stdin = saved_stdin
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return int(code), out.getvalue(), err.getvalue()


# --- what happened --------------------------------------------------------------------


def messages_for(crm: CRM, member_id: int, *, kind: str | None = None,
                 status: str | None = None) -> list[OutboxMessage]:
    """The outbox messages for a member, oldest first (queued, sent or failed alike).

    ``kind`` and ``status`` narrow them (``kind="savings.deposit"``,
    ``status="pending"``); each row has ``channel``, ``recipient``, ``subject``,
    ``body``, ``kind`` and ``status``.
    """
    from dyncrm.db.models import OutboxMessage

    query = OutboxMessage.select().where(OutboxMessage.member == member_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(query.order_by(OutboxMessage.id))


def touchpoints(crm: CRM, member_id: int, *, kind: str | None = None) -> list[TouchpointInfo]:
    """A member's touchpoints, oldest first (:meth:`dyncrm.app.CRM.timeline`),
    only those of ``kind`` (``"stage.approve"``, a glob such as ``"savings.*"``) if given."""
    found = crm.timeline(member_id)
    if kind is None:
        return found
    return [t for t in found if fnmatch.fnmatchcase(t.kind, kind)]


# --- snapshot -------------------------------------------------------------------------


def snapshot(source: Any, *, exclude: Iterable[str] = DEFAULT_EXCLUDE
             ) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by table name: compare two to show nothing was written.

    ``source`` is a CRM, a peewee database (SQLite, PostgreSQL or MariaDB) or the
    path of a SQLite file (opened read-only).  Rows come in a fixed order (by
    every column), so two snapshots of the same data are equal.

    ``exclude`` names tables (``"user_session"``) and columns (``"user.password_hash"``)
    to leave out, as shell-style patterns (``"faq_search*"``); by default
    :data:`DEFAULT_EXCLUDE`, what records who acted rather than what changed.
    Pass ``DEFAULT_EXCLUDE | {...}`` to add to it, or ``()`` to compare everything.
    """
    tables_out = [e for e in exclude if "." not in e]
    columns_out = [e.split(".", 1) for e in exclude if "." in e]
    if isinstance(source, str | os.PathLike):
        return _snapshot_sqlite_file(Path(source), tables_out, columns_out)
    import peewee

    database = source if isinstance(source, peewee.Database) else source.database
    left, right = getattr(database, "quote", '""')
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in sorted(database.get_tables()):
        if any(fnmatch.fnmatchcase(table, p) for p in tables_out):
            continue
        columns = [c.name for c in database.get_columns(table)
                   if not _column_excluded(table, c.name, columns_out)]
        out[table] = _rows(database.execute_sql, table, columns, left, right) if columns else []
    return out


def _column_excluded(table: str, column: str, columns_out: list[list[str]]) -> bool:
    return any(fnmatch.fnmatchcase(table, t) and fnmatch.fnmatchcase(column, c)
               for t, c in columns_out)


def _rows(execute: Callable[..., Any], table: str, columns: list[str], left: str,
          right: str) -> list[tuple[Any, ...]]:
    names = ", ".join(f"{left}{c}{right}" for c in columns)
    order = ", ".join(str(i) for i in range(1, len(columns) + 1))
    cursor = execute(f"SELECT {names} FROM {left}{table}{right} ORDER BY {order}")
    return [tuple(row) for row in cursor.fetchall()]


def _snapshot_sqlite_file(path: Path, tables_out: list[str], columns_out: list[list[str]]
                          ) -> dict[str, list[tuple[Any, ...]]]:
    if not path.is_file():
        raise FileNotFoundError(f"no SQLite database at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            if any(fnmatch.fnmatchcase(table, p) for p in tables_out):
                continue
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')
                       if not _column_excluded(table, r[1], columns_out)]
            out[table] = _rows(conn.execute, table, columns, '"', '"') if columns else []
        return out
    finally:
        conn.close()
