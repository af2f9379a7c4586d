"""Signing in on the command line, and the administration of logins and sessions.

``dyncrm login`` proves who you are with your password (asked without echo, or
read from standard input with ``--password-stdin``; never from an argument,
which other users could see in the process list) and keeps the session token in
a private file (:mod:`dyncrm.session_store`).  Every later command that acts as
a person uses it; ``--as NAME`` picks among several people signed in at one desk.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys

import click

from dyncrm import output
from dyncrm.app import CRM
from dyncrm.cli import cli, examples, json_option, pass_actor, pass_crm, user
from dyncrm.config import find_config_path
from dyncrm.errors import ValidationError
from dyncrm.session_store import SessionStore
from dyncrm.values import Actor


def read_password(prompt: str, *, from_stdin: bool, confirm: bool = False) -> str:
    """A password from a hidden prompt, or the next line of standard input."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValidationError("no password on standard input", field="password")
        return line.rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def cli_source() -> str:
    """Where a command-line sign-in comes from: the OS user and the host."""
    try:
        who = os.getlogin()
    except OSError:
        import getpass

        who = getpass.getuser()
    return f"{who}@{socket.gethostname()}"


def _store(ctx: click.Context) -> SessionStore:
    return SessionStore(find_config_path(ctx.find_root().params.get("config")))


password_stdin = click.option(
    "--password-stdin", is_flag=True,
    help="Read the password from the first line of standard input (for scripts).")


@examples("dyncrm login bendahara", run=False)
@cli.command("login")
@click.argument("username", required=False)
@password_stdin
@json_option
@click.pass_context
def login(ctx: click.Context, username: str | None, password_stdin: bool,
          as_json: bool) -> None:
    """Sign in: prove who you are once; later commands act as you.

    Asks for the password without showing it.  The session lasts while you keep
    working (see [auth] in the configuration) and ends with 'dyncrm logout'.
    """
    crm: CRM = ctx.obj.crm
    if not username:
        if password_stdin:
            raise click.UsageError("name the user: dyncrm login USERNAME --password-stdin")
        username = click.prompt("User name")
    password = read_password("Password", from_stdin=password_stdin)
    signed = crm.sessions.login(username, password, channel="cli", source=cli_source(),
                                label=f"cli {cli_source()}")
    _store(ctx).save(signed.actor.username, signed.token)
    local = signed.expires_at.replace(tzinfo=dt.UTC).astimezone(crm.tz)
    output.action(as_json, f"signed in as {signed.actor.username} "
               f"({', '.join(sorted(signed.actor.roles)) or 'no roles'}); "
               f"the session ends after {crm.config.auth.session_idle_minutes} minutes "
               f"without use (now: {local:%H:%M}) or with 'dyncrm logout'",
                  username=signed.actor.username, roles=sorted(signed.actor.roles),
                  expires_at=signed.expires_at)


@examples("dyncrm logout")
@cli.command("logout")
@click.option("--all", "everyone", is_flag=True,
              help="Sign out everyone signed in to this deployment here.")
@json_option
@click.pass_context
def logout(ctx: click.Context, everyone: bool, as_json: bool) -> None:
    """Sign out: end your session here (with --as NAME, that person's)."""
    store = _store(ctx)
    names = store.usernames() if everyone else []
    if not everyone:
        found = store.token(ctx.obj.username or os.environ.get("DYNCRM_USER"))
        names = [found[0]] if found else []
    if not names:
        output.action(as_json, "nobody is signed in here", replayed=True, signed_out=[])
        return
    crm: CRM = ctx.obj.crm
    for name in names:
        found = store.token(name)
        if found:
            crm.sessions.logout(found[1])
        store.forget(name)
        if not as_json:
            click.echo(f"signed out {name}")
    if as_json:
        output.emit({"signed_out": names}, message=f"signed out {', '.join(names)}",
                    replayed=False)


