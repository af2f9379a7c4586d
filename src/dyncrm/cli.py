"""The ``dyncrm`` command line: core commands plus those enabled plugins add.

Plugin commands are loaded lazily for each invocation from the configuration
given with ``-c``/``$DYNCRM_CONFIG``/``./dyncrm.toml``, into a fresh copy of
the command tree, so nothing leaks between invocations.  Errors map to exit
codes in one place (:func:`main`): a ``DyncrmError`` prints one line and exits
1 (configuration 2, plugin 3, environment 5, busy 75); a full disk, a read-only
file or a lost server exits 5 naming the file or server (:mod:`dyncrm.faults`);
anything else exits 4, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import importlib.metadata as md
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from dyncrm import i18n, output, params
from dyncrm.app import CRM, open_crm
from dyncrm.cli_examples import examples
from dyncrm.cli_language import Command, Group, adopt  # noqa: F401  (plugins: cls=Command)
from dyncrm.config import find_config_path, load_config
from dyncrm.errors import ConfigError, DyncrmError
from dyncrm.files import ensure_folder, write_atomic
from dyncrm.notify import STATUSES
from dyncrm.values import ROLES, Actor

if TYPE_CHECKING:
    import pluggy

USER_ENV = "DYNCRM_USER"
i18n.install_in_click()  # click's own words ("Usage:", "Missing argument") in the catalogue's
#: Commands that run on a database with pending migrations (the rest refuse, naming them).
SCHEMA_EXEMPT = frozenset({"db upgrade", "db status", "init", "plugins", "hooks", "backup"})
#: The umask of every ``dyncrm`` command: files 0600, folders 0700.
PRIVATE_UMASK = 0o077


class ExitCode(enum.IntEnum):
    """Exit codes of the ``dyncrm`` command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PLUGIN_ERROR = 3
    INTERNAL = 4
    ENVIRONMENT = 5  #: the machine failed (disk, permissions, server gone): the operator acts
    TEMPFAIL = 75  #: busy, nothing changed: run the same command again (sysexits EX_TEMPFAIL)


@attrs.define
class CliState:
    """What every command can reach as ``ctx.obj``."""

    config_path: str | None = None
    username: str | None = None
    debug: bool = False
    today: dt.date | None = None  #: the simulated date (``--today``), if any
    _crm: CRM | None = None

    @property
    def crm(self) -> CRM:
        """The opened deployment (opened on first use, closed when the command ends)."""
        if self._crm is None:
            self._crm = self._open()
            output.set_zone(self._crm.tz)  # times shown and emitted in the deployment's zone
            if self.today is not None:
                from dyncrm.simclock import SimulatedClock

                self._crm.set_clock(SimulatedClock(self.today, self._crm.tz))
            for warning in self._crm.config.warnings:
                click.echo(f"warning: {warning}", err=True)
            ctx = click.get_current_context()
            ctx.call_on_close(self._crm.close)
            ctx.call_on_close(lambda: output.set_zone(None))
            if ctx.command_path.split(" ", 1)[-1] not in SCHEMA_EXEMPT:
                self._crm.check_schema()  # pending migrations: say 'dyncrm db upgrade'
        return self._crm

    def _open(self) -> CRM:
        """The deployment opened with the config and plugin manager the root already read
        for its language (:func:`_deployment`), so a command reads and registers them once;
        from scratch when a plugin or the config could not load (the error then raised)."""
        meta = click.get_current_context().find_root().meta
        settings, pm = meta.get("dyncrm.settings"), meta.get("dyncrm.plugin_manager")
        if (settings is None or pm is None or meta.get("dyncrm.broken")
                or meta.get("dyncrm.load_error") or meta.pop("dyncrm.settings", None) is None):
            return open_crm(self.config_path)
        crm = CRM(settings, pm=pm)
        if meta.get("dyncrm.language") is not None:  # the same catalogue, already read
            crm.__dict__["translations"] = meta["dyncrm.language"]
        return crm

    @property
    def actor(self) -> Actor:
        """The signed-in person acting (``dyncrm login``); ``--as`` picks among several.

        ``--as NAME`` and ``$DYNCRM_USER`` only choose whose session to use; they
        never grant an identity by themselves.
        """
        from dyncrm.session_store import SessionStore
        from dyncrm.sessions import SignInRequired

        name = (self.username or os.environ.get(USER_ENV) or "").strip().lower() or None
        store = SessionStore(find_config_path(self.config_path))
        found = store.token(name)
        if found is None:
            if name:
                raise SignInRequired(f"{name} is not signed in here; sign in first: "
                                     f"dyncrm login {name}")
            raise SignInRequired("you are not signed in; sign in first: dyncrm login")
        username, token = found
        try:
            return self.crm.sessions.resume(token, channel="cli")
        except SignInRequired:
            store.forget(username)
            raise


