"""The web portal: members serve themselves, staff work from one queue.

:func:`create_app` builds the Flask application of a deployment; ``dyncrm
serve`` runs it on waitress.  The core brings signing in, the dashboards and the
work queue; every enabled plugin brings its own pages through the ``dyncrm_web``
hook, returning a :class:`~dyncrm.web.extension.WebExtension` (a blueprint, menu entries, dashboard
cards, work-queue sources).  Views call the same library functions as the
command line; :mod:`dyncrm.web.guards` checks who may open a page.
"""

from __future__ import annotations

from dyncrm.web.extension import Card, MenuEntry, QueueItem, QueueSource, WebExtension
from dyncrm.web.factory import create_app

__all__ = ["Card", "MenuEntry", "QueueItem", "QueueSource", "WebExtension", "create_app"]
