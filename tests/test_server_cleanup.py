"""A test run stopped by SIGTERM stops the throwaway servers it started.

A CI time limit or a closed terminal ends pytest with SIGTERM or SIGHUP; without
:func:`servers.stop_on_termination` the session fixtures' clean-up never ran and
the PostgreSQL and MariaDB servers of the run stayed behind.  Here a real pytest
process starts a real PostgreSQL server through :func:`servers.started`, is sent
the signal, and the server must be gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})

import pytest
from pg import PostgresServer, PostgresUnavailable
from servers import started


@pytest.fixture(scope="session")
def server():
    yield from started(PostgresServer, PostgresUnavailable, "PostgreSQL")
"""

TEST = """
import time
from pathlib import Path


def test_waits(server):
    pid = (server.data / "postmaster.pid").read_text().split()[0]
    Path("started").write_text(f"{pid} {server.root}")
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_stops_the_server(tmp_path, postgres_server, signum):
    """The run ends on the signal, and its server process and folder are gone."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_wait.py").write_text(TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "test_wait.py"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    marker = tmp_path / "started"
    deadline = time.monotonic() + 90
    while not marker.exists():
        if run.poll() is not None or time.monotonic() > deadline:
            run.kill()
            pytest.fail(f"the inner run did not start its server:\n{run.communicate()[0]}")
        time.sleep(0.2)
    time.sleep(0.3)  # the marker is written; let the test reach its sleep
    pid_text, root = marker.read_text().split()
    pid = int(pid_text)
    assert _alive(pid)

    run.send_signal(signum)
    output = run.communicate(timeout=90)[0]

    assert run.returncode != 0, output
    assert "KeyboardInterrupt" in output, output
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), f"the server (pid {pid}) survived the run:\n{output}"
    assert not Path(root).exists()