def pass_crm(f):
    """Decorator: call the command with the opened ``crm`` as first argument."""

    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return f(ctx.obj.crm, *args, **kwargs)

    return wrapper


def pass_actor(f):
    """Decorator: call the command with ``crm`` and the acting ``actor``."""

    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return f(ctx.obj.crm, ctx.obj.actor, *args, **kwargs)

    wrapper.acts_as_person = True  # type: ignore[attr-defined]  (tests enumerate these)
    return wrapper


def pass_scheduler(f):
    """Decorator for scheduled work: call with ``crm`` and the system actor.

    Such commands (``run-due``, ``outbox send``, ``remind run``) need no sign-in, so
    cron can run them; the system actor holds only the permissions that name the
    ``system`` role and can never approve, verify, decide, override or post a year.
    """

    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return f(ctx.obj.crm, Actor.system("scheduler"), *args, **kwargs)

    return wrapper


def _remember_command(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    _running["path"] = ctx.command_path
    return value


def json_option(f):
    """The ``--json`` flag every command takes: its result (or error) as one JSON
    document in the envelope of docs/cli.md, printed with :func:`dyncrm.output.emit`."""
    return click.option("--json", "as_json", is_flag=True, callback=_remember_command,
                        expose_value=True,
                        help="Print the result as JSON for scripts (see docs/cli.md).")(f)


def subgroup(cli: click.Group, name: str, help: str = "") -> click.Group:
    """The group ``name`` of ``cli``, created if missing (for plugins adding commands)."""
    group = cli.commands.get(name)
    if group is None:
        group = Group(name, help=help)
        cli.add_command(group)
    if not isinstance(group, click.Group):
        raise DyncrmError(f"command {name!r} is not a group")
    return group


def plugin_manager(ctx: click.Context) -> pluggy.PluginManager | None:
    """The enabled plugins of this invocation's deployment, without opening its database.

    For groups whose commands come from a hook (``dyncrm_reports``): ``None`` when
    there is no config file or it could not be read.
    """
    return ctx.find_root().meta.get("dyncrm.plugin_manager")


class _CoreGroup(Group):
    """A core group (``member``, ``ledger`` ...) that plugins add commands to.

    When the configuration or a plugin could not be loaded, a command missing
    from it is answered with that error instead of click's "No such command".
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and ctx.find_root().meta.get("dyncrm.load_error"):
            raise ctx.find_root().meta["dyncrm.load_error"]
        return cmd


#: What :func:`_run` read of the deployment before parsing (its language), for the root.
_preloaded: dict[Path, dict[str, Any]] = {}


def _deployment(config: str | None) -> dict[str, Any]:
    """The root context's facts about the deployment, read without opening its database:
    ``dyncrm.plugin_manager``, ``dyncrm.language`` (its catalogue), and
    ``dyncrm.load_error``/``dyncrm.broken`` when the config or a plugin could not load."""
    path = find_config_path(config)
    if path in _preloaded:
        return _preloaded.pop(path)
    meta: dict[str, Any] = {"dyncrm.language": None}
    if not path.exists():
        return meta
    try:
        from dyncrm.plugins import get_plugin_manager

        settings = load_config(path)
        broken: dict = {}
        pm = get_plugin_manager(settings.enabled, broken=broken)
        meta["dyncrm.plugin_manager"] = pm
        meta["dyncrm.settings"] = settings  # the command's CRM opens with these (once)
        if broken:  # the others' commands stay; a missing one names the culprit
            meta["dyncrm.load_error"] = next(iter(broken.values()))
            meta["dyncrm.broken"] = broken
        meta["dyncrm.language"] = i18n.deployment_catalogue(pm, settings.organisation.locale)
    except DyncrmError as exc:
        meta["dyncrm.load_error"] = exc
    return meta


def _config_argument(args: list[str]) -> str | None:
    """The ``-c``/``--config`` given to the root command in ``args``, if any."""
    takes_value = {"--as", "--today"}
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in ("-c", "--config"):
            return args[index + 1] if index + 1 < len(args) else None
        elif arg.startswith("--config="):
            return arg.partition("=")[2]
        elif arg.startswith("-c") and len(arg) > 2:
            return arg[2:]
        elif arg in takes_value:
            skip = True
        elif not arg.startswith("-") or arg == "--":
            break
    return None


class DyncrmGroup(Group):
    """The root group: adds enabled plugins' commands, per invocation."""

    group_class = Group

    def load_language(self, root: click.Context) -> None:
        """Read the deployment (once per invocation) and speak its language."""
        if "dyncrm.language" not in root.meta:
            root.meta.update(_deployment(root.params.get("config")))
            i18n.activate(root.meta["dyncrm.language"])

    def _tree(self, ctx: click.Context) -> dict[str, click.Command]:
        root = ctx.find_root()
        tree = root.meta.get("dyncrm.commands")
        if tree is not None:
            return tree
        scratch = click.Group("dyncrm")
        for name, cmd in self.commands.items():
            if isinstance(cmd, click.Group):
                cmd = copy.copy(cmd)
                cmd.commands = dict(cmd.commands)
                if type(cmd) in (click.Group, Group):
                    cmd.__class__ = _CoreGroup
            scratch.commands[name] = cmd
        for ep in md.entry_points(group="dyncrm.cli"):
            try:
                scratch.add_command(ep.load(), ep.name)
            except Exception as exc:  # a broken scaffolding command must not hide the rest
                click.echo(f"warning: command {ep.name!r} could not be loaded: {exc}",
                           err=True)
        self.load_language(root)
        pm = root.meta.get("dyncrm.plugin_manager")
        if pm is not None:
            try:
                pm.hook.dyncrm_register_commands(cli=scratch)
            except DyncrmError as exc:
                root.meta["dyncrm.load_error"] = exc
        adopt(scratch.commands)  # plugins' plain click commands speak the language too
        root.meta["dyncrm.commands"] = scratch.commands
        return scratch.commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._tree(ctx))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``--help`` names the plugins that could not be loaded, and why."""
        super().format_epilog(ctx, formatter)
        self._tree(ctx)
        meta = ctx.find_root().meta
        broken = meta.get("dyncrm.broken") or (
            {"": meta["dyncrm.load_error"]} if meta.get("dyncrm.load_error") else {})
        if broken:
            with formatter.section(i18n.gettext(
                    "Plugins that could not be loaded (their commands are missing; see "
                    "'dyncrm plugins')")):
                formatter.write_dl([(name or "config", str(error))
                                    for name, error in broken.items()])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = self._tree(ctx).get(cmd_name)
        if cmd is None and ctx.find_root().meta.get("dyncrm.load_error"):
            raise ctx.find_root().meta["dyncrm.load_error"]
        return cmd


@click.group(cls=DyncrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", type=click.Path(dir_okay=False), is_eager=True,
              help="Config file (default: $DYNCRM_CONFIG, else ./dyncrm.toml).")
@click.option("--as", "username", metavar="USERNAME",
              help=f"Whose session to use when several people are signed in here "
                   f"(default: ${USER_ENV}, else the latest 'dyncrm login').")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.option("--today", type=params.DATE, envvar="DYNCRM_TODAY", metavar="YYYY-MM-DD",
              help="Run as if it were this date (default: $DYNCRM_TODAY); only on training "
                   "and staging deployments, whose config sets [clock] simulated = true.")
@click.version_option(package_name="dyncrm", prog_name="dyncrm")
@click.pass_context
def cli(ctx: click.Context, config: str | None, username: str | None, debug: bool,
        today: dt.date | None) -> None:
    """dyncrm: member relationships for cooperatives — acquire, retain, expand.

    Start with 'dyncrm init', then 'dyncrm login'.  Commands that act as a person
    need a signed-in session; scheduled work (run-due, outbox send, remind run)
    runs as the system actor without one.
    """
    ctx.obj = CliState(config_path=config, username=username, debug=debug, today=today)
    if today is not None:  # refused unless [clock] simulated = true; then said every time
        from dyncrm.simclock import TODAY_ENV, banner, check_allowed

        given = (f"${TODAY_ENV}" if ctx.get_parameter_source("today")
                 == click.core.ParameterSource.ENVIRONMENT else "--today")
        settings = load_config(find_config_path(config))
        check_allowed(settings, today, given)
        click.echo(banner(settings, today), err=True)


# --- init / plugins / hooks -------------------------------------------------------

DEFAULT_CONFIG = """\
# dyncrm configuration: https://github.com/ (see docs/configuration.md)
[organisation]
name = "{name}"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///dyncrm.db"

