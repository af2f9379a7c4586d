"""The Koperasi XYZ deployment the portal's tests run against.

``kop`` is a fresh copy of a Koperasi XYZ deployment (its real ``dyncrm.toml``,
every plugin enabled, migrated SQLite file) with one login per staff role:

=============  ==================  =========================
user           role                person
=============  ==================  =========================
``ketua``      admin               the chair
``sekretaris`` secretary           the secretary
``bendahara``  treasurer           the treasurer
``kasir``      cashier             the cashier
``panitia1``   credit_committee    credit committee member
``panitia2``   credit_committee    credit committee member
=============  ==================  =========================

all with :data:`dyncrm.testing.TEST_PASSWORD`.  ``portal.member_login(crm, name)`` adds an
active member with a login of their own.  Built once per test session and copied
for each test, so every test starts from the same untouched deployment.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal import STAFF

from dyncrm.testing import TEST_PASSWORD


@pytest.fixture(scope="session")
def kop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from importlib.resources import files

    from dyncrm.app import open_crm

    folder = tmp_path_factory.mktemp("kop-template")
    text = (files("koperasi_xyz") / "dyncrm.toml").read_text(encoding="utf-8")
    text = text.replace("[auth]\n", "[auth]\nfailure_delay_seconds = 0\n", 1)
    (folder / "dyncrm.toml").write_text(text)
    with open_crm(folder / "dyncrm.toml") as crm:
        crm.upgrade()
        with crm.database.atomic():
            for user, role in STAFF.items():
                crm.users.add(user, roles=[role], password=TEST_PASSWORD)
    return folder


@pytest.fixture
def kop(kop_template: Path, tmp_path: Path) -> Iterator[Any]:
    """A CRM on a fresh copy of the Koperasi XYZ deployment (see the module docstring)."""
    from dyncrm.app import open_crm

    folder = tmp_path / "kop"
    shutil.copytree(kop_template, folder)
    crm = open_crm(folder / "dyncrm.toml")
    yield crm
    crm.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium under Playwright (skips without it, fails so under CI=true)."""
    import os

    from browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies) at desktop size."""
    from browser import DESKTOP

    context = browser.new_context(viewport=DESKTOP, locale="id-ID")
    yield context.new_page()
    context.close()
