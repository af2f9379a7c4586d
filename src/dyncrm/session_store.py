"""Where the command line keeps its session tokens: one private file per deployment.

``dyncrm login`` writes the token it was given into
``$DYNCRM_SESSION_DIR`` (default ``$XDG_CONFIG_HOME/dyncrm/sessions``, else
``~/.config/dyncrm/sessions``), in a file named after the deployment's config
path, created with mode 0600 in a folder of mode 0700.  Several people may be
signed in at one desk (the chair and the treasurer); ``--as NAME`` picks whose
session a command uses, and without it the latest sign-in acts.

Like ssh with its keys, a session file that other OS users could read or write is
refused: the token in it would let them act as its owner.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from dyncrm.errors import EnvironmentFault

DIR_ENV = "DYNCRM_SESSION_DIR"


def session_dir() -> Path:
    """The folder holding this OS user's session files."""
    explicit = os.environ.get(DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dyncrm" / "sessions"


def deployment_key(config_path: str | os.PathLike) -> str:
    """A stable file name for the deployment whose config is at ``config_path``."""
    resolved = str(Path(config_path).resolve())
    return hashlib.sha256(resolved.encode()).hexdigest()[:24]


class SessionStore:
    """The signed-in sessions of one deployment on this OS account."""

    def __init__(self, config_path: str | os.PathLike, directory: Path | None = None) -> None:
        self.config_path = str(Path(config_path).resolve())
        self.directory = directory or session_dir()
        self.path = self.directory / f"{deployment_key(config_path)}.json"

    # -- reading -------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {"config": self.config_path, "sessions": {}, "latest": None}
        except OSError as exc:
            raise EnvironmentFault(f"cannot read the session file {self.path}: "
                                   f"{exc.strerror}", path=str(self.path),
                                   cause=exc.strerror) from exc
        with os.fdopen(fd, encoding="utf-8") as fh:
            info = os.fstat(fh.fileno())
            if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
                raise EnvironmentFault(
                    f"the session file {self.path} can be read or changed by other users "
                    "of this computer, so it is not used; delete it and sign in again "
                    "(dyncrm login)", path=str(self.path), cause="unsafe permissions")
            try:
                data = json.load(fh)
            except ValueError:
                data = {}
        if not isinstance(data.get("sessions"), dict):
            data = {"config": self.config_path, "sessions": {}, "latest": None}
        return data

    def token(self, username: str | None = None) -> tuple[str, str] | None:
        """``(username, token)`` of ``username``'s session, or of the latest sign-in."""
        data = self._read()
        name = (username or data.get("latest") or "").strip().lower()
        token = data["sessions"].get(name)
        return (name, token) if token else None

    def usernames(self) -> list[str]:
        """Who is signed in here, by name."""
        return sorted(self._read()["sessions"])

    # -- writing -------------------------------------------------------------

    def save(self, username: str, token: str) -> None:
        """Keep ``token`` as ``username``'s session and make it the latest."""
        data = self._read()
        data["sessions"][username] = token
        data["latest"] = username
        self._write(data)

    def forget(self, username: str) -> None:
        """Drop ``username``'s token (after logout, or when the server ended it)."""
        data = self._read()
        if data["sessions"].pop(username, None) is None:
            return
        if data.get("latest") == username:
            data["latest"] = next(iter(sorted(data["sessions"])), None)
        if data["sessions"]:
            self._write(data)
        else:
            self.path.unlink(missing_ok=True)

    def _write(self, data: dict[str, Any]) -> None:
        data["config"] = self.config_path
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)
            temp = self.path.with_suffix(f".{os.getpid()}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(temp, self.path)
        except OSError as exc:
            raise EnvironmentFault(f"cannot write the session file {self.path}: "
                                   f"{exc.strerror}", path=str(self.path),
                                   cause=exc.strerror) from exc
