"""Receipts (dyncrm.receipts): issued in the money action, numbered gap-free, printed."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dyncrm.db.base import json_text
from dyncrm.db.receipts import Receipt
from dyncrm.errors import NotFoundError, PluginError, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.money import Money
from dyncrm.receipts import ReceiptKind, _line_head
from dyncrm.testing import active_member
from dyncrm.values import Actor

SYSTEM = Actor.operator()


class Shop:
    """A third-party plugin whose sales get receipts."""

    @hookimpl
    def dyncrm_receipt_kinds(self, crm):
        return [ReceiptKind("shop.sale", "Sale receipt", ("shop.sale",), "in")]


class Clash:
    @hookimpl
    def dyncrm_receipt_kinds(self, crm):
        return [ReceiptKind("clash.sale", "Another", ("shop.sale",), "in")]


def pdf_text(data: bytes) -> list[str]:
    """The text of every page of a PDF."""
    doc = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def sale(crm, member_id: int | None, amount=500, key: str | None = "s1", *,
         on: dt.date | None = None, fail: bool = False):
    """Post a sale of ``amount`` in its own action (raise after posting if ``fail``)."""
    with crm.action("shop.sale", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        sales = crm.ledger.open_account("income.sales", type="income")
        entry = crm.ledger.transfer(Money.of(amount, "IDR"), debit=cash, credit=sales,
                                    kind="shop.sale", actor="kasir", key=key, on=on,
                                    member_id=member_id, memo="three bags of rice",
                                    meta={"reference": "REF-1", "method": "cash"}).entry
        if fail:
            raise ValidationError("the till is closed")
    return entry


@pytest.fixture
def shop(make_crm):
    return make_crm(extra_plugins=[("shop", Shop())], clock=dt.date(2025, 3, 4),
                    organisation={"name": "Toko Koperasi", "currency": "IDR",
                                  "currency_exponent": 0, "locale": "en_GB",
                                  "timezone": "Asia/Jakarta"})


def test_hook_dyncrm_receipt_kinds(shop) -> None:
    member = active_member(shop, "Đặng Thị Ngọc")
    entry = sale(shop, member)
    receipt = shop.receipts.for_entry(entry.id)
    assert receipt.number == "R-2025-000001"
    assert receipt.kind == "shop.sale" and receipt.entry_id == entry.id
    assert receipt.member_id == member and receipt.amount == Money.of(500, "IDR")
    assert receipt.reference == "REF-1" and receipt.method == "cash"
    row = Receipt.get(Receipt.number == "R-2025-000001")
    assert (row.entry_id, row.member_id, row.amount, row.kind) == (entry.id, member, 500,
                                                                    "shop.sale")


def test_numbers_follow_on_without_gaps_and_a_rollback_uses_none(shop) -> None:
    member = active_member(shop)
    sale(shop, member, key="a")
    with pytest.raises(ValidationError):
        sale(shop, member, key="b", fail=True)
    assert Receipt.select().count() == 1
    sale(shop, member, key="c")
    assert [r.number for r in shop.receipts.list()] == ["R-2025-000002", "R-2025-000001"]


def test_a_replayed_entry_keeps_its_receipt(shop) -> None:
    member = active_member(shop)
    first = sale(shop, member, key="same")
    again = sale(shop, member, key="same")
    assert again.id == first.id
    assert Receipt.select().count() == 1
    assert shop.receipts.for_entry(first.id).number == "R-2025-000001"


def test_each_year_numbers_from_one(shop) -> None:
    member = active_member(shop)
    sale(shop, member, key="old", on=dt.date(2024, 12, 31))
    sale(shop, member, key="new")
    assert sorted(r.number for r in shop.receipts.list()) == ["R-2024-000001",
                                                              "R-2025-000001"]


def test_the_prefix_comes_from_the_configuration(make_crm) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop())], receipts={"prefix": "KW"})
    entry = sale(crm, active_member(crm))
    assert crm.receipts.for_entry(entry.id).number.startswith("KW-")


def test_reversals_and_undeclared_kinds_get_no_receipt(shop) -> None:
    entry = sale(shop, active_member(shop))
    with shop.action("undo", SYSTEM):
        reversal = shop.ledger.reverse(entry.id, actor="t").entry
    assert shop.receipts.for_entry(reversal.id) is None
    with shop.action("other", SYSTEM):
        cash = shop.ledger.open_account("cash", type="asset")
        bank = shop.ledger.open_account("bank", type="asset")
        other = shop.ledger.transfer(Money.of(9, "IDR"), debit=bank, credit=cash,
                                     kind="cash.to_bank", actor="t").entry
    assert shop.receipts.for_entry(other.id) is None
    with shop.action("explicit", SYSTEM):
        explicit = shop.receipts.issue(other.id, "shop.sale")
    assert explicit.entry_id == other.id and explicit.number == "R-2025-000002"


def test_issuing_outside_an_action_is_a_plugin_error(shop) -> None:
    entry = sale(shop, active_member(shop))
    with pytest.raises(PluginError, match=r"outside crm\.action"):
        shop.receipts.issue(entry.id, "shop.sale")


def test_two_kinds_claiming_one_entry_kind_is_a_plugin_error(make_crm) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop()), ("clash", Clash())])
    with pytest.raises(PluginError, match=r"shop\.sale"):
        crm.receipts.kinds()


def test_unknown_receipt_is_not_found(shop) -> None:
    with pytest.raises(NotFoundError, match=r"receipt 'R-2025-999999' not found"):
        shop.receipts.get("R-2025-999999")


def test_pdf_shows_the_receipt_and_a_copy_says_so(shop, tmp_path) -> None:
    entry = sale(shop, active_member(shop, "Đặng Thị Ngọc"))
    receipt = shop.receipts.for_entry(entry.id)
    original = " ".join(pdf_text(shop.receipts.pdf(receipt, copy=False)))
    assert "R-2025-000001" in original and "Đặng Thị Ngọc" in original
    assert "Rp 500" in original or "IDR 500" in original or "500" in original
    assert "COPY" not in original
    copy = " ".join(pdf_text(shop.receipts.pdf(receipt, copy=True)))
    assert "COPY" in copy
    path = shop.receipts.write_pdf(receipt, tmp_path / "out" / "r.pdf")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_deployment_overrides_the_receipt_template(make_crm, tmp_path) -> None:
    folder = tmp_path / "mine" / "receipts"
    folder.mkdir(parents=True)
    (folder / "receipt.html").write_text(
        "<h1>KWITANSI {{ receipt.number }}</h1>{% if copy %}<p>SALINAN</p>{% endif %}",
        encoding="utf-8")
    crm = make_crm(extra_plugins=[("shop", Shop())],
                   plugins={"template_dir": str(tmp_path / "mine")})
    entry = sale(crm, active_member(crm))
    html = crm.receipts.html(crm.receipts.for_entry(entry.id), copy=True)
    assert html.startswith("<h1>KWITANSI R-") and "SALINAN" in html


# -- concurrency: real processes on one SQLite file ---------------------------------

CONFIG = """
[organisation]
name = "Toko Koperasi"
currency = "IDR"
currency_exponent = 0
locale = "en_GB"
timezone = "Asia/Jakarta"

