"""People and permissions: logins, roles, argon2id passwords, activation tokens.

Staff and members alike are :class:`~dyncrm.db.models.User` rows with a set of
roles.  Plugins declare permissions with default roles
(``dyncrm_permissions``); a deployment may reassign roles in ``[permissions]``.
``crm.require(actor, name)`` refuses with a clear error when no role of the
actor holds the permission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import TYPE_CHECKING

import attrs

from dyncrm import passwords
from dyncrm.db.models import User
from dyncrm.errors import DuplicateError, NotFoundError, PermissionDenied, ValidationError
from dyncrm.i18n import N_
from dyncrm.inputs import identifier
from dyncrm.text import clean_text
from dyncrm.values import (
    NEVER_SCHEDULED,
    PUBLIC_ROLE,
    ROLES,
    SYSTEM_ROLE,
    Actor,
    Permission,
)

if TYPE_CHECKING:
    from dyncrm.app import CRM

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = passwords.MIN_LENGTH
hash_password = passwords.hash_password
verify_password = passwords.verify_password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    """The :class:`Actor` a user acts as."""
    roles = frozenset(r for r in user.roles.split(",") if r)
    return Actor(username=user.username, roles=roles, member_id=user.member_id,
                 user_id=user.id)


def _login_key(username: str) -> str:
    """A typed user name as stored: lower-cased only when ASCII, so no other character
    becomes a stored name under case mapping (the Kelvin sign never finds user ``k``)."""
    text = username.strip()
    return text.lower() if text.isascii() else text


class Users:
    """User accounts and permission checks; reach it as ``crm.users``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self._permissions: dict[str, Permission] | None = None

    # -- permissions ---------------------------------------------------------

    @property
    def permissions(self) -> dict[str, Permission]:
        """Every declared permission, with the config's role overrides applied."""
        if self._permissions is None:
            perms: dict[str, Permission] = {}
            for declared in self.crm.hook.dyncrm_permissions():
                for p in declared or []:
                    perms[p.name] = p
            for name, roles in self.crm.config.permissions.items():
                if name not in perms:
                    raise ValidationError(
                        f"[permissions] names unknown permission {name!r}; known: "
                        f"{', '.join(sorted(perms))}")
                perms[name] = Permission(name, frozenset(roles), perms[name].description)
            for p in perms.values():
                unproven = p.roles & {SYSTEM_ROLE, PUBLIC_ROLE}
                if unproven and p.name.rsplit(".", 1)[-1] in NEVER_SCHEDULED:
                    who = sorted(unproven)[0]
                    raise ValidationError(
                        f"permission {p.name!r} may not be given to the {who} actor: "
                        "nobody who has not signed in approves, verifies, decides, "
                        "overrides, posts, pays or manages", field="permissions")
            self._permissions = perms
        return self._permissions

    def can(self, actor: Actor, permission: str) -> bool:
        """True when one of ``actor``'s roles holds ``permission``.

        Trusted operator code (:meth:`Actor.operator`) holds every permission; the
        scheduler's system actor only those whose roles name ``system``.
        """
        p = self.permissions.get(permission)
        if p is None:
            raise ValidationError(f"unknown permission {permission!r}")
        if actor.is_operator:
            return True
        return bool(actor.roles & p.roles)

    def require(self, actor: Actor, permission: str) -> None:
        """Raise :class:`PermissionDenied` unless ``actor`` holds ``permission``."""
        if not self.can(actor, permission):
            raise PermissionDenied(actor.username, permission, actor.roles)

    # -- users ---------------------------------------------------------------

    def add(self, username: str, *, roles: tuple[str, ...] | list[str] = (),
            password: str | None = None, display_name: str = "",
            member_id: int | None = None) -> User:
        """Create a login.  Without a password, :meth:`issue_activation` lets the person set one."""
        username = identifier(username, field="username", case="lower", max_length=64,
                              punctuation="._@-", spaces="refuse")
        display_name = clean_text(display_name, field="display_name", max_length=120)
        if not USERNAME_RE.match(username):
            raise ValidationError("use 2-64 lower-case letters, digits, . _ @ -",
                                  field="username")
        self._check_roles(roles)
        if User.select().where(User.username == username).exists():
            raise DuplicateError(f"user {username!r} already exists", field="username")
        return User.create(
            username=username, display_name=display_name or username,
            password_hash=(hash_password(password, context=(username, display_name))
                           if password else None),
            roles=",".join(sorted(set(roles))), member=member_id,
        )

    def _check_roles(self, roles) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValidationError(f"unknown role {sorted(unknown)[0]!r}; roles are "
                                  f"{', '.join(ROLES)}", field="roles")

    def get(self, username: str) -> User:
        """The user named ``username`` (raises ``NotFoundError``)."""
        user = User.get_or_none(User.username == _login_key(username))
        if user is None:
            raise NotFoundError("user", username)
        return user

    def trusted_actor(self, username: str, *, channel: str = "library") -> Actor:
        """The :class:`Actor` of an active user, WITHOUT any proof of identity.

        Only for code that is itself the operator and vouches for the person: a
        migration, the demo, a test, a program the cooperative runs.  The command
        line and the web never call it for people; they use
        :meth:`dyncrm.sessions.Sessions.resume` (or :meth:`authenticate`).
        """
        user = self.get(username)
        if not user.active:
            raise PermissionDenied(username, "act (the account is disabled)")
        return attrs.evolve(actor_of(user), channel=channel)

    actor = trusted_actor  # the name of the first release

    def set_roles(self, username: str, roles: tuple[str, ...] | list[str]) -> User:
        """Replace a user's roles."""
        self._check_roles(roles)
        user = self.get(username)
        user.roles = ",".join(sorted(set(roles)))
        user.save()
        return user

    def set_password(self, username: str, password: str) -> None:
        """Set a new password (argon2id), checked against the policy."""
        user = self.get(username)
        user.password_hash = hash_password(password, context=(user.username,
                                                              user.display_name))
        user.save()

    def change_password(self, username: str, current: str, new: str) -> None:
        """A person changes their own password, proving the current one first."""
        self.authenticate(username, current)
        self.set_password(username, new)

    def authenticate(self, username: str, password: str) -> Actor:
        """The actor for valid credentials; the same vague error for every failure.

        Throttling of repeated failures is the caller's: sign in through
        :meth:`dyncrm.sessions.Sessions.login`.
        """
        user = User.get_or_none(User.username == _login_key(username))
        if user is None or not user.active or not verify_password(user.password_hash, password):
            raise PermissionDenied(username, N_("log in (wrong user name or password)"))
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
            user.save()
        return actor_of(user)

    def set_active(self, username: str, active: bool, *, by: str) -> User:
        """Disable or enable a login; disabling ends its sessions at once."""
        user = self.get(username)
        user.active = active
        user.save()
        if not active:
            self.crm.sessions.revoke_user(username, by=by)
        return user

    def issue_activation(self, username: str, *, valid_days: int = 14) -> str:
        """A one-time code that lets the person choose a password; only its hash is kept."""
        return self._issue_code(username, dt.timedelta(days=valid_days))

    def issue_reset(self, username: str, *, by: str) -> str:
        """An administrator's password reset: the old password and sessions stop working.

        The person chooses a new password with the returned one-time code
        (``dyncrm user activate``) within ``auth.reset_code_hours``.
        """
        user = self.get(username)
        user.password_hash = None
        user.save()
        self.crm.sessions.revoke_user(username, by=by)
        return self._issue_code(username,
                                dt.timedelta(hours=self.crm.config.auth.reset_code_hours))

    def request_reset(self, username: str) -> tuple[str, int] | None:
        """A member's own "I forgot my password": a one-time code to choose a new one.

        Unlike :meth:`issue_reset` the old password keeps working until the code
        is used, so nobody can lock a member out by asking for their reset.
        Returns ``(code, member_id)`` for the caller to send to the member's own
        address, or ``None`` when there is nothing to send: no such account, a
        disabled or staff account, or a code sent less than five minutes ago.
        """
        user = User.get_or_none(User.username == username.strip().lower())
        if user is None or not user.active or user.member_id is None:
            return None
        hours = dt.timedelta(hours=self.crm.config.auth.reset_code_hours)
        expires = user.activation_expires_at
        if isinstance(expires, str):
            expires = dt.datetime.fromisoformat(expires)
        now = self.crm.sessions.clock()
        if (user.password_hash and user.activation_token_hash and expires is not None
                and expires - hours > now - dt.timedelta(minutes=5)):
            return None
        return self._issue_code(user.username, hours), user.member_id

    def _issue_code(self, username: str, valid_for: dt.timedelta) -> str:
        user = self.get(username)
        token = secrets.token_hex(16)  # hex: never starts with "-" on a command line
        user.activation_token_hash = _token_hash(token)
        user.activation_expires_at = self.crm.sessions.clock() + valid_for  # real time
        user.save()
        return token

    def activate(self, username: str, token: str, password: str) -> Actor:
        """Use a one-time activation or reset code to set the password; the code then dies."""
        user = self.get(username)
        expires = user.activation_expires_at
        if isinstance(expires, str):
            expires = dt.datetime.fromisoformat(expires)
        if (not user.activation_token_hash
                or not secrets.compare_digest(user.activation_token_hash, _token_hash(token))
                or expires is None or expires < self.crm.sessions.clock()):
            raise PermissionDenied(
                username, "activate (the code is invalid or expired, or was used already)")
        user.password_hash = hash_password(password, context=(user.username,
                                                              user.display_name))
        user.activation_token_hash = None
        user.activation_expires_at = None
        user.save()
        return actor_of(user)

    def list(self) -> list[User]:
        """Every user, by name."""
        return list(User.select().order_by(User.username))
