"""The portal's protections that do not depend on a page.

* **Secret key** for signed cookies: ``[web] secret_key``, else a random key made
  once in ``web-secret`` beside the config file, readable by its owner only.
* **Cookies** are ``HttpOnly`` and ``SameSite=Lax`` always, and ``Secure``
  whenever the request came over HTTPS (directly, or as a trusted reverse proxy
  says with ``X-Forwarded-Proto``; see ``[web] trusted_proxies``).
* **Headers** on every response: a Content-Security-Policy that allows no inline
  script and no script from elsewhere, ``nosniff``, no framing, no referrer to
  other sites, and HSTS over HTTPS.
* **CSRF**: every POST carries a token (Flask-WTF's ``CSRFProtect``), checked
  before the view runs.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from dyncrm.files import deployment_secret

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secret_key(configured: str, config_path: Path | None) -> str:
    """The key that signs cookies: the configured one, else one kept beside the config."""
    if configured:
        if len(configured) < 32:
            from dyncrm.errors import ConfigError

            raise ConfigError("is too short to sign cookies safely", path=config_path,
                              key="web.secret_key", expected="at least 32 characters",
                              found=f"{len(configured)} characters")
        return configured
    if config_path is None:
        return secrets.token_urlsafe(48)  # a CRM built in code: cookies live as long as it
    return deployment_secret(config_path, "web-secret")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, ``Secure`` whenever the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def add_headers(response):
    """Set the security headers on a response (``after_request``)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def trust_proxies(app: Flask, count: int) -> None:
    """Believe ``X-Forwarded-*`` from ``count`` reverse proxies (none when 0)."""
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore[method-assign]
                                x_host=count, x_prefix=count)