[database]
url = "{url}"
"""

WORKER = textwrap.dedent("""
    import sys
    from dyncrm.app import CRM
    from dyncrm.config import load_config
    from dyncrm.money import Money
    from dyncrm.values import Actor
    sys.path.insert(0, sys.argv[2])
    from test_receipts import Shop

    crm = CRM(load_config(sys.argv[1]), extra_plugins=(("shop", Shop()),))
    worker = sys.argv[3]
    for i in range(int(sys.argv[4])):
        with crm.action("shop.sale", Actor.operator()):
            cash = crm.ledger.open_account("cash", type="asset")
            sales = crm.ledger.open_account("income.sales", type="income")
            crm.ledger.transfer(Money.of(100 + i, "IDR"), debit=cash, credit=sales,
                                kind="shop.sale", actor="w", key=f"{worker}:{i}")
        # every worker also replays one of its keys: no second receipt
        with crm.action("shop.sale", Actor.operator()):
            crm.ledger.transfer(Money.of(100, "IDR"), debit=cash, credit=sales,
                                kind="shop.sale", actor="w", key=f"{worker}:0")
    crm.close()
""")


def run_workers(tmp_path: Path, url: str, workers: int = 4, each: int = 6) -> None:
    """``workers`` processes posting ``each`` sales (and a replay each) on ``url`` at once."""
    config = tmp_path / "dyncrm.toml"
    config.write_text(CONFIG.format(url=url), encoding="utf-8")
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    here = str(Path(__file__).parent)
    procs = [subprocess.Popen([sys.executable, str(script), str(config), here, f"w{n}",
                               str(each)], stderr=subprocess.PIPE, text=True)
             for n in range(workers)]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err


def assert_gap_free(count: int) -> None:
    seqs = sorted(r.seq for r in Receipt.select())
    assert seqs == list(range(1, count + 1))
    assert Receipt.select().count() == count  # one per entry, none for the replays
    assert len({r.entry_id for r in Receipt.select()}) == count


def test_numbers_are_gap_free_with_concurrent_processes(shop, tmp_path) -> None:
    run_workers(tmp_path, f"sqlite:///{tmp_path / 'crm.db'}")
    assert_gap_free(24)


def test_numbers_are_gap_free_on_postgresql(make_crm, pg_url, tmp_path) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop())], database_url=pg_url)
    member = active_member(crm)
    sale(crm, member, key="first")
    with pytest.raises(ValidationError):
        sale(crm, member, key="refused", fail=True)
    run_workers(tmp_path, pg_url)
    assert_gap_free(25)


def test_numbers_are_gap_free_on_mariadb(make_crm, mysql_url, tmp_path) -> None:
    crm = make_crm(extra_plugins=[("shop", Shop())], database_url=mysql_url)
    sale(crm, active_member(crm), key="first")
    run_workers(tmp_path, mysql_url, workers=3, each=4)
    assert_gap_free(13)


@given(legs=st.lists(st.tuples(st.text(), st.integers(-2**63, 2**63 - 1), st.text()),
                     min_size=1, max_size=4))
def test_receipt_lines_written_in_bulk_are_the_json_of_one_by_one(legs) -> None:
    """``issue_many`` writes a receipt's lines from per-account heads; the text is what
    the ``lines`` field (``json_text``) makes of the same lines, whatever the codes hold."""
    made = f"[{', '.join(f'{_line_head(a, c)}{u}}}' for a, u, c in legs)}]"
    assert made == json_text([{"account": a, "kind": a.split(":m", 1)[0], "units": u,
                               "commodity": c} for a, u, c in legs])
