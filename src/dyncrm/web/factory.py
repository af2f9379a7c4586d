"""``create_app``: the Flask application of one deployment.

One process serves one deployment with one :class:`~dyncrm.app.CRM`; peewee
keeps a connection per thread, opened when a request starts and closed when it
ends.  The core's own pages (signing in, the dashboards, the work queue) come
from :mod:`dyncrm.web.account` and :mod:`dyncrm.web.home`; every enabled plugin
adds its pages through ``dyncrm_web`` (see :mod:`dyncrm.web.extension`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from dyncrm.errors import (
    DatabaseBusy,
    DyncrmError,
    EnvironmentFault,
    NotFoundError,
    PermissionDenied,
)
from dyncrm.web import formatting, security
from dyncrm.web.extension import WebExtension
from dyncrm.web.guards import COOKIE

log = logging.getLogger(__name__)

HERE = Path(__file__).parent


def create_app(config: Any = None, *, crm: Any = None) -> Flask:
    """The portal for the deployment at ``config`` (a path; default ``./dyncrm.toml``).

    :param crm: an open :class:`~dyncrm.app.CRM` to serve instead (tests, embedding);
        the caller keeps it open while the application is used.
    """
    if crm is None:
        from dyncrm.app import open_crm

        crm = open_crm(config)
        crm.check_schema()
    settings = crm.config.web
    app = Flask("dyncrm.web", root_path=str(HERE), template_folder="templates",
                static_folder="static")
    app.config.update(
        SECRET_KEY=security.secret_key(settings.secret_key, crm.config.path),
        SESSION_COOKIE_NAME="dyncrm_form",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the browser session
        WTF_CSRF_SSL_STRICT=True,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.session_interface = security.CookieSessions()
    app.extensions["dyncrm"] = crm
    CSRFProtect(app)
    security.trust_proxies(app, settings.trusted_proxies)
    formatting.install(app.jinja_env, crm)
    app.jinja_env.undefined = __import__("jinja2").StrictUndefined

    from dyncrm.web import account, home, messages, nav

    app.register_blueprint(account.blueprint)
    app.register_blueprint(home.blueprint)
    extensions = [messages.EXTENSION, *_plugin_extensions(crm)]
    for extension in extensions:
        app.register_blueprint(extension.blueprint)
    app.extensions["dyncrm.web"] = extensions
    app.context_processor(nav.context)

    app.before_request(_open_request)
    app.teardown_request(_close_request)
    app.after_request(security.add_headers)
    _error_pages(app)
    return app


def _plugin_extensions(crm: Any) -> list[WebExtension]:
    """What every enabled plugin adds, checked for the right type (wrong: the plugin's fault)."""
    from dyncrm.errors import PluginError

    found: list[WebExtension] = []
    for plugin, result in _results_by_plugin(crm):
        if not isinstance(result, WebExtension):
            raise PluginError(f"returned {type(result).__name__}; this hook must return a "
                              "dyncrm.web.WebExtension or None (see 'dyncrm hooks')",
                              plugin=plugin, hook="dyncrm_web")
        found.append(result)
    return found


def _results_by_plugin(crm: Any) -> list[tuple[str, Any]]:
    results = []
    for impl in reversed(crm.pm.hook.dyncrm_web.get_hookimpls()):  # registration order
        result = impl.function(crm=crm)
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


def _open_request() -> None:
    crm = g.crm = _crm()
    crm.database.connect(reuse_if_open=True)
    g.actor = None
    token = request.cookies.get(COOKIE)
    if token:
        from dyncrm.sessions import SignInRequired

        try:
            g.actor = crm.sessions.resume(token, channel="web")
        except SignInRequired as exc:
            g.signed_out_because = str(exc)


def _close_request(exc: BaseException | None) -> None:
    crm = g.get("crm")
    if crm is not None and not crm.database.is_closed():
        crm.database.close()


def _crm() -> Any:
    from flask import current_app

    return current_app.extensions["dyncrm"]


def _error_pages(app: Flask) -> None:
    def page(status: int, message: str):
        return render_template("web/error.html", status=status, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        return page(400, _crm().t("The form had expired or did not come from this site. "
                                  "Go back, reload the page and send it again."))

    @app.errorhandler(PermissionDenied)
    def refused(exc: PermissionDenied):
        return page(403, str(exc))

    @app.errorhandler(NotFoundError)
    def missing(exc: NotFoundError):
        return page(404, str(exc))

    @app.errorhandler(DatabaseBusy)
    @app.errorhandler(EnvironmentFault)
    def environment(exc: EnvironmentFault):
        log.error("environment fault: %s", exc)
        return page(503, _crm().t("The service is unavailable for a moment; nothing was "
                                  "changed. Please try again in a few minutes."))

    @app.errorhandler(DyncrmError)
    def refused_input(exc: DyncrmError):
        return page(400, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        texts = {403: "You may not open this page.", 404: "This page does not exist.",
                 405: "This page cannot be used that way.",
                 413: "The file is too large."}
        message = _crm().t(texts.get(exc.code or 500, exc.description or "Error"))
        return page(exc.code or 500, message)
