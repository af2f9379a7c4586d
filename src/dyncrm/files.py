"""Write files whole or not at all, and name the file when the machine refuses.

Reports, member cards, CSV exports, uploaded proofs and outbox files are
written through :func:`atomic_open` (or :func:`write_atomic`): the content
goes to a temporary file beside the target, which replaces the target only
when everything was written.  A full disk, a read-only folder or a path that
is a file where a folder belongs leaves no half-written file behind, the
earlier version (if any) stays as it was, and the ``OSError`` becomes an
:class:`~dyncrm.errors.EnvironmentFault` naming the target file and the cause
(a failed ``write()`` itself does not say which file it was)::

    with atomic_open(folder / "laporan.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dyncrm.errors import EnvironmentFault


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_fault(exc: OSError, path: str | Path) -> EnvironmentFault | None:
    """The :class:`~dyncrm.errors.EnvironmentFault` for ``exc`` raised while writing
    ``path``, or None."""
    from dyncrm.faults import classify

    target = Path(path).absolute()
    named = Path(os.fsdecode(exc.filename)).absolute() if exc.filename is not None else None
    if named is None or (named.parent == target.parent and named.name.startswith(
            f".{target.name}.")):
        # a failed write() names no file, and the temporary file is ours: name the target
        exc = OSError(exc.errno, exc.strerror, str(target))
    # a missing folder or a file in the way of a file dyncrm was told to write is the
    # machine's (or the configuration's) fault, wherever it is
    return classify(exc, path=target, roots=[Path(target.anchor)])


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, encoding: str | None = None,
                newline: str | None = None, private: bool = True,
                make_parents: bool = True, durable: bool = False) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it appears whole or not at all.

    :param mode: ``"w"`` (text) or ``"wb"`` (bytes).
    :param private: the file gets mode 0600 (the default: what dyncrm writes, from
        reports and cards to outbox files, holds personal data); ``False`` gives
        0666 minus the umask, for a file meant to be shared.
    :param make_parents: create missing folders on the way first (mode 0700).
    :param durable: ``fsync`` before the rename (survives a power cut; slower).

    An ``OSError`` (full disk, read-only, no permission, a file in the way)
    becomes an :class:`~dyncrm.errors.EnvironmentFault` naming ``path``; the
    temporary file is removed and an earlier ``path`` is left untouched.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes with mode 'w' or 'wb', not {mode!r}")
    target = Path(path)
    try:
        if make_parents:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                   dir=target.parent)
    except OSError as exc:
        fault = file_fault(exc, target)
        if fault is None:
            raise
        raise fault from exc
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            fault = file_fault(exc, target)
            if fault is not None:
                raise fault from exc
        raise


def write_atomic(path: str | Path, data: bytes | str, *, encoding: str = "utf-8",
                 private: bool = True, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_open`); returns it."""
    if isinstance(data, str):
        with atomic_open(path, "w", encoding=encoding, newline="", private=private,
                         durable=durable) as fh:
            fh.write(data)
    else:
        with atomic_open(path, "wb", private=private, durable=durable) as fh:
            fh.write(data)
    return Path(path)


def ensure_folder(path: str | Path, *, mode: int = 0o700) -> Path:
    """Create folder ``path`` (and its parents) if missing, private to its owner by
    default; an ``OSError`` becomes an :class:`~dyncrm.errors.EnvironmentFault`
    naming it (e.g. a file is in the way)."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=mode)
    except OSError as exc:
        fault = file_fault(exc, folder)
        if fault is None:
            raise
        raise fault from exc
    return folder


__all__ = ["atomic_open", "ensure_folder", "file_fault", "write_atomic"]


def deployment_secret(config_path: str | Path, name: str) -> str:
    """A random secret kept in the file ``name`` beside the deployment's config.

    Made on first use (48 random bytes, URL-safe text) and written whole with
    mode 0600, then read back by every later call and every process on the
    machine.  Two processes racing on the first use each write a key and both
    read back whichever landed last.  Used where a deployment needs a key nobody
    has to choose: the portal's cookie key (``web-secret``), the member cards'
    signing key (``card-secret``).  Deployments on several machines set the key in
    the config instead, so all of them share it.
    """
    import secrets

    path = Path(config_path).parent / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        write_atomic(path, secrets.token_urlsafe(48) + "\n")
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise file_fault(exc, path) or exc from None
