"""Signed-in sessions and the throttling of failed sign-ins.

A person proves who they are once (:meth:`Sessions.login`) and gets a random
token; the database keeps only its SHA-256.  Every later command or page hands
the token back (:meth:`Sessions.resume`) and gets an :class:`~dyncrm.values.Actor`
whose ``channel`` says where it came from.  A session ends when its owner logs
out, an administrator revokes it or disables the user, after
``auth.session_idle_minutes`` without use, or ``auth.session_max_hours`` after
it began, whichever comes first.

Failed sign-ins are counted per user and per source (the OS user and host for the
command line, the address for the web).  Each failure is answered more slowly
(``auth.failure_delay_seconds`` times the number of failures, at most five
seconds), and after ``auth.max_failures`` the user or source is locked for
``auth.lock_minutes``.  The person is told until when.  The counts are written in
their own transaction, so a refused sign-in is still remembered.

Sessions and throttling keep real time (:attr:`Sessions.clock`), never the
deployment's clock: a simulated date (:mod:`dyncrm.simclock`) months ahead must
neither end every session nor lift a lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from dyncrm.db.models import LoginThrottle, User, UserSession, utcnow
from dyncrm.errors import DyncrmError, PermissionDenied, ValidationError
from dyncrm.i18n import N_
from dyncrm.values import CHANNELS, Actor

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: Seconds between writes of ``last_seen_at``: a burst of commands writes it once.
TOUCH_EVERY = dt.timedelta(seconds=60)


class SignInRequired(DyncrmError):
    """No valid session: the person must sign in (``dyncrm login``).  Exits 1."""


class SignInLocked(PermissionDenied):
    """Too many failed sign-ins for this user or from this place; says until when."""

    def __init__(self, who: str, until: dt.datetime, local_until: dt.datetime) -> None:
        self.until = until
        DyncrmError.__init__(
            self, f"too many failed sign-ins for {who}; signing in is locked until "
            f"{local_until:%Y-%m-%d %H:%M} (ask an administrator if this was not you)")
        self.actor, self.permission = who, N_("log in")


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@attrs.frozen
class SessionInfo:
    """A session as listed to its owner or an administrator (never the token)."""

    id: int
    username: str
    channel: str
    label: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    active: bool


@attrs.frozen
class Login:
    """What :meth:`Sessions.login` hands back: the token to keep, and who signed in."""

    token: str
    actor: Actor
    session_id: int
    expires_at: dt.datetime


class Sessions:
    """Sessions of one deployment; reach it as ``crm.sessions``."""

    def __init__(self, crm: CRM, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.crm = crm
        self._sleep = sleep
        #: Real time as naive UTC; not ``crm.now()``, which a simulated date moves.
        self.clock = clock

    @property
    def settings(self):
        """The ``[auth]`` settings of the deployment."""
        return self.crm.config.auth

    # -- signing in --------------------------------------------------------

    def login(self, username: str, password: str, *, channel: str, source: str,
              label: str = "") -> Login:
        """Check the password and open a session, or count the failure and refuse.

        :param source: where the attempt comes from (``cli:alice@host``, an IP
            address), throttled separately from the user name.
        """
        if channel not in CHANNELS or channel in ("system", "library"):
            raise ValidationError("sessions are opened on the cli or web channel",
                                  field="channel")
        username = username.strip().lower()
        scopes = (f"user:{username}", f"{channel}:{source}")
        self._refuse_if_locked(scopes, username)
        try:
            actor = self.crm.users.authenticate(username, password)
        except PermissionDenied:
            self._count_failure(scopes)
            raise
        now = self.clock()
        token = secrets.token_urlsafe(32)
        idle = dt.timedelta(minutes=self.settings.session_idle_minutes)
        longest = dt.timedelta(hours=self.settings.session_max_hours)
        with self.crm.database.atomic():
            LoginThrottle.delete().where(LoginThrottle.scope.in_(scopes)).execute()
            row = UserSession.create(user=actor.user_id, token_hash=token_hash(token),
                                     channel=channel, label=label[:200], created_at=now,
                                     last_seen_at=now, expires_at=now + longest)
        return Login(token=token, actor=attrs.evolve(actor, channel=channel),
                     session_id=row.id, expires_at=min(now + idle, now + longest))

    def _refuse_if_locked(self, scopes: tuple[str, ...], username: str) -> None:
        now = self.clock()
        for row in LoginThrottle.select().where(LoginThrottle.scope.in_(scopes)):
            if row.locked_until and row.locked_until > now:
                local = row.locked_until.replace(tzinfo=dt.UTC).astimezone(self.crm.tz)
                raise SignInLocked(username if row.scope.startswith("user:") else
                                   "this place", row.locked_until, local)

    def _count_failure(self, scopes: tuple[str, ...]) -> None:
        """Record one failure per scope (own transaction), lock at the limit, then wait."""
        s = self.settings
        now = self.clock()
        worst = 0
        with self.crm.database.atomic():
            for scope in scopes:
                row = LoginThrottle.get_or_none(LoginThrottle.scope == scope)
                if row is None:
                    row = LoginThrottle.create(scope=scope, failures=0)
                failures = row.failures + 1
                locked = (now + dt.timedelta(minutes=s.lock_minutes)
                          if failures >= s.max_failures else None)
                (LoginThrottle.update(failures=failures, last_failure_at=now,
                                      locked_until=locked)
                 .where(LoginThrottle.scope == scope).execute())
                worst = max(worst, failures)
        delay = min(5.0, s.failure_delay_seconds * worst)
        if delay > 0:
            self._sleep(delay)

    def unlock(self, username: str) -> int:
        """Forget the failed sign-ins of ``username`` (an administrator's action)."""
        return (LoginThrottle.delete()
                .where(LoginThrottle.scope == f"user:{username.strip().lower()}").execute())

    # -- using a session ---------------------------------------------------

    def resume(self, token: str, *, channel: str) -> Actor:
        """The actor of a live session, or ``SignInRequired`` saying why there is none."""
        row = (UserSession.select(UserSession, User).join(User)
               .where(UserSession.token_hash == token_hash(token)).first())
        if row is None or row.channel != channel:
            raise SignInRequired("you are not signed in; run: dyncrm login")
        now = self.clock()
        idle = dt.timedelta(minutes=self.settings.session_idle_minutes)
        if row.revoked_at is not None:
            raise SignInRequired("your session was ended; sign in again: dyncrm login")
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            raise SignInRequired("your session has expired; sign in again: dyncrm login")
        if not row.user.active:
            raise SignInRequired(f"the account {row.user.username!r} is disabled")
        if now - row.last_seen_at >= TOUCH_EVERY:
            with self.crm.database.atomic():
                (UserSession.update(last_seen_at=now)
                 .where(UserSession.id == row.id).execute())
        from dyncrm.auth import actor_of

        return attrs.evolve(actor_of(row.user), channel=channel)

    def logout(self, token: str) -> bool:
        """End the session of ``token``; False when it had already ended."""
        with self.crm.database.atomic():
            return bool(UserSession.update(revoked_at=self.clock(), revoked_by="logout")
                        .where(UserSession.token_hash == token_hash(token),
                               UserSession.revoked_at.is_null()).execute())

    # -- administering -----------------------------------------------------

    def list(self, username: str | None = None, *, include_ended: bool = False
             ) -> list[SessionInfo]:
        """Sessions, newest first (of one user when ``username`` is given)."""
        now = self.clock()
        idle = dt.timedelta(minutes=self.settings.session_idle_minutes)
        query = (UserSession.select(UserSession, User).join(User)
                 .order_by(UserSession.created_at.desc(), UserSession.id.desc()))
        if username:
            query = query.where(User.username == username.strip().lower())
        found = []
        for row in query:
            live = (row.revoked_at is None and row.expires_at > now
                    and row.last_seen_at + idle > now and row.user.active)
            if live or include_ended:
                found.append(SessionInfo(id=row.id, username=row.user.username,
                                         channel=row.channel, label=row.label,
                                         created_at=row.created_at,
                                         last_seen_at=row.last_seen_at,
                                         expires_at=min(row.expires_at,
                                                        row.last_seen_at + idle),
                                         active=live))
        return found

    def revoke(self, session_id: int, *, by: str) -> bool:
        """End one session at once; False when it had already ended."""
        return bool(UserSession.update(revoked_at=self.clock(), revoked_by=by)
                    .where(UserSession.id == session_id,
                           UserSession.revoked_at.is_null()).execute())

    def revoke_user(self, username: str, *, by: str) -> int:
        """End every session of ``username`` at once; returns how many."""
        user = self.crm.users.get(username)
        return (UserSession.update(revoked_at=self.clock(), revoked_by=by)
                .where(UserSession.user == user.id, UserSession.revoked_at.is_null())
                .execute())
