"""Signing in and out of the portal, activating an account, and passwords.

The same accounts, sessions and throttling as ``dyncrm login`` (channel
``web``): five failures lock the account and the address for a while, and a
sign-in never says whether the user name or the password was wrong.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for

from dyncrm.errors import DyncrmError, PermissionDenied, ValidationError
from dyncrm.web.guards import COOKIE, actor, crm, signed_in

blueprint = Blueprint("account", __name__)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("home.index")


def _source() -> str:
    return request.remote_addr or "unknown"


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; on success a session cookie and back to where the person was going."""
    if request.method == "GET":
        return render_template("web/login.html", username="", error=None,
                               next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    from dyncrm.sessions import SignInLocked

    try:
        done = crm().sessions.login(username, password, channel="web", source=_source(),
                                    label=request.headers.get("User-Agent", "")[:200])
    except SignInLocked as exc:
        return render_template("web/login.html", username=username, error=str(exc),
                               next=target), 429
    except (PermissionDenied, ValidationError):
        error = crm().t("The user name or password is wrong.")
        return render_template("web/login.html", username=username, error=error,
                               next=target), 401
    response = redirect(_safe_next(target))
    response.set_cookie(COOKIE, done.token, httponly=True, samesite="Lax",
                        secure=request.is_secure, path="/")
    return response


@blueprint.route("/logout", methods=["POST"])
def logout():
    """End the session on the server and forget the cookie."""
    token = request.cookies.get(COOKIE)
    if token:
        crm().sessions.logout(token)
    response = redirect(url_for("home.index"))
    response.delete_cookie(COOKIE, path="/")
    return response


@blueprint.route("/activate", methods=["GET", "POST"])
def activate():
    """Choose a password with the one-time code from the cooperative (new account or reset)."""
    values = {"username": request.values.get("username", ""), "code": ""}
    if request.method == "GET":
        return render_template("web/activate.html", values=values, errors={})
    values["code"] = request.form.get("code", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if password != request.form.get("password2", ""):
        errors["password2"] = crm().t("The two passwords are not the same.")
    else:
        try:
            with crm().database.atomic():
                crm().users.activate(values["username"], values["code"], password)
                crm().sessions.revoke_user(values["username"].strip().lower(),
                                           by="password set with a one-time code")
        except ValidationError as exc:
            errors["password"] = str(exc)
        except (PermissionDenied, DyncrmError):
            errors["code"] = crm().t("The code is wrong, expired or already used.")
    if errors:
        return render_template("web/activate.html", values=values, errors=errors), 400
    return render_template("web/message.html", title=crm().t("Password set"),
                           message=crm().t("Your password is set. You can sign in now."),
                           link=url_for("account.login"), link_text=crm().t("Sign in"))


@blueprint.route("/forgot", methods=["GET", "POST"])
def forgot():
    """A member asks for a one-time code to choose a new password; it goes to their address."""
    if request.method == "GET":
        return render_template("web/forgot.html")
    username = request.form.get("username", "")
    c = crm()
    with c.database.atomic():
        issued = c.users.request_reset(username)
        if issued is not None:
            code, member_id = issued
            c.notify_member(member_id, "messages/password_reset.txt", kind="auth.reset",
                            username=username.strip().lower(), code=code,
                            link=url_for("account.activate", username=username.strip().lower(),
                                         _external=True))
    # the same answer either way: the form must not tell who has an account
    return render_template("web/message.html", title=crm().t("Check your messages"),
                           message=crm().t("If the account exists, a code to choose a new "
                                           "password was sent to its e-mail or phone."),
                           link=url_for("account.activate", username=username.strip()),
                           link_text=crm().t("I have the code"))


@blueprint.route("/password", methods=["GET", "POST"])
@signed_in
def password():
    """Change one's own password (the current one is asked again)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        new = request.form.get("new", "")
        if new != request.form.get("new2", ""):
            errors["new2"] = crm().t("The two passwords are not the same.")
        else:
            try:
                crm().users.change_password(actor().username, request.form.get("current", ""),
                                            new)
            except PermissionDenied:
                errors["current"] = crm().t("The current password is wrong.")
            except ValidationError as exc:
                errors["new"] = str(exc)
        if not errors:
            return render_template("web/message.html", title=crm().t("Password changed"),
                                   message=crm().t("Your password is changed."),
                                   link=url_for("home.index"), link_text=crm().t("Home"))
    return render_template("web/password.html", errors=errors), (400 if errors else 200)
