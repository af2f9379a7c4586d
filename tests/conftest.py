"""Shared fixtures: real SQLite files, a fresh CRM per test, staff actors.

PostgreSQL: ``postgres_server`` (session) starts a throwaway server (see
``tests/pg.py``); ``pg_url`` gives each test a fresh database on it, e.g.
``make_crm(database_url=pg_url)``.  Tests using either are marked ``postgres``
automatically; without the server binaries they skip, except under ``CI=true``
where they fail.

MariaDB/MySQL: likewise ``mysql_server`` (session, see ``tests/mysql.py``) and
``mysql_url`` (a fresh ``utf8mb4`` database per test, as a ``mysql://`` URL);
tests using them are marked ``mysql``.

Third-party plugin: ``visits_site`` (session) lays out tests/plugins/dyncrm_visits
as an installed distribution ``dyncrm-visits 0.1`` in a temporary directory;
``visits_installed`` puts it on ``sys.path`` for one test, so the ``visits`` and
``visits.reports`` entry points are discoverable (see ``tests/thirdparty.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mysql import MariaDBServer, MariaDBUnavailable
from pg import PostgresServer, PostgresUnavailable
from servers import started
from thirdparty import (
    VISITS_DISTRIBUTION,
    VISITS_ENTRY_POINTS,
    VISITS_PACKAGE,
    VISITS_VERSION,
    on_sys_path,
    write_distribution,
)

from dyncrm.app import CRM
from dyncrm.config import config_from_dict
from dyncrm.values import Actor

BASE_CONFIG: dict[str, Any] = {
    "organisation": {"name": "Koperasi Uji", "currency": "IDR", "currency_exponent": 0,
                     "locale": "id_ID", "timezone": "Asia/Jakarta"},
    "notify": {"default_channel": "file", "file_directory": "outbox"},
}


def build_config(tmp_path: Path, enabled=(), plugins: dict | None = None,
                 database_url: str | None = None, **sections: Any):
    """A Config for a deployment living in ``tmp_path`` on a real SQLite file."""
    raw: dict[str, Any] = {k: dict(v) for k, v in BASE_CONFIG.items()}
    raw["database"] = {"url": database_url or f"sqlite:///{tmp_path / 'crm.db'}"}
    raw["plugins"] = {"enabled": list(enabled), **(plugins or {})}
    for name, value in sections.items():
        raw[name] = value
    return config_from_dict(raw, base_dir=tmp_path)


@pytest.fixture
def make_crm(tmp_path: Path) -> Iterator[Callable[..., CRM]]:
    """Factory: ``make_crm(enabled=[...], plugins={...}, extra_plugins=...)`` → migrated CRM."""
    opened: list[CRM] = []

    def factory(enabled=(), plugins: dict | None = None, extra_plugins=(),
                clock: Callable[[], dt.datetime] | None = None, database_url=None,
                **sections: Any) -> CRM:
        config = build_config(tmp_path, enabled, plugins, database_url, **sections)
        crm = CRM(config, extra_plugins=tuple(extra_plugins), clock=clock)
        crm.upgrade()
        opened.append(crm)
        return crm

    yield factory
    for crm in opened:
        crm.close()


@pytest.fixture
def crm(make_crm) -> CRM:
    """A CRM with only the core loaded."""
    return make_crm()


def staff(crm: CRM, username: str, *roles: str) -> Actor:
    """Create a staff user with ``roles`` and return its actor."""
    with crm.database.atomic():
        crm.users.add(username, roles=list(roles), password="correct horse battery")
    return crm.actor(username)


@pytest.fixture
def admin(crm: CRM) -> Actor:
    """An administrator of the core-only CRM."""
    return staff(crm, "admin", "admin")


@pytest.fixture
def system() -> Actor:
    """The batch actor."""
    return Actor.operator()


@pytest.fixture
def runner() -> CliRunner:
    """A click runner with stderr kept apart from stdout."""
    return CliRunner()


#: The password :func:`sign_in` gives people who sign in for a command-line test.
TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _private_session_dir(tmp_path_factory, monkeypatch) -> None:
    """Every test keeps its command-line sessions in a folder of its own."""
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(tmp_path_factory.mktemp("sessions")))
    monkeypatch.delenv("DYNCRM_USER", raising=False)


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


def _config_of(args: list[str]) -> str | None:
    import os

    for i, arg in enumerate(args):
        if arg in ("-c", "--config") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return os.environ.get("DYNCRM_CONFIG") or ("dyncrm.toml" if Path("dyncrm.toml").exists()
                                               else None)


def run_cli(args: list[str], *, env: dict[str, str] | None = None, input: str | None = None,
            signed_in: bool = True):
    """Run ``dyncrm`` through :func:`dyncrm.cli.main` like a shell would; returns
    ``(exit_code, stdout, stderr)``.

    With ``--as NAME`` in ``args`` (and ``signed_in``), NAME is signed in first
    (:func:`sign_in`), as a person would have done with ``dyncrm login``; tests of
    signing in itself pass ``signed_in=False``.
    """
    import contextlib
    import io
    import os

    if signed_in and "--as" in args:
        name = args[args.index("--as") + 1]
        config = _config_of(args)
        if config:
            # an unknown user and the like: the command itself then says so
            with contextlib.suppress(Exception):
                sign_in(config, name)

    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        from dyncrm.cli import main

        stdin = io.StringIO(input or "")
        import sys

        saved_stdin = sys.stdin
        sys.stdin = stdin
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(args)
        finally:
            sys.stdin = saved_stdin
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return int(code), out.getvalue(), err.getvalue()


# --- PostgreSQL ---------------------------------------------------------------------

POSTGRES_FIXTURES = frozenset({"postgres_server", "pg_url"})


MYSQL_FIXTURES = frozenset({"mysql_server", "mysql_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the PostgreSQL fixtures with ``postgres`` and every
    test that uses the MariaDB fixtures with ``mysql``."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if POSTGRES_FIXTURES & fixtures:
            item.add_marker(pytest.mark.postgres)
        if MYSQL_FIXTURES & fixtures:
            item.add_marker(pytest.mark.mysql)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this test run, stopped and deleted at its end.

    Skips when PostgreSQL cannot run here, but fails under ``CI=true``.
    """
    yield from started(PostgresServer, PostgresUnavailable, "PostgreSQL")


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    with postgres_server.database() as url:
        yield url


