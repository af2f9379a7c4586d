"""Every Indonesian template renders, and overrides the generic one of the same name."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as NS

import pytest

from dyncrm.money import Money
from koperasi_xyz import templates_dir

ENABLED = ["acquire.registration", "acquire.promotion", "retain.feedback", "retain.reminders",
           "expand.savings", "expand.loans", "expand.rewards", "expand.deactivation",
           "koperasi_xyz.shu", "koperasi_xyz.reminders"]
NAMES = sorted(str(p.relative_to(templates_dir())) for p in templates_dir().rglob("*.txt")
               if not p.name.startswith("_"))


def rp(n: int) -> Money:
    return Money.of(n, "IDR")


def context() -> dict:
    day = dt.date(2026, 3, 25)
    member = NS(id=1, name="Andi Wijaya", number="XYZ-2026-00001", joined_on=day)
    item = NS(kind="x", key="k", due_on=day, amount=rp(280_000),
              context={"installment": 2, "term": 12, "loan_id": 7,
                       "product_name": "Pinjaman Konsumtif", "month": "2026-03",
                       "payday": "2026-03-25", "members": 3, "product": "wajib"})
    settlement = NS(lines=[NS(label="Simpanan pokok", amount=rp(100_000))], total=rp(100_000))
    ticket = NS(kind="complaint", number="KS-2026-00001", subject="Potongan ganda",
                anonymous=False, submitted_on=day, ack_due_on=day, resolve_due_on=day,
                category="pinjaman", assignee=None, stage="in_progress")
    loan = NS(id=7, product_name="Pinjaman Konsumtif", amount=rp(3_000_000), term=12,
              decision_reason="plafon", disbursed_on=day, principal=rp(3_000_000))
    return dict(
        member=member, item=item, offset=3, days=3, due_on=day, amount=rp(50_000),
        description="Simpanan wajib", application=NS(id=12), reason="KTP kurang jelas",
        promotion=NS(id=1, title="Promo", ends_on=day), body="Isi promosi", username="andi",
        token="ABC", link="", request=NS(id=3, approved_on=day, payout_on=day,
                                          cancelled_on=day, cancel_reason="batal",
                                          paid_on=day, payout_reference="TRF-9",
                                          requested_on=day, settlement_total=rp(100_000)),
        settlement=settlement, loan=loan, decision="approved", paid_out=rp(2_970_000),
        fees=[("provisi", rp(30_000))], installment=rp(280_000), first_due=day,
        payment=NS(amount=rp(280_000), on=day, reference="P-1", penalty=rp(5_600),
                   interest=rp(30_000), principal=rp(250_000), overpayment=rp(0)),
        closed=False, redemption=NS(points=150, quantity=1, item_name="Payung", on=day,
                                    reference="R-1"),
        balance=Money.of(350, "POINTS"), product_name="Simpanan Wajib",
        deposit=NS(amount=rp(50_000), on=day, reference="D-1", reject_reason="buram"),
        withdrawal=NS(amount=rp(50_000), on=day, reference="W-1", balance_after=rp(10_000)),
        ticket=ticket, text="Sudah kami perbaiki.", year=2025, share=rp(123_456),
        jasa_modal=rp(23_456), jasa_usaha=rp(100_000), to_savings=True, code="0a1b2c",
    )


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_in_indonesian(make_crm, name: str) -> None:
    crm = make_crm(enabled=ENABLED)
    subject, body = crm.render_message(name, **context())
    assert subject or name.startswith("messages/base"), name
    text = subject + body
    assert "Dear" not in text and "{{" not in text
    assert crm.templates.get_template(name).filename.startswith(str(templates_dir()))


def test_feedback_kind_is_translated(make_crm) -> None:
    crm = make_crm(enabled=ENABLED)
    subject, _ = crm.render_message("feedback/received.txt", **context())
    assert subject == "Pengaduan KS-2026-00001 telah kami terima"


def test_indonesian_templates_win_whatever_the_order_of_enabled(make_crm) -> None:
    """The deployment registers its folder with tryfirst: listing it first changes nothing."""
    reordered = [n for n in ENABLED if n.startswith("koperasi_xyz")] + \
        [n for n in ENABLED if not n.startswith("koperasi_xyz")]
    crm = make_crm(enabled=reordered)
    for name in NAMES:
        assert crm.templates.get_template(name).filename.startswith(str(templates_dir())), name


def test_indonesian_catalogue_is_consistent_and_used(make_crm) -> None:
    """Every translation keeps its placeholders; loan reasons reach members in Indonesian."""
    from dyncrm.i18n import check_catalogue
    from koperasi_xyz.translations import INDONESIAN

    assert check_catalogue(INDONESIAN) == []
    crm = make_crm(enabled=ENABLED)
    assert crm.t("the member joined {months} months ago; the product needs {needed}",
                 months=1, needed=3) == \
        "anggota baru bergabung 1 bulan; produk ini mensyaratkan 3 bulan keanggotaan"


def test_catalogue_ids_are_sentences_the_plugins_really_write() -> None:
    """A message id that no plugin writes any more is a translation nobody will see."""
    from pathlib import Path

    from koperasi_xyz.translations import INDONESIAN

    root = Path(__file__).resolve().parents[2]
    # the catalogue translates the core's, the bundled plugins' and Koperasi XYZ's sentences
    source = " ".join(" ".join(p.read_text(encoding="utf-8").split())
                      for folder in ("src", "plugins", "examples")
                      for p in (root / folder).rglob("*.py"))
    source = source.replace('" "', "")  # join implicitly concatenated string literals
    stale = [msgid for msgid in INDONESIAN if msgid not in source]
    assert not stale, stale


@pytest.mark.parametrize("plugin", ["koperasi_xyz.shu", "koperasi_xyz.payroll",
                                    "koperasi_xyz.reports", "koperasi_xyz.reminders"])
def test_each_koperasi_plugin_brings_the_filters_its_templates_use(make_crm, plugin) -> None:
    """The shared template folder uses `bulan`; any one koperasi plugin must provide it."""
    enabled = ["acquire.registration", "retain.reminders", "expand.savings", "expand.loans",
               plugin]
    crm = make_crm(enabled=enabled)
    subject, body = crm.render_message("reminders/savings.wajib.txt", **context())
    assert "Maret 2026" in subject + body
