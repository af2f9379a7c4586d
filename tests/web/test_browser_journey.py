"""The whole way through the portal in a real browser, in Indonesian.

A visitor applies for membership; the secretary verifies and the chair approves;
the new member activates their login, deposits by transfer with a proof the
cashier verifies, applies for a loan the credit committee approves and the
treasurer disburses, files a complaint the secretary resolves and rates it, and
downloads their SHU slip.  Every person has their own browser.  Each main page
is checked with axe-core and at 360 px (see :func:`browser.check_page`).

The deployment's clock starts on 2 June 2025 and runs on from there, so the SHU
of 2025 can be closed at the end (in February 2026) with the member in it.
"""

from __future__ import annotations

import datetime as dt
import re

from browser import DESKTOP, check_page, live_portal
from portal import member_login

from dyncrm.db.models import utcnow
from dyncrm.testing import TEST_PASSWORD

MEMBER_PASSWORD = "Melati-Tiga-2025!"
APPLICANT = {"full_name": "Rina Kartika", "nik": "3275014508920003",
             "date_of_birth": "1992-08-05", "address": "Jl. Melati 3, Bekasi",
             "email": "rina@example.com", "mobile": "0812 9876 5432",
             "employee_number": "E-2001", "employment_start": "2015-01-05",
             "take_home_pay": "6.500.000"}


class MovingClock:
    """Real time shifted to a chosen start; :meth:`jump` moves it further on."""

    def __init__(self, start: dt.datetime) -> None:
        self.offset = start - utcnow()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def jump(self, to: dt.datetime) -> None:
        self.offset = to - utcnow()


def person(browser):
    """A browser of one's own (own cookies) at desktop size, in Indonesian."""
    return browser.new_context(viewport=DESKTOP, locale="id-ID").new_page()


def sign_in(page, base: str, username: str, password: str = TEST_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Masuk").click()


def submit(page, selector: str) -> None:
    """Click the button ``selector`` and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).click()


def proof_png(folder) -> str:
    """A small real PNG: a bank transfer slip, as a phone would photograph it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 310, 190), outline="navy", width=3)
    draw.text((24, 30), "BUKTI TRANSFER", fill="navy")
    draw.text((24, 70), "Rp 1.000.000", fill="black")
    draw.text((24, 110), "ke Koperasi XYZ", fill="black")
    path = folder / "bukti-transfer.png"
    image.save(path)
    return str(path)


