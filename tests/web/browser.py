"""A real browser on the portal: Debian's chromium driven by Playwright, and axe-core.

``live_portal(crm)`` serves the portal of ``crm`` on waitress in a thread on a
free loopback port (a real HTTP server); the ``browser`` fixture (in conftest.py)
is Debian's ``/usr/bin/chromium`` started by Playwright with ``executable_path``
— never a browser downloaded at run time.  Without chromium the browser tests
skip, except under ``CI=true`` where they fail (``.ci/run`` installs it).

:func:`check_page` runs axe-core (bundled with ``axe-playwright-python``) and
fails on any serious or critical violation, then saves a screenshot at desktop
and at 360 px width into ``artifacts/screenshots/`` (or ``$DYNCRM_ARTIFACTS``)
and checks that nothing is wider than the phone's screen.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("DYNCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def artifacts() -> Path:
    """Where screenshots go (kept by CI as the run's artifacts)."""
    folder = Path(os.environ.get("DYNCRM_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def live_portal(crm: Any) -> Iterator[str]:
    """Serve the portal of ``crm`` on a free loopback port; yields its base URL."""
    import waitress.server

    from dyncrm.web import create_app

    server = waitress.server.create_server(create_app(crm=crm), host="127.0.0.1", port=0,
                                           threads=4, ident="dyncrm")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def check_page(page: Any, name: str) -> None:
    """Accessibility and a 360 px layout for the page now shown; screenshots of both sizes."""
    problems = serious_violations(page)
    assert not problems, f"{name}: " + "\n".join(problems)
    page.screenshot(path=str(artifacts() / f"{name}-desktop.png"), full_page=True)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"], f"{name}: {overflow}px wide on a 360 px phone"
        assert not serious_violations(page), f"{name} at 360 px"
        page.screenshot(path=str(artifacts() / f"{name}-phone.png"), full_page=True)
    finally:
        page.set_viewport_size(size or DESKTOP)
