"""One error hierarchy for everything dyncrm refuses to do.

Every class builds a whole sentence for the person at the keyboard from its
arguments, so the CLI can print ``str(error)`` and nothing else.  Code never
validates with ``assert``: asserts vanish under ``python -O``.
"""

from __future__ import annotations

from typing import Any

from dyncrm.i18n import N_


class DyncrmError(Exception):
    """Root of every error dyncrm raises on purpose.  The CLI exits 1 for these."""

    exit_code = 1


class ConfigError(DyncrmError):
    """The configuration file is missing, unreadable or wrong.  The CLI exits 2."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        expected: str | None = None,
        found: Any = None,
    ) -> None:
        self.path, self.key, self.expected, self.found = path, key, expected, found
        self.message = message
        parts = []
        if path:
            parts.append(str(path))
        if key:
            parts.append(f"[{key}]")
        where = " ".join(parts)
        text = f"{where}: {message}" if where else message
        if expected is not None:
            text += f" (expected {expected}, found {found!r})"
        super().__init__(text)


class PendingMigrations(ConfigError):
    """The database is behind the code: migrations of the core or an enabled plugin
    are not applied yet.  Says which, and the command that applies them.  Exit 2."""

    def __init__(self, names: list[str], *, path: str | None = None) -> None:
        self.names = list(names)
        shown = ", ".join(self.names[:5]) + (", ..." if len(self.names) > 5 else "")
        command = f"dyncrm -c {path} db upgrade" if path else "dyncrm db upgrade"
        super().__init__(f"the database is not up to date: {len(self.names)} migration(s) "
                         f"are pending ({shown}); apply them with: "
                         f"{command}", path=path)


class PluginError(DyncrmError):
    """A plugin failed or is wrongly declared.  Keeps ``.plugin`` and ``.hook``."""

    exit_code = 3

    def __init__(self, message: str, *, plugin: str | None = None, hook: str | None = None):
        self.plugin, self.hook = plugin, hook
        prefix = ""
        if plugin:
            prefix = f"plugin {plugin!r}"
            if hook:
                prefix += f" in hook {hook!r}"
            prefix += ": "
        super().__init__(prefix + message)


class ValidationError(DyncrmError):
    """Input that cannot be accepted: names the field and says what is wrong."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        self.message = message  #: the sentence without the field's name (a form shows it there)
        super().__init__(f"{field}: {message}" if field else message)


class NotFoundError(DyncrmError):
    """Something asked for by name or number does not exist."""

    def __init__(self, what: str, key: Any) -> None:
        self.what, self.key = what, key
        super().__init__(f"{what} {key!r} not found")


class DuplicateError(ValidationError):
    """A unique thing (member number, NIK, e-mail, ...) already exists."""


class PermissionDenied(DyncrmError):
    """The acting user's roles do not grant the permission an action needs."""

    def __init__(self, actor: str, permission: str, roles: frozenset[str] | tuple = ()) -> None:
        self.actor, self.permission = actor, permission
        have = ", ".join(sorted(roles)) or "none"
        super().__init__(
            f"{actor} may not {permission} (roles: {have}); ask someone with that permission"
        )


class IllegalTransition(DyncrmError):
    """An action is not allowed from the subject's current stage."""

    def __init__(self, subject: str, stage: str, action: str, allowed: tuple[str, ...] = ()):
        self.subject, self.stage, self.action, self.allowed = subject, stage, action, allowed
        # the hint is a sentence of its own (after "; "), translated on its own
        hint = "; " + N_("allowed from {stage}: {actions}").format(
            stage=repr(stage), actions=", ".join(allowed)) if allowed else ""
        super().__init__(f"cannot {action} {subject}: it is {stage!r}{hint}")


class CurrencyMismatchError(DyncrmError):
    """Arithmetic was asked across two currencies (or points and money)."""

    def __init__(self, left: str, right: str, operation: str = "combine") -> None:
        self.left, self.right = left, right
        super().__init__(f"cannot {operation} amounts in {left} and {right}")


class UnbalancedEntryError(DyncrmError):
    """A journal entry's postings do not sum to zero for some commodity."""

    def __init__(self, commodity: str, total: Any) -> None:
        self.commodity, self.total = commodity, total
        super().__init__(f"journal entry does not balance: {commodity} postings sum to {total}")


class EnvironmentFault(DyncrmError):
    """The machine, not the input, failed: the operator has to act.

    A full disk, a read-only database or folder, a path that is a file where a
    folder is needed, missing permissions, a database server that went away.
    The message names the file (or server) and the cause.  The CLI exits 5.
    ``path`` and ``cause`` are kept for programs.
    """

    exit_code = 5

    def __init__(self, message: str, *, path: str | None = None,
                 cause: str | None = None) -> None:
        self.path, self.cause = path, cause
        super().__init__(message)


class DatabaseBusy(EnvironmentFault):
    """Another writer held the database longer than the configured wait.

    Nothing was changed; running the same command again is safe (``retryable``).
    The CLI exits 75 (``EX_TEMPFAIL``), so schedulers can tell it from a failure.
    """

    exit_code = 75
    retryable = True

    def __init__(self, message: str = "the database is busy; nothing was changed, "
                 "try again in a moment", **kwargs) -> None:
        super().__init__(message, **kwargs)


class ConcurrentDuplicate(DyncrmError):
    """Another session wrote the same unique thing (a reference, a key) at the same moment.

    Everything this action wrote was rolled back.  Running the same command
    again is safe (``retryable``): it then finds what the other session
    recorded and reports it as already done.  The CLI exits 75, like
    :class:`DatabaseBusy`.
    """

    exit_code = 75
    retryable = True

    def __init__(self, action: str, cause: BaseException | str | None = None) -> None:
        self.action = action
        detail = str(cause).strip() if cause is not None else ""
        if isinstance(cause, BaseException) and cause.args:
            first = cause.args[0]
            detail = str(first.args[-1] if isinstance(first, BaseException) and first.args
                         else first).strip()
        self.cause = detail
        where = f" ({detail})" if detail else ""
        super().__init__(f"{action}: another user or job recorded the same thing at the "
                         f"same moment{where}; nothing was changed here. Run the command "
                         "again: a repeat is reported as already done")


class OwnedEntryError(DyncrmError):
    """An entry a plugin owns cannot be reversed behind the plugin's back.

    Keeps ``.entry_id``, ``.plugin`` and ``.command`` (the plugin's own correction).
    """

    def __init__(self, entry_id: int, kind: str, plugin: str, command: str | None) -> None:
        self.entry_id, self.kind, self.plugin, self.command = entry_id, kind, plugin, command
        if command:
            super().__init__(
                f"journal entry {entry_id} ({kind}) belongs to {plugin}, which keeps its "
                f"own records of it; reversing it here would leave them out of step with "
                f"the books. Correct it with: {command}")
        else:
            super().__init__(
                f"journal entry {entry_id} ({kind}) belongs to {plugin}, which keeps its "
                f"own records of it; reversing it here would leave them out of step with "
                f"the books. Enable {plugin} and correct it through that plugin")
