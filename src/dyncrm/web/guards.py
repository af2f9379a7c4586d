"""Who is asking: the signed-in actor of a request, and the checks views make.

Every request resolves its actor from the sign-in cookie through
``crm.sessions.resume(token, channel="web")`` (the same sessions as the command
line, on the ``web`` channel), so a revoked, expired or disabled account stops
working on the next request.  Views then ask for what they need:

* :func:`signed_in` — anybody signed in (redirects to the sign-in page);
* :func:`member_only` — a signed-in member, with ``g.actor.member_id`` set;
* :func:`staff_only(permission) <staff_only>` — a person holding that permission.

The permission checked here is the one the library action checks again; the
guard only turns a refusal into a page instead of an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, url_for

from dyncrm.values import Actor

F = TypeVar("F", bound=Callable[..., Any])  #: a view function

COOKIE = "dyncrm_session"


def crm():
    """The deployment this portal serves (:class:`dyncrm.app.CRM`)."""
    return current_app.extensions["dyncrm"]


def actor() -> Actor | None:
    """The signed-in person of this request, or ``None``."""
    return g.get("actor")


def is_member(who: Actor | None) -> bool:
    """True for a member's own account (it is linked to a member)."""
    return who is not None and who.member_id is not None and "member" in who.roles


def can(permission: str) -> bool:
    """Whether the signed-in person holds ``permission``."""
    who = actor()
    return who is not None and crm().users.can(who, permission)


def _to_sign_in():
    return redirect(url_for("account.login", next=request.full_path.rstrip("?")))


def signed_in(view: F) -> F:
    """Let only signed-in people in; others go to the sign-in page and come back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if actor() is None:
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def member_only(view: F) -> F:
    """Let only a signed-in member in (403 for staff accounts)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        who = actor()
        if who is None:
            return _to_sign_in()
        if not is_member(who):
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def staff_only(permission: str) -> Callable[[F], F]:
    """Let in only people holding ``permission`` (the one the library action checks)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if actor() is None:
                return _to_sign_in()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def own_member_id() -> int:
    """The member id of the signed-in member (call only behind :func:`member_only`)."""
    who = actor()
    if who is None or who.member_id is None:
        abort(403)
    return who.member_id