[plugins]
enabled = []

[notify]
default_channel = "file"
file_directory = "outbox"
"""


@examples("dyncrm init /srv/koperasi --from koperasi_xyz", run=False)
@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--name", default="My Cooperative", show_default=True,
              help="Organisation name written into the new config.")
@click.option("--from", "source", metavar="PACKAGE",
              help="Copy the dyncrm.toml that an installed deployment package ships "
                   "(e.g. koperasi_xyz).")
@click.option("--admin", default="admin", show_default=True,
              help="User name of the first administrator.")
@click.option("--admin-password-stdin", is_flag=True,
              help="Read the administrator's password from standard input (else "
                   "$DYNCRM_ADMIN_PASSWORD, else a one-time activation code is printed).")
@click.option("--force", is_flag=True, help="Overwrite an existing dyncrm.toml.")
@json_option
def init(directory: str, name: str, source: str | None, admin: str,
         admin_password_stdin: bool, force: bool, as_json: bool) -> None:
    """Create a deployment: config file, database schema and an administrator."""
    from dyncrm.cli_auth import read_password

    admin_password = (read_password("Administrator's password", from_stdin=True)
                      if admin_password_stdin else os.environ.get("DYNCRM_ADMIN_PASSWORD"))
    from importlib.resources import files

    target = ensure_folder(directory)
    config_path = target / "dyncrm.toml"
    if config_path.exists() and not force:
        raise DyncrmError(f"{config_path} exists; use --force to overwrite it")
    if source:
        try:
            text = (files(source) / "dyncrm.toml").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            raise DyncrmError(f"package {source!r} ships no dyncrm.toml") from None
    else:
        text = DEFAULT_CONFIG.format(name=name.replace('"', "'"))
    write_atomic(config_path, text)
    with open_crm(config_path) as crm:
        applied = crm.upgrade()
        created = None
        from dyncrm.db.models import User

        if not User.select().where(User.username == admin).exists():
            with crm.database.atomic():
                crm.users.add(admin, roles=["admin"], password=admin_password,
                              display_name="Administrator")
                if not admin_password:
                    created = crm.users.issue_activation(admin)
        from dyncrm.deployment_secrets import ensure_secret_files

        secrets_made = ensure_secret_files(crm)
    if as_json:
        output.emit({"config": str(config_path), "migrations_applied": list(applied),
                     "secret_files": [str(p) for p in secrets_made], "admin": admin,
                     "activation_code": created},
                    message=f"wrote {config_path}; applied {len(applied)} migrations",
                    replayed=False)
        return
    click.echo(f"Wrote {config_path}; applied {len(applied)} migrations.")
    for path in secrets_made:
        click.echo(f"Made the secret key {path} (readable by its owner only); back it up "
                   "with the database (dyncrm backup does)")
    if created:
        click.echo(f"Administrator {admin!r} created; one-time code: {created}\n"
                   f"Choose the password (it asks for the code), then sign in:\n"
                   f"  dyncrm -c {config_path} user activate {admin}\n"
                   f"  dyncrm -c {config_path} login {admin}")


@examples("dyncrm plugins")
@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the core's built-in modules.")
@json_option
@click.pass_context
def plugins_cmd(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List installed plugins: enabled or not, version, and the hooks each implements."""
    from dyncrm.plugins import describe_plugins, get_plugin_manager

    path = find_config_path(ctx.obj.config_path)
    enabled = load_config(path).enabled if path.exists() else ()
    broken: dict = {}
    rows = describe_plugins(get_plugin_manager(enabled, broken=broken),
                            include_builtin=show_all, broken=broken)
    if as_json:
        output.emit([attrs.asdict(r) for r in rows])
    else:
        output.table(
            [{"name": r.name, "enabled": r.enabled, "version": r.version or "",
              "source": r.source,
              "hooks": (f"BROKEN: {r.problem}" if r.problem else
                        ", ".join(h.removeprefix("dyncrm_") for h in r.hooks))}
             for r in rows],
            ["name", "enabled", "version", "source", "hooks"],
        )
    if not path.exists():
        click.echo(f"(no config at {path}: nothing is enabled)")
    errors = list(broken.values())
    for error in errors[:-1]:
        click.echo(f"Error: {error}", err=True)
    if errors:  # listed above; exit 3 so scripts notice
        raise errors[-1]


