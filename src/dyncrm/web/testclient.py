"""A Flask test client that signs in and sends CSRF tokens like a browser.

``WebClient(app)`` wraps ``app.test_client()``: :meth:`WebClient.sign_in` goes
through the real sign-in form, and :meth:`WebClient.post` adds the CSRF token
of the client's browser session to every form, as the page's hidden field would.
:meth:`WebClient.post_without_csrf` sends a form as a forged cross-site request
would.  Exported by :mod:`dyncrm.testing` as ``web_client``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A browser-like client of the portal (keeps cookies between requests)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self._token: str | None = None

    def csrf_token(self) -> str:
        """The CSRF token of this client's session, read from a real page."""
        if self._token is None:
            page = self.client.get("/login").get_data(as_text=True)
            found = TOKEN.search(page)
            if found is None:
                raise AssertionError("the sign-in page has no CSRF field")
            self._token = found.group(1)
        return self._token

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        """GET ``url``."""
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form to ``url`` with this session's CSRF token."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=form, **kwargs)

    def post_without_csrf(self, url: str, data: dict[str, Any] | None = None) -> TestResponse:
        """POST a form with no token, as a forged request from another site would."""
        return self.client.post(url, data=dict(data or {}))

    def sign_in(self, username: str, password: str) -> TestResponse:
        """Sign in through the form; raises if the portal refused."""
        response = self.post("/login", {"username": username, "password": password})
        if response.status_code != 302:
            raise AssertionError(f"sign-in of {username!r} refused: {response.status_code}")
        return response

    def sign_out(self) -> TestResponse:
        """Sign out through the form."""
        return self.post("/logout")
