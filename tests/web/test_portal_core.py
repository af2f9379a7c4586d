"""The portal's own pages: signing in and out, passwords, headers, CSRF, plugin pages.

Every test runs the real Flask application on a real SQLite deployment through
a browser-like client (:func:`dyncrm.testing.web_client`).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Blueprint

from dyncrm import hookimpl
from dyncrm.errors import PluginError
from dyncrm.testing import TEST_PASSWORD, active_member, messages_for, staff, web_client
from dyncrm.web import MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.guards import COOKIE, staff_only
from dyncrm.web.security import CSP

DYNCRM = str(Path(sys.executable).with_name("dyncrm"))


@pytest.fixture
def crm(make_crm):
    return make_crm(auth={"failure_delay_seconds": 0, "max_failures": 3})


def cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))


def test_every_page_carries_the_security_headers(crm):
    response = web_client(crm).get("/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # plain http


def test_sign_in_sets_an_httponly_lax_cookie_and_opens_a_web_session(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    response = client.sign_in("sekar", TEST_PASSWORD)
    header = cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header
    assert [s.channel for s in crm.sessions.list("sekar")] == ["web"]
    assert client.get("/queue").status_code == 200


def test_the_cookie_is_secure_over_https(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    client.client = client.app.test_client()
    page = client.client.get("/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.client.post("/login", base_url="https://localhost",
                                  headers={"Referer": "https://localhost/login"},
                                  data={"username": "sekar", "password": TEST_PASSWORD,
                                        "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in cookie_header(response)
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    wrong = client.post("/login", {"username": "sekar", "password": "nope"})
    unknown = client.post("/login", {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "The user name or password is wrong." in wrong.get_data(as_text=True)
    assert "The user name or password is wrong." in unknown.get_data(as_text=True)


def test_repeated_failures_lock_the_account_as_on_the_command_line(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    for _ in range(3):
        client.post("/login", {"username": "sekar", "password": "nope"})
    locked = client.post("/login", {"username": "sekar", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert COOKIE not in locked.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_after_sign_in_only_pages_of_this_site_are_followed(crm, target):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    response = client.post("/login", {"username": "sekar", "password": TEST_PASSWORD,
                                      "next": target})
    assert response.headers["Location"] == "/"


def test_sign_in_comes_back_to_the_page_asked_for(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    first = client.get("/queue")
    assert first.status_code == 302 and "next=/queue" in first.headers["Location"]
    response = client.post("/login", {"username": "sekar", "password": TEST_PASSWORD,
                                      "next": "/queue"})
    assert response.headers["Location"] == "/queue"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm)
    response = client.post_without_csrf("/login", {"username": "sekar",
                                                   "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert crm.sessions.list("sekar") == []
    forged = client.post("/login", {"username": "sekar", "password": TEST_PASSWORD,
                                    "csrf_token": "forged"})
    assert forged.status_code == 400


def test_sign_out_ends_the_session_on_the_server(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm, "sekar")
    token = client.client.get_cookie(COOKIE).value
    client.sign_out()
    assert client.get("/queue").status_code == 302
    stolen = web_client(crm)
    stolen.client.set_cookie(COOKIE, token)
    assert stolen.get("/queue").status_code == 302  # the old cookie opens nothing


def test_a_revoked_or_disabled_account_stops_at_the_next_request(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm, "sekar")
    with crm.database.atomic():
        crm.users.set_active("sekar", False, by="admin")
    response = client.get("/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forgot_password_sends_a_code_and_keeps_the_old_password_until_it_is_used(crm):
    member = active_member(crm, email="siti@example.org")
    staff(crm, "siti", "member", member_id=member)
    client = web_client(crm)
    answer = client.post("/forgot", {"username": "siti"}).get_data(as_text=True)
    nobody = client.post("/forgot", {"username": "nobody"}).get_data(as_text=True)
    assert answer == nobody.replace("nobody", "siti")  # it does not tell who has an account
    [message] = messages_for(crm, member, kind="auth.reset")
    code = message.body.split("one-time code is:")[1].split()[0]
    crm.users.authenticate("siti", TEST_PASSWORD)  # still works: a request locks nobody out
    other = web_client(crm, "siti")
    new = "a brand new passphrase 7"
    response = client.post("/activate", {"username": "siti", "code": code, "password": new,
                                         "password2": new})
    assert response.status_code == 200
    crm.users.authenticate("siti", new)
    assert other.get("/").get_data(as_text=True).count("My dashboard") == 0  # signed out
    again = client.post("/activate", {"username": "siti", "code": code, "password": new,
                                      "password2": new})
    assert again.status_code == 400  # one use only


def test_a_second_request_within_five_minutes_sends_no_second_code(crm):
    member = active_member(crm, email="siti@example.org")
    staff(crm, "siti", "member", member_id=member)
    client = web_client(crm)
    client.post("/forgot", {"username": "siti"})
    client.post("/forgot", {"username": "siti"})
    assert len(messages_for(crm, member, kind="auth.reset")) == 1


def test_staff_accounts_are_not_reset_from_the_web(crm):
    staff(crm, "sekar", "secretary")
    web_client(crm).post("/forgot", {"username": "sekar"})
    crm.users.authenticate("sekar", TEST_PASSWORD)
    assert crm.users.get("sekar").activation_token_hash is None


def test_changing_the_password_asks_for_the_current_one(crm):
    staff(crm, "sekar", "secretary")
    client = web_client(crm, "sekar")
    wrong = client.post("/password", {"current": "nope", "new": "x" * 20, "new2": "x" * 20})
    assert wrong.status_code == 400
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    weak = client.post("/password", {"current": TEST_PASSWORD, "new": "password",
                                     "new2": "password"})
    assert weak.status_code == 400
    good = "seven purple lanterns drift 9"
    assert client.post("/password", {"current": TEST_PASSWORD, "new": good,
                                     "new2": good}).status_code == 200
    crm.users.authenticate("sekar", good)


# --- pages from plugins -----------------------------------------------------------------

noticeboard = Blueprint("noticeboard", __name__, url_prefix="/notices")


@noticeboard.route("/")
@staff_only("audit.view")
def notices():
    return "<h1>notices</h1>"


class NoticePlugin:
    """A plugin object adding one staff page, a menu entry and a queue of work."""

    @hookimpl
    def dyncrm_web(self, crm):
        return WebExtension(
            blueprint=noticeboard,
            menu=[MenuEntry("Notices", "noticeboard.notices", "staff",
                            permission="audit.view")],
            queue=[QueueSource("Notices to read", "audit.view",
                               lambda crm, actor: [QueueItem("Pinned notice", "/notices/")])])


class BrokenWebPlugin:
    @hookimpl
    def dyncrm_web(self, crm):
        return noticeboard  # a bare blueprint, not a WebExtension


def test_hook_dyncrm_web(make_crm):
    """A plugin adds a page, a menu entry and work, shown only to those allowed."""
    crm = make_crm(extra_plugins=[("noticeboard", NoticePlugin())])
    staff(crm, "sekar", "treasurer")
    staff(crm, "kasir", "cashier")
    secretary = web_client(crm, "sekar")
    assert secretary.get("/notices/").status_code == 200
    assert 'href="/notices/"' in secretary.get("/").get_data(as_text=True)
    assert "Pinned notice" in secretary.get("/queue").get_data(as_text=True)
    cashier = web_client(crm, "kasir")
    assert cashier.get("/notices/").status_code == 403
    assert 'href="/notices/"' not in cashier.get("/").get_data(as_text=True)
    assert "Pinned notice" not in cashier.get("/queue").get_data(as_text=True)


def test_without_the_plugin_its_pages_do_not_exist(crm):
    staff(crm, "sekar", "secretary")
    assert web_client(crm, "sekar").get("/notices/").status_code == 404


def test_a_plugin_returning_the_wrong_type_is_named(make_crm):
    crm = make_crm(extra_plugins=[("broken_web", BrokenWebPlugin())])
    with pytest.raises(PluginError) as caught:
        web_client(crm)
    assert "dyncrm_web" in str(caught.value) and "WebExtension" in str(caught.value)


# --- dyncrm serve -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dyncrm_serve_serves_the_portal_on_waitress(tmp_path: Path):
    root = tmp_path / "kop"
    subprocess.run([DYNCRM, "init", str(root), "--from",
                    "koperasi_xyz"], check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([DYNCRM, "-c", str(root / "dyncrm.toml"),
                               "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        body = headers = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body, headers = r.read().decode(), r.headers
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, server.stderr.read1().decode() if server.poll() else "no answer"
        assert "Koperasi Karyawan XYZ" in body and '<html lang="id">' in body
        assert headers["Server"] == "dyncrm"
        assert (root / "web-secret").stat().st_mode & 0o077 == 0  # the cookie key is private
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_command_line_never_loads_flask(tmp_path: Path):
    """Plugins name their pages (PluginSpec(web=...)); the portal's code loads with the portal."""
    import textwrap

    script = textwrap.dedent("""
        import sys
        from dyncrm.plugins import get_plugin_manager, installed_plugins
        manager = get_plugin_manager(sorted(installed_plugins()))
        assert manager.hook.dyncrm_web.get_hookimpls(), "no plugin offers pages"
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug"))
        print(loaded)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