# --- MariaDB / MySQL ------------------------------------------------------------------


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[MariaDBServer]:
    """A MariaDB server started for this test run, stopped and deleted at its end.

    Skips when MariaDB cannot run here, but fails under ``CI=true``.
    """
    yield from started(MariaDBServer, MariaDBUnavailable, "MariaDB")


@pytest.fixture
def mysql_url(mysql_server: MariaDBServer) -> Iterator[str]:
    """URL (``mysql://``) of a fresh, empty utf8mb4 database for this test (dropped afterwards)."""
    with mysql_server.database() as url:
        yield url


# --- the third-party plugin (tests/plugins/dyncrm_visits) ----------------------------


@pytest.fixture(scope="session")
def visits_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding ``dyncrm_visits`` and its ``dyncrm_visits-0.1.dist-info``."""
    site = tmp_path_factory.mktemp("third-party-site")
    write_distribution(site, VISITS_PACKAGE, name=VISITS_DISTRIBUTION, version=VISITS_VERSION,
                       entry_points=VISITS_ENTRY_POINTS,
                       summary="Branch visit log for dyncrm (third-party example)")
    return site


@pytest.fixture
def visits_installed(visits_site: Path) -> Iterator[str]:
    """The ``dyncrm-visits`` distribution installed for this test; yields the plugin name.

    Only for the test that asks: other tests never see the plugin installed.
    """
    with on_sys_path(visits_site, "dyncrm_visits"):
        yield "visits"


def pdf_pages(path) -> list[str]:
    """The text of each page of a PDF (pypdfium2, from the test extras)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pdf_text(path) -> str:
    """The text of a whole PDF, pages separated by newlines."""
    return "\n".join(pdf_pages(path))
