"""The portal in a real browser: signing in, the dashboards, accessibility and phones.

Each page is checked with axe-core (no serious or critical violation) and at
360 px width (nothing wider than the screen), and photographed at both sizes into
``artifacts/screenshots/``.
"""

from __future__ import annotations

from browser import check_page, live_portal
from portal import member_login

from dyncrm.testing import TEST_PASSWORD


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Masuk").click()


def test_welcome_and_sign_in_pages(kop, page):
    with live_portal(kop) as base:
        page.goto(base)
        assert page.get_by_role("heading", level=1).inner_text().startswith("Selamat datang")
        check_page(page, "welcome")
        page.goto(f"{base}/login")
        check_page(page, "login")
        page.get_by_label("Nama pengguna").fill("kasir")
        page.get_by_label("Kata sandi").fill("salah sekali")
        page.get_by_role("button", name="Masuk").click()
        assert "Nama pengguna atau kata sandi salah." in page.inner_text("main")
        check_page(page, "login-error")


def test_staff_sign_in_reaches_the_dashboard_and_the_queue(kop, page):
    with live_portal(kop) as base:
        sign_in(page, base, "bendahara")
        assert page.get_by_role("heading", level=1).inner_text() == "Dasbor"
        check_page(page, "staff-dashboard")
        page.get_by_role("link", name="Antrian kerja").click()
        check_page(page, "staff-queue")
        page.get_by_role("button", name="Keluar").click()
        page.goto(f"{base}/queue")
        assert "/login" in page.url


def test_member_dashboard_and_keyboard_sign_in(kop, page):
    _, username = member_login(kop, "Dewi Lestari")
    with live_portal(kop) as base:
        page.goto(f"{base}/login")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.textContent") == "Langsung ke isi"
        page.get_by_label("Nama pengguna").fill(username)
        page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Dasbor saya"
        check_page(page, "member-dashboard")


def test_the_loan_simulation_follows_the_amount_as_it_is_typed(kop, page):
    """Progressive enhancement: with JavaScript the schedule appears without the button."""
    _, username = member_login(kop, "Dewi Lestari")
    with live_portal(kop) as base:
        sign_in(page, base, username)
        page.goto(f"{base}/loans/simulate")
        assert page.locator("#simulation h2").count() == 0
        page.fill("#f-amount", "3000000")
        page.fill("#f-term", "12")
        page.locator("#simulation h2").first.wait_for(timeout=10_000)
        assert page.url.endswith("/loans/simulate")  # no page load: the region was updated
        assert page.locator("#simulation table").count() >= 1
        check_page(page, "loan-simulate-live")


def test_pages_load_no_script_but_the_portals_own(kop, page):
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    with live_portal(kop) as base:
        page.goto(f"{base}/login")
        assert scripts == [f"{base}/static/dyncrm.js"]


def test_on_a_phone_the_menu_folds_behind_its_button(kop, browser):
    from browser import PHONE

    _, username = member_login(kop, "Dewi Lestari")
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    phone = context.new_page()
    try:
        with live_portal(kop) as base:
            sign_in(phone, base, username)
            savings = phone.get_by_role("link", name="Simpanan saya")
            assert not savings.is_visible()
            phone.get_by_text("Menu", exact=True).click()
            assert savings.is_visible()
            with phone.expect_navigation():
                savings.click()
            assert phone.url.endswith("/savings/")
    finally:
        context.close()
