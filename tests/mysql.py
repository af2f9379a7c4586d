"""A throwaway MariaDB server for the test run.

:class:`MariaDBServer` runs ``mariadb-install-db`` into a temporary directory,
starts ``mariadbd`` on a free loopback port with its unix socket in the same
directory, creates a password user for the tests, and removes everything when
stopped.  When the tests run as root (CI containers) both commands run as the
``mysql`` user through ``runuser``.  Neither reads the machine's option files
(``--no-defaults``), so a system-wide MariaDB configuration cannot leak in.

conftest.py wraps it in the session fixture ``mysql_server``; each test gets a
fresh ``utf8mb4`` database of its own from ``mysql_url`` (a ``mysql://`` URL,
the form deployments use; dropped afterwards).

Where the binaries are missing the tests marked ``mysql`` are skipped with the
reason, except under ``CI=true``, where they fail: CI must never skip them
silently.

The module is named after the URL scheme; it shadows the ``mysql`` package of
mysql-connector-python inside the test run, which dyncrm does not use (its
``mysql://`` URLs go through PyMySQL).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import servers
from servers import ThrowawayServer, free_port, server_owner

#: Where distributions install the binaries when they are not on PATH (a normal
#: user's PATH often lacks /usr/sbin, where ``mariadbd`` lives).
FALLBACK_BIN_DIRS = (Path("/usr/sbin"), Path("/usr/bin"), Path("/usr/local/mysql/bin"),
                     Path("/usr/local/mysql/scripts"))

#: The operating-system user that runs the server when the tests run as root.
SERVER_USER = "mysql"

#: Seconds to wait for a new server to answer, and for a stopping one to exit.
START_TIMEOUT = 60
STOP_TIMEOUT = 30


class MariaDBUnavailable(Exception):
    """The server cannot be started here; the message says why."""


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test because MariaDB cannot run here, or fail it under CI."""
    servers.unavailable("MariaDB", reason)


def find_binaries() -> dict[str, str]:
    """Paths of ``mariadb-install-db`` and ``mariadbd``: PATH first, then the usual
    locations.  Raises :class:`MariaDBUnavailable`."""
    return servers.find_binaries(
        ("mariadb-install-db", "mariadbd"), FALLBACK_BIN_DIRS, error=MariaDBUnavailable,
        product="MariaDB",
        hint="install MariaDB 10.4 or newer: apt-get install mariadb-server")


class MariaDBServer(ThrowawayServer):
    """One temporary MariaDB server: ``start()``, ``create_database()``, ``stop()``."""

    user = "dyncrm"
    password = "dyncrm-test"

    def __init__(self) -> None:
        self.bins = find_binaries()
        try:
            import pymysql  # noqa: F401
        except ImportError as exc:
            raise MariaDBUnavailable(
                "pymysql is not installed; pip install -e '.[test]'") from exc
        self.owner = server_owner(SERVER_USER, error=MariaDBUnavailable)
        self.as_root = self.owner is not None
        self.root = Path(tempfile.mkdtemp(prefix="dyncrm-my-"))
        self.data = self.root / "data"
        self.socket = self.root / "mysql.sock"
        self.log = self.root / "server.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    # -- process control -------------------------------------------------------

    def _command(self, *args: str) -> list[str]:
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", *args]
        return list(args)

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self) -> MariaDBServer:
        """Install a new data directory, start the server, create the test user."""
        if self.as_root:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        install = [self.bins["mariadb-install-db"], "--no-defaults", f"--datadir={self.data}",
                   "--auth-root-authentication-method=normal", "--skip-test-db",
                   "--skip-name-resolve"]
        if self.as_root:
            install.append(f"--user={SERVER_USER}")
        proc = subprocess.run(self._command(*install), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, cwd=self.root, timeout=120)
        if proc.returncode != 0:
            raise MariaDBUnavailable(
                f"mariadb-install-db failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        last: Exception | None = None
        for _ in range(3):  # a free port can be taken between choosing and binding
            self.port = free_port()
            try:
                self._launch()
            except MariaDBUnavailable as exc:
                last = exc
                continue
            self._create_user()
            return self
        raise last  # type: ignore[misc]

    def _launch(self) -> None:
        """Start ``mariadbd`` and wait until its socket answers."""
        args = [self.bins["mariadbd"], "--no-defaults", f"--datadir={self.data}",
                f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
                "--skip-networking=0", f"--pid-file={self.root / 'mariadbd.pid'}",
                f"--log-error={self.log}", "--skip-name-resolve", "--skip-log-bin",
                "--max-connections=50", "--innodb-buffer-pool-size=64M",
                "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                # containers often refuse io_setup/io_uring; simulated AIO is fine here
                "--innodb-use-native-aio=0"]
        with open(os.devnull, "wb") as devnull:
            # its own session: a ^C in the terminal reaches pytest, whose teardown
            # shuts the server down in order
            self.process = subprocess.Popen(self._command(*args), stdin=subprocess.DEVNULL,
                                            stdout=devnull, stderr=devnull, cwd=self.root,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                code, self.process = self.process.returncode, None
                raise MariaDBUnavailable(
                    f"mariadbd exited with code {code} while starting:\n{self._log_tail()}")
            try:
                self.admin_connection().close()
                return
            except Exception as exc:  # not listening yet
                if time.monotonic() > deadline:
                    self._kill()
                    raise MariaDBUnavailable(
                        f"mariadbd did not answer within {START_TIMEOUT}s ({exc}):\n"
                        f"{self._log_tail()}") from None
                time.sleep(0.05)

    def _create_user(self) -> None:
        with self.admin() as cur:
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"CREATE USER '{self.user}'@'{host}' "
                            f"IDENTIFIED BY '{self.password}'")
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{self.user}'@'{host}'")

    def _kill(self) -> None:
        """Last resort: SIGKILL the server process (it may run under runuser)."""
        pid_file = self.root / "mariadbd.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        """Shut the server down (if running) and delete its directory."""
        if self.process is not None:
            with contextlib.suppress(Exception), self.admin() as cur:
                cur.execute("SHUTDOWN")
            try:
                self.process.wait(STOP_TIMEOUT)
                self.process = None
            except subprocess.TimeoutExpired:
                self._kill()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ---------------------------------------------------------------

    def url(self, database: str) -> str:
        """A ``mysql://`` URL for ``database`` as the test user, over TCP."""
        return f"mysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def admin_connection(self):
        """An autocommit PyMySQL connection as ``root`` over the unix socket."""
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True,
                               connect_timeout=5)

    @contextlib.contextmanager
    def admin(self) -> Iterator:
        """A cursor on a fresh admin connection, closed afterwards."""
        conn = self.admin_connection()
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()

    def create_database(self, name: str | None = None) -> str:
        """Create an empty ``utf8mb4`` database; returns its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with self.admin() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, first disconnecting whoever still uses it (a CRM that the
        test has not closed yet would otherwise hold metadata locks)."""
        with self.admin() as cur:
            cur.execute("SELECT id FROM information_schema.processlist "
                        "WHERE db = %s AND id <> CONNECTION_ID()", (name,))
            for (thread_id,) in cur.fetchall():
                with contextlib.suppress(Exception):  # it may have just gone
                    cur.execute(f"KILL CONNECTION {int(thread_id)}")
            cur.execute("SET SESSION lock_wait_timeout = 30")
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


__all__ = ["MariaDBServer", "MariaDBUnavailable", "find_binaries", "unavailable"]