@examples("dyncrm hooks")
@cli.command("hooks")
@json_option
def hooks_cmd(as_json: bool) -> None:
    """List every hook with its kind and first docstring line."""
    from dyncrm import hookspecs

    rows = []
    for name in sorted(n for n in dir(hookspecs) if n.startswith("dyncrm_")):
        fn = getattr(hookspecs, name)
        opts = getattr(fn, "dyncrm_spec", {}) or {}
        kind = "firstresult" if opts.get("firstresult") else (
            "historic" if opts.get("historic") else "collect")
        doc = (fn.__doc__ or "").strip().splitlines()[0]
        rows.append({"hook": name, "kind": kind, "summary": doc})
    if as_json:
        output.emit(rows)
    else:
        output.table(rows, ["hook", "kind", "summary"])


# --- db ---------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """Database schema: upgrade and status."""


@examples("dyncrm db upgrade", run=False)
@db.command("upgrade")
@json_option
@pass_crm
def db_upgrade(crm: CRM, as_json: bool) -> None:
    """Apply pending migrations of the core and every enabled plugin (idempotent)."""
    applied = crm.upgrade()
    if as_json:
        output.emit({"applied": list(applied)}, replayed=not applied,
                    message=f"applied {len(applied)} migrations" if applied
                    else "database is up to date; nothing to apply")
    elif applied:
        for name in applied:
            click.echo(f"applied {name}")
    else:
        click.echo("database is up to date; nothing to apply")


