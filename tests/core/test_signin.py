"""Signing in: sessions, their end, throttling, the system actor, private files.

Every command that acts as a person is refused without a session, with an
expired or revoked one and for a disabled user; ``--as`` and ``$DYNCRM_USER``
grant nothing; no command takes a secret as an argument; the files a command
writes are private to its OS user.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import click
import pytest

from dyncrm import passwords
from dyncrm.app import open_crm
from dyncrm.db.models import ActionKey, LoginThrottle, Touchpoint, UserSession
from dyncrm.errors import NotFoundError, PermissionDenied, ValidationError
from dyncrm.session_store import SessionStore
from dyncrm.sessions import SignInLocked, SignInRequired
from dyncrm.testing import TEST_PASSWORD, run_cli, sign_in
from dyncrm.values import Actor

ADMIN_PASSWORD = "sangat-rahasia-1"


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """A Koperasi XYZ deployment (every plugin enabled) with an administrator."""
    code, _, err = run_cli(["init", str(tmp_path / "kop"), "--from", "koperasi_xyz",
                            "--admin-password-stdin"], input=ADMIN_PASSWORD + "\n")
    assert code == 0, err
    config = tmp_path / "kop" / "dyncrm.toml"
    text = config.read_text(encoding="utf-8")
    assert "\nmax_failures = 5" in text  # the deployment's [auth], made quick to lock
    config.write_text(text.replace("\nmax_failures = 5",
                                   "\nmax_failures = 3\nfailure_delay_seconds = 0"),
                      encoding="utf-8")
    return config


def cli(config: Path, *args: str, user: str | None = None, input: str | None = None,
        env: dict[str, str] | None = None):
    base = ["-c", str(config)] + (["--as", user] if user else [])
    return run_cli(base + list(args), input=input, env=env, signed_in=False)


def login(config: Path, user: str, password: str):
    return cli(config, "login", user, "--password-stdin", input=password + "\n")


def add_user(config: Path, name: str, roles: str, password: str = TEST_PASSWORD) -> None:
    code, _, err = cli(config, "user", "add", name, "--role", roles, "--password-stdin",
                       user="admin", input=password + "\n")
    assert code == 0, err


# -- the done-when of the issue ---------------------------------------------------


def test_as_and_dyncrm_user_grant_nothing_until_the_person_signs_in(deployment: Path) -> None:
    code, _, err = cli(deployment, "user", "list", user="admin")
    assert code == 1 and "admin is not signed in" in err and "dyncrm login admin" in err
    code, _, err = cli(deployment, "user", "list", env={"DYNCRM_USER": "admin"})
    assert code == 1 and "not signed in" in err
    code, out, err = login(deployment, "admin", ADMIN_PASSWORD)
    assert code == 0, err
    assert "signed in as admin (admin)" in out
    code, out, err = cli(deployment, "user", "list")
    assert code == 0 and "admin" in out
    code, out, _ = cli(deployment, "whoami", "--json")
    shown = json.loads(out)["data"]
    assert shown["username"] == "admin" and shown["channel"] == "cli"


def test_the_audit_trail_names_the_signed_in_person_and_the_channel(deployment) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "sekretaris", "secretary")
    with open_crm(deployment) as crm:
        row = ActionKey.select().order_by(ActionKey.at.desc()).first()
        assert row is None or row.channel in ("cli", "unknown")
    code, _, err = cli(deployment, "member", "timeline", "1", user="admin")
    assert code == 1 and "not found" in err  # signed in: the command ran and looked for the member
    with open_crm(deployment) as crm:
        member_id = _member(crm)
    assert cli(deployment, "member", "timeline", str(member_id), user="admin")[0] == 0
    with open_crm(deployment) as crm:
        tp = Touchpoint.select().where(Touchpoint.member == member_id).get()
        assert (tp.actor, tp.channel) == ("operator", "library")


def _member(crm) -> int:
    from dyncrm.db.models import Member

    with crm.action("seed", Actor.operator()):
        member = Member.create(name="Budi Santoso", number="XYZ-2026-00001")
        crm.lifecycle.transition(member.id, "approve", Actor.operator())
    return member.id


# -- every permissioned command -----------------------------------------------------


def _leaves(group: click.Group, ctx: click.Context, path=()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, ctx, (*path, name))
        else:
            yield (*path, name), cmd


def _dummy(param: click.Parameter) -> list[str]:
    """A value click accepts for a required parameter, so the command gets to run."""
    kind = param.type
    by_name = {"year": "2025", "term": "12", "months": "12"}
    if param.name in by_name:
        value = by_name[param.name]
    elif isinstance(kind, click.Choice):
        value = kind.choices[0]
    elif isinstance(kind, click.DateTime):
        value = "2026-01-05"
    elif isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        value = "1"
    elif isinstance(kind, click.Path):
        value = __file__
    else:
        name = getattr(kind, "name", "")
        value = {"date": "2026-01-05", "amount": "1000", "rate": "1", "term": "12",
                 "percent": "1", "month": "2026-01", "year": "2025"}.get(name, "2025")
    if isinstance(param, click.Option):
        return [param.opts[0]] if param.is_flag else [param.opts[0], str(value)]
    return [str(value)] * (param.nargs if param.nargs > 0 else 1)


def person_commands(config: Path) -> list[tuple[tuple[str, ...], list[str]]]:
    """Every command that acts as a person, with arguments click accepts."""
    from dyncrm.cli import cli as root

    ctx = click.Context(root, info_name="dyncrm")
    ctx.params["config"] = str(config)
    found = []
    for path, cmd in _leaves(root, ctx):
        if not getattr(cmd.callback, "acts_as_person", False):
            continue
        args = []
        for param in cmd.params:
            if param.required:
                args += _dummy(param)
        found.append((path, args))
    return found


def test_every_command_that_acts_as_a_person_needs_a_live_session(deployment: Path) -> None:
    commands = person_commands(deployment)
    assert len(commands) > 60  # every plugin's commands are there
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "kasir", "cashier")
    with open_crm(deployment) as crm:
        sessions = {s.username: s.id for s in crm.sessions.list()}

    def all_refused(reason: str, user: str | None = None) -> None:
        for path, args in commands:
            code, _, err = cli(deployment, *path, *args, user=user)
            assert code == 1 and reason in err, (path, args, code, err)

    # no session at all for kasir (only admin signed in): --as names someone else
    all_refused("kasir is not signed in", user="kasir")
    # a revoked session
    sign_in(deployment, "kasir")
    with open_crm(deployment) as crm, crm.database.atomic():
        crm.sessions.revoke_user("kasir", by="admin")
    code, _, err = cli(deployment, "user", "list", user="kasir")
    assert code == 1 and "your session was ended" in err
    all_refused("not signed in", user="kasir")  # the store forgot the dead token
    # an expired one (idle too long)
    sign_in(deployment, "kasir")
    with open_crm(deployment) as crm:
        (UserSession.update(last_seen_at=crm.now() - dt.timedelta(hours=9))
         .where(UserSession.revoked_at.is_null(), UserSession.id != sessions["admin"])
         .execute())
    code, _, err = cli(deployment, "user", "list", user="kasir")
    assert code == 1 and "expired" in err
    all_refused("not signed in", user="kasir")
    # a disabled user
    sign_in(deployment, "kasir")
    assert cli(deployment, "user", "disable", "kasir", user="admin")[0] == 0
    code, _, err = cli(deployment, "user", "list", user="kasir")
    assert code == 1 and "ended" in err
    all_refused("not signed in", user="kasir")
    code, _, err = login(deployment, "kasir", TEST_PASSWORD)
    assert code == 1 and "wrong user name or password" in err


def test_the_session_file_is_private_and_refused_when_others_can_read_it(
        deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    store = SessionStore(deployment)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    with open_crm(deployment):
        token = store.token("admin")[1]
        assert UserSession.get().token_hash != token  # only the hash is stored
        assert token not in json.dumps(list(UserSession.select().dicts()), default=str)
    os.chmod(store.path, 0o644)
    code, _, err = cli(deployment, "user", "list")
    assert code == 5 and "can be read or changed by other users" in err


def test_logout_ends_the_session_in_the_database(deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    token = SessionStore(deployment).token("admin")[1]
    code, out, _ = cli(deployment, "logout")
    assert code == 0 and "signed out admin" in out
    with open_crm(deployment) as crm, pytest.raises(SignInRequired, match="ended"):
        crm.sessions.resume(token, channel="cli")
    assert cli(deployment, "user", "list")[0] == 1


def test_several_people_at_one_desk_choose_with_as(deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "bendahara", "treasurer")
    assert login(deployment, "bendahara", TEST_PASSWORD)[0] == 0
    assert json.loads(cli(deployment, "whoami", "--json")[1])["data"]["username"] == "bendahara"
    out = json.loads(cli(deployment, "whoami", "--json", user="admin")[1])["data"]
    assert out["username"] == "admin" and out["also_signed_in"] == ["bendahara"]
    code, _, err = cli(deployment, "user", "list", user="bendahara")
    assert code == 1 and "bendahara may not users.manage" in err


# -- passwords, codes, throttling ----------------------------------------------------


@pytest.mark.parametrize("weak", ["rahasia123", "bismillah", "sayangku1", "password1",
                                  "12345678", "aaaaaaaa", "qwertyuiop", "kasir2026!"])
def test_common_and_guessable_passwords_are_refused_at_set_time(deployment, weak) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    code, _, err = cli(deployment, "user", "add", "kasir", "--role", "cashier",
                       "--password-stdin", input=weak + "\n")
    assert code == 1 and "password:" in err
    with open_crm(deployment) as crm, pytest.raises(NotFoundError):
        crm.users.get("kasir")


def test_password_policy_follows_sp_800_63b() -> None:
    assert passwords.problem("Seven77") == "must be at least 8 characters"
    assert passwords.problem("kereta api ke bandung jam tujuh") is None  # spaces, length
    assert passwords.problem("x" * 7 + "é") is not None  # repeated
    assert passwords.problem("naïve-kopi-susu") is None  # any characters
    assert passwords.problem("a" * 64 + "b" * 64 + "cd") == "must be at most 128 characters"
    long = "bukan sandi yang mudah ditebak, tentu saja " * 2
    assert len(long) > 64 and passwords.problem(long) is None  # 64+ allowed
    composed, decomposed = "José-koperasi-2026", "Jose\u0301-koperasi-2026"
    stored = passwords.hash_password(composed)
    assert passwords.verify_password(stored, decomposed)  # NFC on both sides


def test_reset_codes_are_hashed_expire_and_work_once(deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "kasir", "cashier")
    sign_in(deployment, "kasir")
    code, out, err = cli(deployment, "user", "reset-password", "kasir", user="admin")
    assert code == 0, err
    reset = out.split("usable once): ")[1].split()[0]
    with open_crm(deployment) as crm:
        assert reset not in json.dumps(list(crm.users.get("kasir").__data__.values()),
                                       default=str)
    assert cli(deployment, "user", "list", user="kasir")[0] == 1  # sessions ended
    assert login(deployment, "kasir", TEST_PASSWORD)[0] == 1  # old password gone
    new = "kopi tubruk pagi hari"
    code, _, err = cli(deployment, "user", "activate", "kasir", "--stdin",
                       input=f"{reset}\n{new}\n")
    assert code == 0, err
    code, _, err = cli(deployment, "user", "activate", "kasir", "--stdin",
                       input=f"{reset}\nlain lagi sandinya\n")
    assert code == 1 and "invalid or expired" in err
    assert login(deployment, "kasir", new)[0] == 0
    # an expired code
    code, out, _ = cli(deployment, "user", "reset-password", "kasir", user="admin")
    again = out.split("usable once): ")[1].split()[0]
    with open_crm(deployment) as crm:
        user = crm.users.get("kasir")
        user.activation_expires_at = crm.now() - dt.timedelta(minutes=1)
        user.save()
    code, _, err = cli(deployment, "user", "activate", "kasir", "--stdin",
                       input=f"{again}\nsandi baru yang lain\n")
    assert code == 1 and "invalid or expired" in err


def test_people_change_their_own_password(deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    code, _, err = cli(deployment, "passwd", "--password-stdin",
                       input="salah-sandi-lama\nsandi baru yang panjang\n")
    assert code == 1 and "wrong user name or password" in err
    code, _, err = cli(deployment, "passwd", "--password-stdin",
                       input=f"{ADMIN_PASSWORD}\nsandi baru yang panjang\n")
    assert code == 0, err
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 1
    assert login(deployment, "admin", "sandi baru yang panjang")[0] == 0


def test_failed_sign_ins_are_slowed_then_locked_and_the_person_is_told(make_crm) -> None:
    crm = make_crm(auth={"max_failures": 3, "lock_minutes": 15, "failure_delay_seconds": 2})
    waits: list[float] = []
    crm.sessions._sleep = waits.append
    with crm.database.atomic():
        crm.users.add("kasir", roles=["cashier"], password=TEST_PASSWORD)
    for _ in range(3):
        with pytest.raises(PermissionDenied, match="wrong user name or password"):
            crm.sessions.login("kasir", "tebakan-salah-1", channel="cli", source="x@host")
    assert waits == [2, 4, 5]  # slower each time, at most five seconds
    with pytest.raises(SignInLocked, match="locked until") as locked:
        crm.sessions.login("kasir", TEST_PASSWORD, channel="cli", source="other@host")
    assert locked.value.until > crm.now() + dt.timedelta(minutes=14)
    # the source is locked too, for every user it tries
    with crm.database.atomic():
        crm.users.add("kasir2", roles=["cashier"], password=TEST_PASSWORD)
    with pytest.raises(SignInLocked, match="this place"):
        crm.sessions.login("kasir2", TEST_PASSWORD, channel="cli", source="x@host")
    # sessions keep real time of their own (not crm.now(), which a simulated date moves)
    crm.sessions.clock = (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None)
                          + dt.timedelta(minutes=16))
    assert crm.sessions.login("kasir", TEST_PASSWORD, channel="cli", source="x@host")
    assert LoginThrottle.select().where(LoginThrottle.scope == "user:kasir").count() == 0


def test_an_administrator_unlocks_a_locked_user(deployment: Path) -> None:
    add_user_direct(deployment, "kasir")
    for _ in range(3):
        assert login(deployment, "kasir", "bukan-sandinya")[0] == 1
    code, _, err = login(deployment, "kasir", TEST_PASSWORD)
    assert code == 1 and "locked until" in err
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 1  # same place: locked too
    with open_crm(deployment):
        LoginThrottle.delete().where(LoginThrottle.scope.startswith("cli:")).execute()
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    assert cli(deployment, "user", "unlock", "kasir", user="admin")[0] == 0
    with open_crm(deployment):
        LoginThrottle.delete().where(LoginThrottle.scope.startswith("cli:")).execute()
    assert login(deployment, "kasir", TEST_PASSWORD)[0] == 0


def add_user_direct(config: Path, name: str) -> None:
    with open_crm(config) as crm, crm.database.atomic():
        crm.users.add(name, roles=["cashier"], password=TEST_PASSWORD)


def test_sessions_are_listed_and_revoked(deployment: Path) -> None:
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "kasir", "cashier")
    sign_in(deployment, "kasir")
    code, out, _ = cli(deployment, "user", "sessions", "--json", user="admin")
    rows = json.loads(out)["data"]
    assert {r["user"] for r in rows} == {"admin", "kasir"} and all(r["open"] for r in rows)
    kasir = next(r["id"] for r in rows if r["user"] == "kasir")
    code, _, err = cli(deployment, "user", "sessions", "admin", user="kasir")
    assert code == 1 and "users.manage" in err
    assert json.loads(cli(deployment, "user", "sessions", "kasir", "--json",
                          user="kasir")[1])["data"][0]["id"] == kasir
    code, out, _ = cli(deployment, "user", "revoke", str(kasir), user="admin")
    assert code == 0 and f"session {kasir} ended" in out
    assert cli(deployment, "whoami", user="kasir")[0] == 1


# -- the system actor ---------------------------------------------------------------


def test_cron_needs_no_session_and_the_system_actor_cannot_decide(deployment: Path) -> None:
    code, _, err = cli(deployment, "run-due")
    assert code == 0, err
    code, _, err = cli(deployment, "outbox", "send")
    assert code == 0, err
    code, _, err = cli(deployment, "remind", "run", "--no-send")
    assert code == 0, err
    with open_crm(deployment) as crm:
        system = Actor.system("scheduler")
        decisions = [p for p in crm.users.permissions
                     if p.rsplit(".", 1)[-1] in ("approve", "verify", "decide", "post",
                                                 "disburse", "manage", "import", "enter")]
        assert len(decisions) >= 8
        for name in decisions:
            assert not crm.users.can(system, name), name
        assert crm.users.can(system, "outbox.send") and crm.users.can(system, "reminders.run")
        with pytest.raises(ValidationError, match="scheduled work cannot approve"):
            crm.quorum.record("loans.approve", "loan:1", system)


def test_a_deployment_cannot_give_the_system_actor_a_decision(make_crm) -> None:
    crm = make_crm(enabled=["expand.savings", "expand.loans"],
                   permissions={"loans.decide": ["credit_committee", "system"]})
    with pytest.raises(ValidationError, match="may not be given to the system actor"):
        crm.users.can(Actor.system(), "loans.decide")


def test_no_command_takes_a_secret_as_an_argument(deployment: Path) -> None:
    from dyncrm.cli import cli as root

    ctx = click.Context(root, info_name="dyncrm")
    ctx.params["config"] = str(deployment)
    offenders = []
    for path, cmd in _leaves(root, ctx):
        for param in cmd.params:
            words = " ".join(getattr(param, "opts", [])) + " " + (param.name or "")
            secret = any(w in words.lower() for w in ("password", "token", "secret", "passphrase"))
            if secret and not getattr(param, "is_flag", False):
                offenders.append((path, param.name))
    assert offenders == []


# -- private files -------------------------------------------------------------------


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode)
            for p in folder.rglob("*")}


def test_files_holding_personal_data_are_private(deployment: Path) -> None:
    folder = deployment.parent
    assert login(deployment, "admin", ADMIN_PASSWORD)[0] == 0
    add_user(deployment, "sekretaris", "secretary")
    code, _, _ = cli(deployment, "user", "add", "anggota1", "--role", "member",
                     user="admin")
    assert code == 0
    with open_crm(deployment) as crm, crm.action("q", Actor.operator()):
        crm.outbox.queue(recipient="budi@example.id", subject="Aktivasi",
                         body="Kode aktivasi: 1234", kind="welcome")
    assert cli(deployment, "outbox", "send")[0] == 0
    modes = _modes(folder)
    database = [n for n in modes if n.endswith((".db", ".db-wal", ".db-shm", ".sqlite"))]
    assert database, modes
    for name, mode in modes.items():
        if (folder / name).is_dir():
            assert mode & 0o077 == 0, (name, oct(mode))
        else:
            assert mode & 0o077 == 0, (name, oct(mode))
    outbox = [n for n in modes if n.startswith("outbox") and not (folder / n).is_dir()]
    assert outbox, modes


def test_library_callers_write_private_files_whatever_their_umask(make_crm, tmp_path) -> None:
    """A program importing dyncrm (no CLI umask) still leaves nothing world-readable."""
    old = os.umask(0o022)
    try:
        crm = make_crm(notify={"default_channel": "file", "file_directory": "outbox"})
        with crm.action("q", Actor.operator()):
            crm.outbox.queue(recipient="budi@example.id", subject="Kode reset",
                             body="Kode: 1234", kind="reset")
        crm.outbox.deliver()
    finally:
        os.umask(old)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".eml", ".db")]
    assert {p.suffix for p in written} == {".eml", ".db"}
    for path in [*written, *(p for p in tmp_path.rglob("*") if p.is_dir())]:
        if "outbox" in str(path) or path.suffix == ".db":
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