def test_the_journey_of_a_member_and_the_staff(kop, browser, tmp_path):
    from dyncrm_expand import loans
    from koperasi_xyz.shu import service as shu

    clock = MovingClock(dt.datetime(2025, 6, 2, 2, 0))
    kop.set_clock(clock)
    try:
        with live_portal(kop) as base:
            visitor, secretary, chair = person(browser), person(browser), person(browser)
            cashier, treasurer = person(browser), person(browser)
            committee1, committee2 = person(browser), person(browser)

            # 1. a visitor applies online and lands on the status page
            visitor.goto(f"{base}/members/join")
            check_page(visitor, "join-form")
            for name, value in APPLICANT.items():
                visitor.locator(f"#f-{name}").fill(value)
            visitor.locator("#f-department").select_option("Keuangan")
            visitor.locator("#f-employment_status").select_option("permanent")
            submit(visitor, 'form[action$="/members/join"] button[type=submit]')
            assert "/members/join/status/" in visitor.url
            assert "Rina Kartika" in visitor.inner_text("main")
            check_page(visitor, "join-status")

            # 2. the secretary verifies it from the queue; the chair approves it
            sign_in(secretary, base, "sekretaris")
            secretary.goto(f"{base}/queue")
            link = secretary.get_by_role("link", name=re.compile("Rina Kartika"))
            assert link.count() == 1
            check_page(secretary, "staff-queue-applications")
            with secretary.expect_navigation():
                link.click()
            check_page(secretary, "application-verify")
            submit(secretary, 'form[action$="/verify"] button')
            application_url = secretary.url
            sign_in(chair, base, "ketua")
            chair.goto(application_url)
            check_page(chair, "application-approve")
            submit(chair, 'form[action$="/approve"] button')
            code = chair.locator("dl.pairs dd code").inner_text().strip()
            username = chair.locator("dl.pairs dd").nth(2).inner_text().strip()
            assert code and username
            check_page(chair, "application-approved")

            # 3. the new member chooses a password with the code and signs in
            member = visitor
            member.goto(f"{base}/activate")
            check_page(member, "activate")
            member.locator("#f-username").fill(username)
            member.locator("#f-code").fill(code)
            member.locator("#f-password").fill(MEMBER_PASSWORD)
            member.locator("#f-password2").fill(MEMBER_PASSWORD)
            submit(member, 'form[action$="/activate"] button')
            sign_in(member, base, username, MEMBER_PASSWORD)
            assert member.get_by_role("heading", level=1).inner_text() == "Dasbor saya"
            check_page(member, "member-dashboard-first")
            member_id = kop.users.get(username).member_id

            # 4. a deposit by transfer with a proof; the cashier verifies it
            member.goto(f"{base}/savings/deposit")
            member.locator("#f-product").select_option("sukarela")
            member.locator("#f-amount").fill("1.000.000")
            member.locator("#f-proof").set_input_files(proof_png(tmp_path))
            check_page(member, "savings-deposit")
            submit(member, 'form[action$="/savings/deposit"] button[type=submit]')
            assert "Menunggu verifikasi" in member.inner_text("main")
            sign_in(cashier, base, "kasir")
            cashier.goto(f"{base}/queue")
            check_page(cashier, "staff-queue-transfers")
            with cashier.expect_navigation():
                cashier.locator('a[href*="/savings/review/"]').first.click()
            proof = cashier.get_by_role("img", name="Bukti transfer")
            proof.wait_for()
            assert proof.evaluate("img => img.complete && img.naturalWidth") == 320
            check_page(cashier, "proof-review")
            submit(cashier, 'form[action$="/verify"] button')
            member.goto(f"{base}/savings/")
            text = member.inner_text("main")
            assert "Terverifikasi" in text and "Rp 1.000.000" in text
            check_page(member, "savings-overview")

            # 5. a loan: simulated and applied for, approved, disbursed, its schedule
            member.goto(f"{base}/loans/simulate")
            member.locator("#f-product").select_option("konsumtif")
            member.locator("#f-amount").fill("3.000.000")
            member.locator("#f-term").fill("12")
            submit(member, 'form[method="get"] button[type=submit]')
            member.locator("#f-purpose").fill("Biaya sekolah anak")
            check_page(member, "loan-simulate")
            submit(member, 'form[action$="/loans/apply"] button[type=submit]')
            (loan,) = loans.list_loans(kop, member_id=member_id)
            for who, committee in (("panitia1", committee1), ("panitia2", committee2)):
                if loans.get(kop, loan.id).stage != "submitted":
                    break
                sign_in(committee, base, who)
                committee.goto(f"{base}/queue")
                with committee.expect_navigation():
                    committee.locator(f'a[href$="/loans/decide/{loan.id}"]').first.click()
                check_page(committee, "loan-decide")
                if committee.locator("#f-override").count():
                    committee.locator("#f-override").fill("Gaji cukup, atasan menjamin")
                    submit(committee, 'button[name="decision"][value="override"]')
                else:
                    submit(committee, 'button[name="decision"][value="approve"]')
            assert loans.get(kop, loan.id).stage == "approved"
            sign_in(treasurer, base, "bendahara")
            treasurer.goto(f"{base}/queue")
            with treasurer.expect_navigation():
                treasurer.locator(f'a[href$="/loans/disburse/{loan.id}"]').first.click()
            treasurer.locator("#f-method").select_option("transfer")
            treasurer.locator("#f-reference").fill("TRF-0042")
            check_page(treasurer, "loan-disburse")
            submit(treasurer, f'form[action$="/loans/disburse/{loan.id}"] button')
            assert loans.get(kop, loan.id).stage == "disbursed"
            member.goto(f"{base}/loans/{loan.id}")
            schedule = member.inner_text("main")
            items = loans.installments(kop, loan.id)
            assert len(items) == 12 and kop.format_money(items[0].total) in schedule
            check_page(member, "loan-schedule")

            # 6. a complaint: filed, resolved by the secretary, rated
            member.goto(f"{base}/feedback/")
            member.locator("#f-kind").select_option("complaint")
            member.locator("#f-category").select_option("layanan")
            member.locator("#f-subject").fill("Antrian lama")
            member.locator("#f-text").fill("Antrian di kantor lebih dari satu jam.")
            check_page(member, "feedback-new")
            submit(member, 'form[action$="/feedback/"] button[type=submit]')
            number = member.url.rstrip("/").rsplit("/", 1)[-1]
            secretary.goto(f"{base}/queue")
            with secretary.expect_navigation():
                secretary.locator(f'a[href$="/feedback/handle/{number}"]').first.click()
            check_page(secretary, "feedback-handle")
            for action, message in (("acknowledge", ""), ("resolve", "Loket kedua dibuka.")):
                secretary.locator("#f-action").select_option(action)
                secretary.locator("#f-text").fill(message)
                submit(secretary, f'form[action$="/feedback/handle/{number}"] button')
            member.goto(f"{base}/feedback/{number}")
            assert "Loket kedua dibuka." in member.inner_text("main")
            member.locator("#f-rating").select_option("5")
            member.locator("#f-comment").fill("Cepat ditangani")
            check_page(member, "feedback-rate")
            submit(member, 'form[action$="/rate"] button')
            assert "5/5" in member.inner_text("main")

            # the member's other pages
            for path, name in (("/faq/", "faq"), ("/messages/", "messages"),
                               ("/members/me", "profile")):
                member.goto(f"{base}{path}")
                assert member.get_by_role("heading", level=1).count() == 1
                check_page(member, name)

            # 7. the year is over; the SHU of 2025 is closed and the member reads the slip
            clock.jump(dt.datetime(2026, 2, 10, 2, 0))
            cashier_actor = kop.users.trusted_actor("kasir")
            for item in loans.installments(kop, loan.id)[:6]:  # July to December 2025
                loans.repay(kop, cashier_actor, loan.id, item.total, method="cash",
                            reference=f"KW-{item.number}", on=item.due_on)
            treasurer_actor = kop.users.trusted_actor("bendahara")
            shu.enter_surplus(kop, 2025, kop.money("10000000"), treasurer_actor)
            shu.approve(kop, 2025, treasurer_actor)
            shu.approve(kop, 2025, kop.users.trusted_actor("ketua"))
            shu.post(kop, 2025, treasurer_actor)
            sign_in(member, base, username, MEMBER_PASSWORD)
            slip_link = member.get_by_role("link", name="Unduh slip SHU saya (PDF)")
            assert slip_link.count() == 1
            share = member.get_by_role("region", name="SHU").inner_text()
            assert "2025" in share, share
            check_page(member, "shu-card")
            slip = member.request.get(f"{base}/shu/slip/2025.pdf")
            assert slip.status == 200 and slip.body().startswith(b"%PDF")
            assert "attachment" in slip.headers["content-disposition"]
    finally:
        kop.set_clock(None)


def focus_link(page, name: str, limit: int = 60) -> None:
    """Press Tab until the link called ``name`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"no link {name!r} reached by Tab")


def test_the_menu_works_by_keyboard(kop, browser):
    _, username = member_login(kop, "Dewi Lestari")
    with live_portal(kop) as base:
        member, cashier = person(browser), person(browser)
        sign_in(member, base, username)
        for name, path in (("Simpanan saya", "/savings/"), ("Simulasi pinjaman",
                                                           "/loans/simulate")):
            member.goto(f"{base}/")
            focus_link(member, name)
            with member.expect_navigation():
                member.keyboard.press("Enter")
            assert member.url == f"{base}{path}"
        sign_in(cashier, base, "kasir")
        focus_link(cashier, "Antrian kerja")
        with cashier.expect_navigation():
            cashier.keyboard.press("Enter")
        assert cashier.url == f"{base}/queue"
        assert cashier.get_by_role("heading", level=1).inner_text() == "Antrian kerja"
