"""Fixtures of this repository's tests only.

The CRM, staff, command-line and snapshot fixtures and helpers every plugin's tests
can use live in :mod:`dyncrm.testing`, loaded by pytest as a plugin (``make_crm``,
``crm``, ``admin``; ``from dyncrm.testing import run_cli, sign_in, staff, snapshot``).
What stays here needs the repository: the database servers, the third-party plugin.

PostgreSQL: ``postgres_server`` (session) starts a throwaway server (see
``tests/pg.py``); ``pg_url`` gives each test a fresh database on it, e.g.
``make_crm(database_url=pg_url)``.  Tests using either are marked ``postgres``
automatically; without the server binaries they skip, except under ``CI=true``
where they fail.

MariaDB/MySQL: likewise ``mysql_server`` (session, see ``tests/mysql.py``) and
``mysql_url`` (a fresh ``utf8mb4`` database per test, as a ``mysql://`` URL);
tests using them are marked ``mysql``.

Language: the command line of a test deployment speaks English (``DYNCRM_LANGUAGE=en``,
autouse ``english_command_line``), so tests of what a command does read the message ids
as written; tests of the language itself (tests/koperasi/test_cli_language.py) unset it.

Third-party plugin: ``visits_site`` (session) lays out tests/plugins/dyncrm_visits
as an installed distribution ``dyncrm-visits 0.1`` in a temporary directory;
``visits_installed`` puts it on ``sys.path`` for one test, so the ``visits`` and
``visits.reports`` entry points are discoverable (see ``tests/thirdparty.py``).

Hypothesis: no test has a deadline (profile ``dyncrm``): timings are measured in
``benchmarks/``, never asserted, and a loaded CI machine must not fail a property test
whose first example is slow.

Koperasi XYZ demo: ``demo_deployment`` (session) runs ``dyncrm demo --members 10
--seed 2025`` once per test run; tests work in a copy of it (``demo_copy``, or
``demo_deployment.copy(folder)``), never in the master.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
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

# No deadlines (see the module docstring).
settings.register_profile("dyncrm", deadline=None)
settings.load_profile("dyncrm")

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


@pytest.fixture(autouse=True)
def english_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line speaks English in tests (``DYNCRM_LANGUAGE=en``); the deployments
    are Indonesian (``id_ID``), and tests/koperasi/test_cli_language.py checks that."""
    monkeypatch.setenv("DYNCRM_LANGUAGE", "en")


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


# --- the Koperasi XYZ demo deployment (made once per session) -------------------------

#: ``dyncrm demo`` as the session's demo is made: the same arguments as the executed docs'.
DEMO_ARGS = ("--members", "10", "--seed", "2025")


class DemoDeployment:
    """The demo deployment made once per test session (``dyncrm demo --members 10
    --seed 2025``), never changed itself: tests work in a :meth:`copy`.

    ``folder`` is the master copy, ``summary`` what ``dyncrm demo --json`` printed
    (the contract's envelope).
    """

    def __init__(self, folder: Path, summary: dict) -> None:
        self.folder = folder
        self.summary = summary

    def copy(self, where: Path) -> Path:
        """A fresh copy of the demo folder inside ``where``; returns its ``dyncrm.toml``."""
        target = where / self.folder.name
        shutil.copytree(self.folder, target)
        return target / "dyncrm.toml"


@pytest.fixture(scope="session")
def demo_deployment(tmp_path_factory: pytest.TempPathFactory) -> DemoDeployment:
    """The Koperasi XYZ demo deployment, made once per session (about a minute).

    Copy it before use (``demo_deployment.copy(tmp_path)``, or the ``demo_copy``
    fixture): its records are the same in every copy, sessions are not copied.
    """
    from dyncrm.testing import run_cli

    folder = tmp_path_factory.mktemp("demo") / "koperasi-xyz-demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DYNCRM_SESSION_DIR", str(folder.parent / "sessions"))
        for name in ("DYNCRM_USER", "DYNCRM_CONFIG", "DYNCRM_TODAY"):
            mp.delenv(name, raising=False)
        code, out, err = run_cli(["demo", "--dir", str(folder), *DEMO_ARGS, "--json"])
    assert code == 0, err
    return DemoDeployment(folder, json.loads(out))


@pytest.fixture
def demo_copy(demo_deployment: DemoDeployment, tmp_path: Path) -> Path:
    """A fresh copy of the session's demo deployment for this test: its ``dyncrm.toml``."""
    return demo_deployment.copy(tmp_path)