@examples("dyncrm --as ketua db status")
@db.command("status")
@json_option
@pass_crm
def db_status(crm: CRM, as_json: bool) -> None:
    """Show every migration and whether it has been applied."""
    rows = [{"plugin": s.plugin, "migration": s.name,
             "applied": s.applied if s.applied else "pending"}
            for s in crm.migration_status()]
    if as_json:
        output.emit([{**r, "applied": r["applied"] != "pending",
                      "applied_at": r["applied"] if r["applied"] != "pending" else None}
                     for r in rows])
    else:
        output.table(rows, ["plugin", "migration", "applied"])
        pending = sum(1 for r in rows if r["applied"] == "pending")
        click.echo(f"{pending} pending" if pending else "up to date")


# --- users ------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """Logins of staff and members, and their roles."""


def _roles(value: str) -> list[str]:
    return [r.strip() for r in value.split(",") if r.strip()]


@examples("dyncrm --as ketua user add siti --role secretary --name \"Siti Aminah\"")
@user.command("add")
@click.argument("username")
@click.option("--role", "roles", default="", help=f"Comma-separated roles: {', '.join(ROLES)}.")
@click.option("--name", "display_name", default="", help="Full name shown in records.")
@click.option("--member", "member_ref", help="Member number or id this login belongs to.")
@click.option("--password-stdin", is_flag=True,
              help="Read an initial password from standard input (else a one-time "
                   "activation code is printed for the person).")
@json_option
@pass_actor
def user_add(crm: CRM, actor: Actor, username: str, roles: str, display_name: str,
             member_ref: str | None, password_stdin: bool, as_json: bool) -> None:
    """Add a user; prints a one-time activation code unless --password-stdin is given."""
    from dyncrm.cli_auth import read_password

    crm.require(actor, "users.manage")
    password = read_password("Password", from_stdin=True) if password_stdin else None
    with crm.action("user.add", actor):
        member_id = crm.member(member_ref).id if member_ref else None
        row = crm.users.add(username, roles=_roles(roles), password=password,
                            display_name=display_name, member_id=member_id)
        token = None if password else crm.users.issue_activation(row.username)
    if as_json:
        output.emit({"username": row.username, "roles": _roles(row.roles or ""),
                     "member_id": member_id, "activation_code": token},
                    message=f"added user {row.username}", replayed=False)
        return
    click.echo(f"added user {row.username} ({row.roles or 'no roles'})")
    if token:
        click.echo(f"one-time activation code (give it to the person): {token}\n"
                   f"they choose a password with: dyncrm user activate {row.username}")


@examples("dyncrm --as ketua user list")
@user.command("list")
@json_option
@pass_actor
def user_list(crm: CRM, actor: Actor, as_json: bool) -> None:
    """List users with their roles."""
    crm.require(actor, "users.manage")
    rows = [{"username": u.username, "name": u.display_name, "roles": u.roles,
             "member": u.member.number if u.member_id else "", "active": u.active,
             "password_set": bool(u.password_hash)} for u in crm.users.list()]
    output.emit(rows) if as_json else output.table(rows)


@examples("dyncrm --as ketua user set-role sekretaris secretary,treasurer")
@user.command("set-role")
@click.argument("username")
@click.argument("roles")
@json_option
@pass_actor
def user_set_role(crm: CRM, actor: Actor, username: str, roles: str, as_json: bool) -> None:
    """Replace USERNAME's roles with ROLES (comma-separated)."""
    crm.require(actor, "users.manage")
    with crm.action("user.set_role", actor):
        row = crm.users.set_roles(username, _roles(roles))
    output.action(as_json, f"{row.username}: {row.roles or 'no roles'}",
                  username=row.username, roles=_roles(row.roles or ""))


# --- members ----------------------------------------------------------------------


@cli.group()
def member() -> None:
    """Members: timeline here; plugins add apply, list, show and more."""


