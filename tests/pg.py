"""A throwaway PostgreSQL server for the test run.

:class:`PostgresServer` runs ``initdb`` into a temporary directory, starts
``postgres`` on a free loopback port with its unix socket in the same
directory, and removes everything when stopped.  The server refuses to run as
root, so when the tests run as root (CI containers) every server command runs
as the ``postgres`` user through ``runuser``.

conftest.py wraps it in the session fixture ``postgres_server``; each test gets
a fresh database of its own from ``pg_url`` (created from ``template0``,
dropped afterwards).

Where the binaries are missing the tests marked ``postgres`` are skipped with
the reason, except under ``CI=true``, where they fail: CI must never skip them
silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import NoReturn

import servers
from servers import ThrowawayServer, free_port, in_ci, server_owner

#: Where distributions install the server when it is not on PATH.
FALLBACK_BIN_DIRS = tuple(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))

#: The operating-system user that runs the server when the tests run as root.
SERVER_USER = "postgres"


class PostgresUnavailable(Exception):
    """The server cannot be started here; the message says why."""


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test because PostgreSQL cannot run here, or fail it under CI."""
    servers.unavailable("PostgreSQL", reason)


def find_binaries() -> dict[str, str]:
    """Paths of ``initdb``, ``pg_ctl`` and ``postgres``: PATH first, then the
    usual Debian/Ubuntu location.  Raises :class:`PostgresUnavailable`."""
    return servers.find_binaries(
        ("initdb", "pg_ctl", "postgres"), FALLBACK_BIN_DIRS, error=PostgresUnavailable,
        product="PostgreSQL",
        hint="install PostgreSQL 15 server binaries: initdb, pg_ctl, postgres")


class PostgresServer(ThrowawayServer):
    """One temporary PostgreSQL cluster: ``start()``, ``create_database()``, ``stop()``."""

    superuser = "postgres"

    def __init__(self) -> None:
        self.bins = find_binaries()
        try:
            import psycopg2  # noqa: F401
        except ImportError as exc:
            raise PostgresUnavailable(
                "psycopg2 is not installed; pip install -e '.[test]'") from exc
        self.owner = server_owner(SERVER_USER, error=PostgresUnavailable)
        self.as_root = self.owner is not None
        self.root = Path(tempfile.mkdtemp(prefix="dyncrm-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = 0
        self.running = False

    # -- process control -------------------------------------------------------

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              cwd=self.root, timeout=120)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}{log}")
        return proc

    def start(self) -> PostgresServer:
        """initdb a new cluster and start it on a free loopback port."""
        self.sockets.mkdir()
        if self.as_root:
            for path in (self.root, self.sockets):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        self._run(self.bins["initdb"], "-D", str(self.data), "-U", self.superuser,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        last: Exception | None = None
        for _ in range(3):  # a free port can be taken between choosing and binding
            self.port = free_port()
            options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=50")
            try:
                self._run(self.bins["pg_ctl"], "-D", str(self.data), "-l", str(self.log),
                          "-o", options, "-w", "-t", "60", "start")
            except PostgresUnavailable as exc:
                last = exc
                continue
            self.running = True
            return self
        raise last  # type: ignore[misc]

    def stop(self) -> None:
        """Stop the server (if running) and delete its directory."""
        if self.running:
            with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
                self._run(self.bins["pg_ctl"], "-D", str(self.data), "-m", "fast", "-w",
                          "stop")
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` on this server."""
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def admin_connection(self):
        """An autocommit psycopg2 connection to the ``postgres`` database."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.superuser,
                                dbname="postgres")
        conn.autocommit = True
        return conn

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (from ``template0``); returns its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        conn = self.admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        finally:
            conn.close()
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever still uses it."""
        conn = self.admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()

__all__ = ["PostgresServer", "PostgresUnavailable", "find_binaries", "free_port", "in_ci",
           "unavailable"]