@examples("dyncrm --as bendahara whoami")
@cli.command("whoami")
@json_option
@click.pass_context
def whoami(ctx: click.Context, as_json: bool) -> None:
    """Say who you act as here, with which roles, and who else is signed in."""
    actor: Actor = ctx.obj.actor
    others = [n for n in _store(ctx).usernames() if n != actor.username]
    if as_json:
        output.emit({"username": actor.username, "roles": sorted(actor.roles),
                          "member_id": actor.member_id, "channel": actor.channel,
                          "also_signed_in": others})
        return
    click.echo(f"{actor.username} ({', '.join(sorted(actor.roles)) or 'no roles'})")
    if others:
        click.echo(f"also signed in here: {', '.join(others)} (use --as NAME)")


@examples("dyncrm --as bendahara passwd", run=False)
@cli.command("passwd")
@password_stdin
@json_option
@click.pass_context
def passwd(ctx: click.Context, password_stdin: bool, as_json: bool) -> None:
    """Change your own password (asks the current one first).

    With --password-stdin, the first line is the current password and the
    second the new one.
    """
    actor: Actor = ctx.obj.actor
    crm: CRM = ctx.obj.crm
    current = read_password("Current password", from_stdin=password_stdin)
    new = read_password("New password", from_stdin=password_stdin, confirm=True)
    with crm.action("user.passwd", actor):
        crm.users.change_password(actor.username, current, new)
    output.action(as_json, f"password changed for {actor.username}",
                  username=actor.username)