@examples("dyncrm --as sekretaris member timeline XYZ-2025-00003")
@member.command("timeline")
@click.argument("member_ref", metavar="MEMBER")
@json_option
@pass_actor
def member_timeline(crm: CRM, actor: Actor, member_ref: str, as_json: bool) -> None:
    """Print every touchpoint of MEMBER (number or id), oldest first."""
    if actor.member_id is None or crm.member(member_ref).id != actor.member_id:
        crm.require(actor, "members.view")
    info = crm.member(member_ref)
    rows = [{"at": t.at, "phase": t.phase, "info": t.info, "kind": t.kind, "actor": t.actor,
             "details": ", ".join(f"{k}={v}" for k, v in sorted(t.payload.items()))}
            for t in crm.timeline(info.id)]
    if as_json:
        output.emit({"member": info, "touchpoints": rows})
        return
    click.echo(f"{info.number or '#' + str(info.id)}  {info.name}  ({info.stage})")
    output.table(rows, ["at", "phase", "info", "kind", "actor", "details"])


# --- outbox and scheduled work ----------------------------------------------------


@cli.group()
def outbox() -> None:
    """Messages waiting to be delivered."""


@examples("dyncrm outbox send --limit 100")
@outbox.command("send")
@click.option("--limit", type=params.COUNT, help="Deliver at most this many messages.")
@json_option
@pass_scheduler
def outbox_send(crm: CRM, actor: Actor, limit: int | None, as_json: bool) -> None:
    """Deliver due messages through their channels, with retries and backoff."""
    crm.require(actor, "outbox.send")
    due = len(crm.outbox.pending())
    if limit is not None:
        due = min(due, limit)
    with click.progressbar(length=due, label="Sending", file=sys.stderr) as bar:
        report = crm.outbox.deliver(limit=limit, progress=bar.update)
    output.action(as_json, f"sent {report.sent}, failed {report.failed} "
                           f"(given up: {report.gave_up})",
                  sent=report.sent, failed=report.failed, gave_up=report.gave_up,
                  resumed=report.resumed, unknown=report.unknown)
    _say_unknown(crm, report)


def _say_unknown(crm: CRM, report) -> None:
    """Tell on stderr about interrupted hand-overs found by a delivery run."""
    if report.resumed:
        click.echo(f"{report.resumed} interrupted messages were sent again with their "
                   "idempotency key", err=True)
    if report.unknown:
        click.echo(f"{report.unknown} interrupted messages may or may not have been delivered; "
                   f"they are held, see: dyncrm outbox unknown ({len(crm.outbox.unknown())} "
                   "in all)", err=True)


@examples("dyncrm --as ketua outbox unknown")
@outbox.command("unknown")
@json_option
@pass_actor
def outbox_unknown(crm: CRM, actor: Actor, as_json: bool) -> None:
    """List messages whose delivery is unknown (a crash interrupted their hand-over).

    Ask the recipient, then send one again with: dyncrm outbox resend ID
    """
    crm.require(actor, "outbox.send")
    rows = [{"id": m.id, "channel": m.channel, "to": m.recipient, "kind": m.kind,
             "subject": m.subject, "attempts": m.attempts, "handed_over": m.claimed_at,
             "message_id": m.uid}
            for m in crm.outbox.unknown()]
    if as_json:
        output.emit(rows)
    else:
        output.table(rows, ["id", "channel", "to", "kind", "subject", "attempts",
                            "handed_over"], empty="(no message of unknown delivery)")


@examples("dyncrm --as ketua outbox resend 42", run=False)
@outbox.command("resend")
@click.argument("message_id", metavar="ID", type=int)
@json_option
@pass_actor
def outbox_resend(crm: CRM, actor: Actor, message_id: int, as_json: bool) -> None:
    """Send again message ID whose delivery is unknown (or that failed), now.

    Records who resent it.  Check with the recipient first: the first attempt
    may have arrived.
    """
    crm.outbox.resend(message_id, actor)
    report = crm.outbox.deliver(only=message_id)
    row = crm.outbox.message(message_id)
    if report.sent:
        said = f"message {message_id} resent by {actor.username} and sent"
    else:
        said = (f"message {message_id} resent by {actor.username}; it is {row.status}"
                + (f": {row.last_error}" if row.last_error else ""))
    output.action(as_json, said, message_id=message_id, status=row.status,
                  error=row.last_error or None)


@examples("dyncrm --as ketua outbox list --status failed")
@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@json_option
@pass_actor
def outbox_list(crm: CRM, actor: Actor, status: str | None, as_json: bool) -> None:
    """List outbox messages."""
    from dyncrm.db.models import OutboxMessage

    crm.require(actor, "outbox.send")
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = [{"id": m.id, "status": m.status, "channel": m.channel, "to": m.recipient,
             "kind": m.kind, "subject": m.subject, "attempts": m.attempts}
            for m in query]
    output.emit(rows) if as_json else output.table(rows)


