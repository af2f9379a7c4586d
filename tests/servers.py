"""What the throwaway database servers of the test run share (tests/pg.py, tests/mysql.py).

Each server module finds its binaries, refuses clearly when it cannot run here,
runs as a dedicated system user when the tests run as root, and hands each test
a fresh database of its own through :meth:`ThrowawayServer.database`.  When a
server cannot run, its tests are skipped with the reason, except under
``CI=true``, where they fail: CI must never skip them silently.

A test run stopped with SIGTERM or SIGHUP (a CI time limit, a closed terminal)
stops its servers as Ctrl-C does: :func:`stop_on_termination` turns those
signals into ``KeyboardInterrupt``, so pytest ends the session and the session
fixtures' clean-up runs instead of leaving servers behind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NoReturn


def in_ci() -> bool:
    """True when ``$CI`` says we run in continuous integration (``CI=true``/``1``)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(product: str, reason: str) -> NoReturn:
    """Skip the calling test because ``product`` cannot run here, or fail it under CI."""
    import pytest

    if in_ci():
        pytest.fail(f"CI=true and the {product} tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"{product} tests skipped: {reason}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binaries(names: Iterable[str], fallback_dirs: Iterable[Path], *,
                  error: type[Exception], product: str, hint: str) -> dict[str, str]:
    """Paths of the server's ``names``: PATH first, then ``fallback_dirs``.

    Raises ``error`` naming the first binary that is missing and how to install it.
    """
    fallback_dirs = tuple(fallback_dirs)
    found: dict[str, str] = {}
    for name in names:
        path = shutil.which(name)
        if path is None:
            path = next((str(d / name) for d in fallback_dirs if (d / name).exists()), None)
        if path is None:
            raise error(f"{product} server binary {name!r} is not on PATH ({hint})")
        found[name] = path
    return found


def server_owner(user: str, *, error: type[Exception]) -> pwd.struct_passwd | None:
    """The system user that runs the server when the tests run as root, else ``None``.

    The servers refuse to run as root; ``runuser`` switches to ``user``.
    """
    if os.geteuid() != 0:
        return None
    try:
        owner = pwd.getpwnam(user)
    except KeyError:
        raise error(f"running as root but there is no {user!r} user to run the server "
                    f"(create it: useradd --system {user})") from None
    if shutil.which("runuser") is None:
        raise error("running as root but 'runuser' is not available")
    return owner


class ThrowawayServer:
    """Base of the test servers: subclasses create, drop and name databases."""

    def url(self, database: str) -> str:
        raise NotImplementedError

    def create_database(self, name: str | None = None) -> str:
        raise NotImplementedError

    def drop_database(self, name: str) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database for the duration of the block; yields its URL."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def stop_on_termination() -> None:
    """Make SIGTERM and SIGHUP end the test run like Ctrl-C, so servers get stopped.

    Only signals still at their default action are taken over (a handler someone
    else installed is left alone), and only from the main thread, where Python
    runs signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _interrupt)


def started(server_class: type, error: type[Exception], product: str) -> Iterator:
    """Start a server for a session fixture, yield it, and always stop it.

    A server that cannot run here skips (or, under CI, fails) the tests using it.
    SIGTERM and SIGHUP stop it too (:func:`stop_on_termination`).
    """
    stop_on_termination()
    server = None
    try:
        server = server_class()
        server.start()
    except error as exc:
        if server is not None:
            server.stop()
        unavailable(product, str(exc))
    try:
        yield server
    finally:
        server.stop()