@examples("dyncrm --as ketua audit --limit 5")
@cli.command("audit")
@click.option("--user", "username", help="Only this person's actions.")
@click.option("--action", "action", help="Only actions whose name starts with this.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="How many of the latest actions.")
@json_option
@pass_actor
def audit(crm: CRM, actor: Actor, username: str | None, action: str | None, limit: int,
          as_json: bool) -> None:
    """The audit trail: the latest actions, who ran them and from where (cli, web, system)."""
    from dyncrm.db.models import ActionLog

    crm.require(actor, "audit.view")
    query = ActionLog.select().order_by(ActionLog.id.desc()).limit(limit)
    if username:
        query = query.where(ActionLog.actor == username.strip().lower())
    if action:
        query = query.where(ActionLog.action.startswith(action))
    rows = [{"at": r.at, "action": r.action, "by": r.actor, "channel": r.channel,
             "key": r.key or ""} for r in query]
    output.emit(rows) if as_json else output.table(rows, empty="no actions recorded")


# --- administering logins -----------------------------------------------------------


@examples("dyncrm --as ketua user disable panitia2")
@user.command("disable")
@click.argument("username")
@json_option
@pass_actor
def user_disable(crm: CRM, actor: Actor, username: str, as_json: bool) -> None:
    """Disable USERNAME's login; their sessions end at once."""
    crm.require(actor, "users.manage")
    if username.strip().lower() == actor.username:
        raise ValidationError("you cannot disable your own login", field="username")
    with crm.action("user.disable", actor):
        crm.users.set_active(username, False, by=actor.username)
    output.action(as_json, f"{username} is disabled; their sessions have ended",
                  username=username, active=False)


@examples("dyncrm --as ketua user enable panitia2")
@user.command("enable")
@click.argument("username")
@json_option
@pass_actor
def user_enable(crm: CRM, actor: Actor, username: str, as_json: bool) -> None:
    """Enable USERNAME's login again."""
    crm.require(actor, "users.manage")
    with crm.action("user.enable", actor):
        crm.users.set_active(username, True, by=actor.username)
        crm.sessions.unlock(username)
    output.action(as_json, f"{username} is enabled", username=username, active=True)


@examples("dyncrm --as ketua user reset-password kasir")
@user.command("reset-password")
@click.argument("username")
@json_option
@pass_actor
def user_reset_password(crm: CRM, actor: Actor, username: str, as_json: bool) -> None:
    """Reset USERNAME's password: prints a one-time code for them to choose a new one.

    The old password and every session of the user stop working at once.
    """
    crm.require(actor, "users.manage")
    with crm.action("user.reset_password", actor):
        code = crm.users.issue_reset(username, by=actor.username)
        crm.sessions.unlock(username)
    hours = crm.config.auth.reset_code_hours
    output.action(as_json, f"one-time code for {username} (valid {hours} hours, usable once): "
                           f"{code}\nthey choose a new password with: "
                           f"dyncrm user activate {username}",
                  username=username, reset_code=code, valid_hours=hours)


@examples("dyncrm --as ketua user unlock kasir")
@user.command("unlock")
@click.argument("username")
@json_option
@pass_actor
def user_unlock(crm: CRM, actor: Actor, username: str, as_json: bool) -> None:
    """Lift the lock that failed sign-ins put on USERNAME."""
    crm.require(actor, "users.manage")
    with crm.action("user.unlock", actor):
        crm.sessions.unlock(username)
    output.action(as_json, f"{username} may sign in again", username=username)


@examples("dyncrm --as ketua user sessions kasir")
@user.command("sessions")
@click.argument("username", required=False)
@click.option("--ended", is_flag=True, help="Include sessions that have ended.")
@json_option
@pass_actor
def user_sessions(crm: CRM, actor: Actor, username: str | None, ended: bool,
                  as_json: bool) -> None:
    """List open sessions (yours; an administrator may name anyone, or see all)."""
    if username != actor.username:
        crm.require(actor, "users.manage")
    rows = [{"id": s.id, "user": s.username, "channel": s.channel, "from": s.label,
             "since": s.created_at, "last_used": s.last_seen_at, "ends": s.expires_at,
             "open": s.active}
            for s in crm.sessions.list(username, include_ended=ended)]
    output.emit(rows) if as_json else output.table(rows)


@examples("dyncrm --as ketua user revoke --user kasir")
@user.command("revoke")
@click.argument("session_id", type=int, required=False)
@click.option("--user", "username", help="End every session of this user.")
@json_option
@pass_actor
def user_revoke(crm: CRM, actor: Actor, session_id: int | None, username: str | None,
                as_json: bool) -> None:
    """End a session at once (by its id from 'user sessions'), or all of a user's."""
    if (session_id is None) == (username is None):
        raise click.UsageError("give a SESSION_ID or --user NAME")
    if username:
        if username.strip().lower() != actor.username:
            crm.require(actor, "users.manage")
        with crm.action("user.revoke", actor):
            count = crm.sessions.revoke_user(username, by=actor.username)
        output.action(as_json, f"ended {count} sessions of {username}", username=username,
                      sessions_ended=count)
        return
    owner = next((s.username for s in crm.sessions.list(include_ended=True)
                  if s.id == session_id), None)
    if owner != actor.username:
        crm.require(actor, "users.manage")
    with crm.action("user.revoke", actor):
        ended = crm.sessions.revoke(session_id, by=actor.username)
    output.action(as_json, f"session {session_id} ended" if ended else
                  f"session {session_id} had already ended (or does not exist)",
                  replayed=not ended, session_id=session_id)


@examples("dyncrm user activate admin", run=False)
@user.command("activate")
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the code, then the new password, one a line, from standard input.")
@json_option
@pass_crm
def user_activate(crm: CRM, username: str, from_stdin: bool, as_json: bool) -> None:
    """Choose a password with the one-time code from 'user add' or 'user reset-password'.

    Asks for the code and the new password without showing them: on the command
    line they could be read from the process list by other users of the computer.
    """
    code = read_password("One-time code", from_stdin=from_stdin).strip()
    password = read_password("New password", from_stdin=from_stdin, confirm=True)
    with crm.action("user.activate", Actor(username=username.strip().lower(), channel="cli")):
        crm.users.activate(username, code, password)
    output.action(as_json, f"password set for {username}; sign in with: "
                           f"dyncrm login {username}", username=username)