@examples("dyncrm run-due")
@cli.command("run-due")
@click.option("--date", "on", type=params.DATE,
              help="Run as of this date (default: today).")
@json_option
@pass_crm
def run_due(crm: CRM, on, as_json: bool) -> None:
    """Run every plugin's scheduled work for a date (put this in a daily cron)."""
    day = on or crm.today()
    jobs = [j for js in crm.hook.dyncrm_scheduled_jobs(crm=crm) for j in (js or [])]
    done = []
    for job in jobs:
        message = job.run(crm, day)
        done.append({"job": job.name, "result": message or "done"})
        if not as_json:
            click.echo(f"{job.name}: {message or 'done'}")
    if as_json:
        output.emit({"date": day, "jobs": done}, replayed=False,
                    message=f"ran {len(done)} scheduled jobs for {day.isoformat()}")
    elif not jobs:
        click.echo("no scheduled jobs in the enabled plugins")


# --- ledger -----------------------------------------------------------------------


@cli.group()
def ledger() -> None:
    """The double-entry ledger: balances and corrections."""


# trial-balance, entries, account: dyncrm.cli_books


@examples("dyncrm --as bendahara ledger reverse 1234 --reason \"entered twice\"", run=False)
@ledger.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why the entry is being corrected.")
@json_option
@pass_actor
def ledger_reverse(crm: CRM, actor: Actor, entry_id: int, reason: str, as_json: bool) -> None:
    """Correct a mistaken entry by posting its reversal."""
    with crm.action("ledger.reverse", actor, permission="ledger.reverse"):
        result = crm.ledger.reverse(entry_id, actor=actor.username, memo=reason)
    output.action(as_json, f"entry {entry_id} was already reversed by entry {result.entry.id}"
                  if result.replayed else f"posted reversal entry {result.entry.id}",
                  replayed=result.replayed, entry_id=entry_id, reversal_id=result.entry.id)


def blame(exc: BaseException) -> str | None:
    """``"module (file:line)"`` of the innermost plugin frame that raised ``exc``, if any.

    Plugins are the packages that installed entry points in the ``dyncrm`` group
    point into; the core's own frames are never blamed.
    """
    packages = {ep.value.split(".")[0].split(":")[0]
                for ep in md.entry_points(group="dyncrm")} - {"dyncrm"}
    found = None
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in packages:
            found = f"{module} ({Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
        tb = tb.tb_next
    return found


def concurrency_error(exc: BaseException) -> DyncrmError | None:
    """:class:`~dyncrm.errors.DatabaseBusy` for a lock that could not be had, else None.

    SQLite ``database is locked``, a deadlock or a lock timeout on a server is
    another writer's doing, not a bug: nothing was changed and the same command
    may simply run again (exit 75).  ``crm.action`` raises it already; this
    catches what escapes from elsewhere.
    """
    from dyncrm.db.concurrency import busy_error

    return busy_error(exc)


def environment_fault(exc: BaseException) -> DyncrmError | None:
    """:class:`~dyncrm.errors.EnvironmentFault` for a full disk, a read-only file, a
    missing folder, a lost database server ... (see :mod:`dyncrm.faults`), else None.

    Checked before :func:`blame`: an ``OSError`` raised inside a plugin's write
    is the operator's to fix, not the plugin's (exit 5).
    """
    from dyncrm.faults import classify

    return classify(exc)


def _error_type(exc: BaseException) -> str:
    """The ``type`` of an error in the JSON error envelope: its class in snake_case."""
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


#: The command path of the running command (``dyncrm loan approve``), for the envelope.
_running: dict[str, str] = {}


def _run(argv: list[str] | None = None) -> int:
    """Run the CLI and map errors to :class:`ExitCode`.

    Under ``--json`` a failure also prints the contract's error envelope on
    stdout (docs/cli.md); the one-line message goes to stderr as always.
    """
    args = argv if argv is not None else sys.argv[1:]
    _running.clear()
    output.written(reset=True)
    path = find_config_path(_config_argument(args))
    _preloaded[path] = _deployment(str(path))  # its language, before click says anything
    i18n.activate(_preloaded[path]["dyncrm.language"])
    try:
        code, kind, message = _run_command(argv, "--debug" in args)
    finally:
        _preloaded.clear()
        i18n.activate(None)
    # one document: a command that printed its result and then fails (``plugins`` with a
    # broken plugin, exit 3) leaves that result as the document
    if "--json" in args and kind is not None and code != ExitCode.OK and not output.written():
        path = _running.get("path", "")
        output.write({"command": path.split(" ", 1)[1] if " " in path else "", "ok": False,
                      "kind": "error",
                      "error": {"type": kind, "message": message, "exit_code": int(code)}})
    return int(code)


def _error(exc: BaseException | str) -> None:
    """Print an error sentence on stderr, in the deployment's language."""
    click.echo(i18n.gettext("Error: {message}").format(message=i18n.translate(str(exc))),
               err=True)


def _run_command(argv: list[str] | None, debug: bool) -> tuple[int, str | None, str]:
    """Run the CLI: ``(exit code, error type or None, error message)``."""
    try:
        cli.main(args=argv, prog_name="dyncrm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(i18n.gettext("Aborted."), err=True)
        return ExitCode.ERROR, "aborted", "Aborted."
    except click.exceptions.Exit as exc:
        return exc.exit_code, None, ""
    except click.ClickException as exc:
        exc.message = i18n.translate(exc.message)  # a parameter type's refusal (dyncrm's)
        exc.show()
        code = ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
        return code, "usage_error", exc.format_message()
    except ConfigError as exc:
        _error(exc)
        return ExitCode.USAGE, _error_type(exc), str(exc)
    except DyncrmError as exc:
        if debug:
            traceback.print_exc()
        _error(exc)
        return exc.exit_code, _error_type(exc), str(exc)
    except Exception as exc:
        concurrent = concurrency_error(exc)
        if concurrent is not None:  # another writer, not a bug: nothing changed, retry
            if debug:
                traceback.print_exc()
            _error(concurrent)
            return concurrent.exit_code, _error_type(concurrent), str(concurrent)
        fault = environment_fault(exc)
        if fault is not None:  # the machine (disk, permissions, server), before any blame
            if debug:
                traceback.print_exc()
            _error(fault)
            return fault.exit_code, _error_type(fault), str(fault)
        culprit = blame(exc)
        if debug:
            traceback.print_exc()
        if culprit:
            click.echo(i18n.gettext(
                "Plugin error in {culprit}: {error}\nNothing was saved. Report this to the "
                "plugin's authors (run again with --debug for the traceback).").format(
                    culprit=culprit, error=f"{type(exc).__name__}: {exc}"), err=True)
            return (ExitCode.PLUGIN_ERROR, "plugin_error",
                    f"plugin error in {culprit}: {type(exc).__name__}: {exc}")
        if not debug:
            click.echo(i18n.gettext(
                "Internal error: {error}\nThis is a bug in dyncrm; run again with --debug "
                "and report the traceback.").format(error=f"{type(exc).__name__}: {exc}"),
                err=True)
        return (ExitCode.INTERNAL, "internal_error",
                f"internal error: {type(exc).__name__}: {exc} (a bug in dyncrm)")
    return ExitCode.OK, None, ""


def undecodable_argument(args: list[str]) -> str | None:
    """A sentence naming the first argument that was not valid UTF-8, else ``None``.

    Python hands undecodable command-line bytes over as lone surrogates
    (``surrogateescape``); nothing built from them can be stored or shown.
    """
    from dyncrm.text import describe, printable

    for position, arg in enumerate(args, start=1):
        bad = next((ch for ch in arg if 0xD800 <= ord(ch) <= 0xDFFF), None)
        if bad is not None:
            return (f"argument {position} ({printable(arg)}) is not valid UTF-8 text: "
                    f"{describe(bad)}; type it in UTF-8 (file names too)")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map errors to :class:`ExitCode` (the console script).

    Arguments that are not valid UTF-8 are refused (exit 1) before anything
    runs.  Messages to stderr, and everything printed to a terminal, pass
    through :class:`dyncrm.text.TerminalEscaper`: control characters and bidi
    overrides in stored text are shown escaped, never acted on.
    """
    from dyncrm.text import TerminalEscaper

    saved = sys.stdout, sys.stderr
    # Everything a command creates (the database and its WAL, outbox files, uploads,
    # reports, cards) may hold personal data: readable by this OS user only.
    saved_umask = os.umask(PRIVATE_UMASK)
    sys.stderr = TerminalEscaper(sys.stderr)
    if sys.stdout.isatty():
        sys.stdout = TerminalEscaper(sys.stdout)
    try:
        refused = undecodable_argument(argv if argv is not None else sys.argv[1:])
        if refused:
            _error(refused)
            return ExitCode.ERROR
        return _run(argv)
    finally:
        os.umask(saved_umask)
        sys.stdout, sys.stderr = saved


# login, logout, whoami, passwd, user ...; plugin new; serve; receipt; archive; backup, restore;
# books, ledger entries/account/trial-balance
from dyncrm import (  # noqa: E402, F401
    cli_archive,
    cli_auth,
    cli_backup,
    cli_books,
    cli_plugin,
    cli_receipts,
    cli_web,
)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
