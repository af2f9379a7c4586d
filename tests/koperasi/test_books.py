"""The treasurer's books on Koperasi XYZ's chart: neraca, PHU, changes in equity, ledger views.

A small cooperative's 2025 and early 2026, posted through the plugins: pokok and
wajib deposits, sukarela in and out, a loan disbursed with a 1% provisi and
repaid with jasa, the 2025 SHU entered, approved and posted.  The neraca must
balance to the rupiah on every date, the PHU's result must be the change in the
result line, and every account kind in use must be on the chart.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from importlib.resources import files

import pytest
from kxyz_helpers import AFTER_RAT, shu_settings
from kxyz_helpers import quick_staff as staff
from pdfs import pdf_text

from dyncrm.books import chart as chart_mod
from dyncrm.books import journal, render
from dyncrm.books import statements as st
from dyncrm.db.models import Account, Member
from dyncrm.errors import NotFoundError
from dyncrm.money import Money
from dyncrm.values import Actor

LOANS = {"products": {"konsumtif": {
    "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
    "term_min": 1, "term_max": 36, "due_day": 25,
    "fees": [{"name": "provisi", "percent": "1", "mode": "deducted"}]}}}
ENABLED = ["expand.savings", "expand.loans", "koperasi_xyz.shu", "koperasi_xyz.reports",
           "acquire.registration"]


def idr(n) -> Money:
    return Money.of(n, "IDR")


def kxyz_books() -> dict:
    """The [books] chart of examples/koperasi_xyz/dyncrm.toml."""
    return tomllib.loads((files("koperasi_xyz") / "dyncrm.toml").read_text("utf-8"))["books"]


def member(crm, number: str, name: str, joined: dt.date) -> int:
    with crm.action("seed", Actor.operator()):
        return Member.create(number=number, name=name, stage="active", joined_on=joined,
                             email=f"{number.lower()}@xyz.co.id").id


@pytest.fixture
def coop(make_crm):
    """The cooperative: returns (crm, people, members, loan id)."""
    from dyncrm_expand import loans, savings
    from koperasi_xyz.shu import service as shu

    crm = make_crm(enabled=ENABLED, clock=lambda: AFTER_RAT, books=kxyz_books(),
                   plugins={"expand.loans": LOANS,
                            "koperasi_xyz.shu": shu_settings(2025)})
    people = {"kasir": staff(crm, "kasir", "cashier"),
              "panitia": staff(crm, "panitia", "credit_committee"),
              "bendahara": staff(crm, "bendahara", "treasurer"),
              "ketua": staff(crm, "ketua", "member")}
    kasir = people["kasir"]
    andi = member(crm, "XYZ-2024-00001", "Andi Wijaya", dt.date(2024, 3, 1))
    budi = member(crm, "XYZ-2024-00002", "Budi Santoso", dt.date(2024, 5, 1))
    for who, ref in ((andi, "A"), (budi, "B")):
        savings.deposit(crm, kasir, who, "pokok", "100000", method="cash",
                        reference=f"KW-P{ref}", on=dt.date(2024, 6, 3))
        savings.deposit(crm, kasir, who, "wajib", "600000", method="payroll",
                        reference=f"KW-W{ref}", on=dt.date(2025, 1, 20))
    savings.deposit(crm, kasir, budi, "sukarela", "2000000", method="cash",
                    reference="KW-S1", on=dt.date(2025, 2, 3))
    savings.withdraw(crm, kasir, budi, idr(750_000), reference="TR-1",
                     on=dt.date(2025, 8, 4))
    info, _ = loans.apply(crm, kasir, andi, "konsumtif", idr(3_000_000), term=12,
                          on=dt.date(2025, 3, 3))
    loans.approve(crm, people["panitia"], info.id, on=dt.date(2025, 3, 4))
    loans.disburse(crm, people["bendahara"], info.id, method="transfer", reference="TRF-1",
                   on=dt.date(2025, 3, 5))
    for month in (4, 5, 6):  # 250.000 pokok + 30.000 jasa each
        loans.repay(crm, kasir, info.id, idr(280_000), method="cash",
                    reference=f"ANG-{month}", on=dt.date(2025, month, 25))
    loans.repay(crm, kasir, info.id, idr(280_000), method="cash", reference="ANG-2026-1",
                on=dt.date(2026, 1, 26))
    # the 2025 SHU: the year's income (3 × 30.000 jasa + 30.000 provisi), entered and posted
    treasurer, chair = people["bendahara"], people["ketua"]
    shu.enter_surplus(crm, 2025, idr(120_000), treasurer)
    shu.approve(crm, 2025, treasurer)
    shu.approve(crm, 2025, chair)
    shu.post(crm, 2025, treasurer)
    return crm, people, {"andi": andi, "budi": budi}, info.id


DATES = [dt.date(2024, 12, 31), dt.date(2025, 3, 5), dt.date(2025, 6, 30),
         dt.date(2025, 12, 31), dt.date(2026, 1, 26), AFTER_RAT.date()]


@pytest.mark.parametrize("on", DATES)
def test_neraca_balances_to_the_rupiah(coop, on) -> None:
    crm, *_ = coop
    bs = st.balance_sheet_figures(crm, on)
    assert bs.difference() == 0
    assert bs.total("asset") == bs.total("liability") + bs.total("equity")
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_neraca_lines_on_koperasi_xyz_chart(coop) -> None:
    crm, *_ = coop
    bs = st.balance_sheet_figures(crm, dt.date(2025, 12, 31))
    lines = {f.line.code: f.amounts[0] for s in bs.sections.values() for f in s}
    # cash: pokok 200.000 + sukarela 2.000.000 - 750.000 + 3 × 280.000; bank: wajib in,
    # the loan out net of its provisi
    assert lines["1-1100"] == 200_000 + 2_000_000 - 750_000 + 3 * 280_000
    assert lines["1-1200"] == 1_200_000 - 2_970_000
    assert lines["1-1300"] == 3_000_000 - 3 * 250_000
    assert lines["3-1100"] == 200_000 and lines["3-1200"] == 1_200_000
    assert lines["2-1100"] == 1_250_000
    # income summary entered on 31 December, not distributed yet on that day
    assert lines["3-4200"] == -120_000 and lines["3-4300"] == 120_000
    assert bs.result.amounts[0] == 120_000  # 90.000 jasa + 30.000 provisi, not closed
    assert all(f.line.mapped for s in bs.sections.values() for f in s)


def test_phu_result_is_the_change_in_the_result_line(coop) -> None:
    crm, *_ = coop
    phu = st.income_statement_figures(crm, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    lines = {f.line.code: f.amounts[0] for s in phu.sections.values() for f in s}
    assert lines["4-1100"] == 90_000 and lines["4-1200"] == 30_000
    assert phu.result() == 120_000
    end = st.balance_sheet_figures(crm, dt.date(2025, 12, 31))
    start = st.balance_sheet_figures(crm, dt.date(2024, 12, 31))

    def unclosed(bs):
        return bs.result.amounts[0] + bs.earlier_result.amounts[0]

    assert unclosed(end) - unclosed(start) == phu.result()
    assert end.result.amounts[0] == phu.result()
    # in 2026 the 2025 result is an earlier year's, still not closed
    now = st.balance_sheet_figures(crm, AFTER_RAT.date())
    assert now.earlier_result.amounts[0] == 120_000 and now.result.amounts[0] == 30_000


def test_changes_in_equity_close_on_the_neraca(coop) -> None:
    crm, *_ = coop
    for since, until in ((dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                         (dt.date(2026, 1, 1), AFTER_RAT.date())):
        movements, result = st.changes_in_equity_figures(crm, since, until)
        bs = st.balance_sheet_figures(crm, until)
        assert sum(m.closing for m in movements) + result.closing == bs.total("equity")
        before = st.balance_sheet_figures(crm, since - dt.timedelta(days=1))
        assert sum(m.opening for m in movements) + result.opening == before.total("equity")


def test_comparative_columns(coop) -> None:
    crm, *_ = coop
    both = st.balance_sheet_figures(crm, AFTER_RAT.date(), compare=True)
    assert both.dates == (AFTER_RAT.date(), dt.date(2025, 4, 15))
    alone = st.balance_sheet_figures(crm, dt.date(2025, 4, 15))
    for section in ("asset", "liability", "equity"):
        assert both.total(section, 1) == alone.total(section)
        assert both.difference(1) == 0
    phu = st.income_statement_figures(crm, dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                      compare=True)
    assert phu.result(0) == 30_000 and phu.result(1) == 120_000
    report = st.income_statement(crm, dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                 compare=True, name="phu")
    assert [c.title for c in report.columns][-2:] == ["tahun buku 2026", "tahun buku 2025"]


def test_csv_and_pdf_of_the_statements(coop, tmp_path) -> None:
    crm, *_ = coop
    report = st.balance_sheet(crm, dt.date(2025, 12, 31), compare=True, name="neraca")
    assert report.title == "Neraca (Laporan Posisi Keuangan)"
    csv_path = render.write_csv(report, tmp_path / "neraca.csv")
    text = csv_path.read_text("utf-8-sig")
    assert text.splitlines()[0] == "section,code,name,amount,previous"
    assert "asset,1-1300,Piutang pinjaman anggota,2250000,0" in text
    assert "equity,3-5100,SHU tahun berjalan (belum ditutup),120000,0" in text
    pdf = render.write_pdf(crm, report, tmp_path / "neraca.pdf")
    words = pdf_text(pdf)
    for expected in ("Neraca (Laporan Posisi Keuangan)", "Piutang pinjaman anggota",
                     "Rp 2.250.000", "Jumlah aset", "Jumlah kewajiban dan ekuitas",
                     "Seimbang per 31 Desember 2025: ya"):
        assert expected in words, expected
    # the deployment's laporan renders the same report through its own writers
    from koperasi_xyz.laporan import write_pdf as laporan_pdf
    from koperasi_xyz.reports.runner import run

    builders = {b.name: b for b in st.report_builders(
        {"balance_sheet": "neraca", "income_statement": "phu",
         "changes_in_equity": "ekuitas"}, permission="reports.view")}
    admin = staff(crm, "admin", "admin")
    phu = run(crm, admin, builders["phu"], {"year": 2025})
    assert dict(phu.summary)["Sisa hasil usaha (pendapatan dikurangi beban)"] == "Rp 120.000"
    eq = run(crm, admin, builders["ekuitas"], {"year": 2025})
    laporan_pdf(crm, eq, tmp_path / "ekuitas.pdf")
    assert "Laporan Perubahan Ekuitas" in pdf_text(tmp_path / "ekuitas.pdf")


def test_entry_search_filters(coop) -> None:
    crm, _, members, _ = coop
    everything = list(journal.search(crm))
    assert {line.entry for line in everything}
    andi = list(journal.search(crm, member_id=members["andi"]))
    assert andi and all(line.member == "XYZ-2024-00001" for line in andi if line.member)
    repayments = list(journal.search(crm, kind="loans.repayment"))
    assert len({line.entry for line in repayments}) == 4
    in_2025 = list(journal.search(crm, kind="loans.repayment", since=dt.date(2025, 1, 1),
                                  until=dt.date(2025, 12, 31)))
    assert len({line.entry for line in in_2025}) == 3
    by_ref = list(journal.search(crm, reference="ANG-5"))
    assert len({line.entry for line in by_ref}) == 1
    assert sum(line.debit.amount for line in by_ref if line.debit) == 280_000
    loans_owned = {line.kind for line in journal.search(crm, plugin="expand.loans")}
    assert loans_owned and all(k.startswith("loans.") for k in loans_owned)
    # account: a chart line, an account kind or one account
    line_1300 = {line.entry for line in journal.search(crm, account="1-1300")}
    kind = {line.entry for line in journal.search(crm, account="loans.principal")}
    one = {line.entry for line in journal.search(
        crm, account=f"loans.principal:m{members['andi']}")}
    assert line_1300 == kind == one and len(one) == 5  # disbursement + 4 repayments
    assert len({line.entry for line in journal.search(crm, limit=2)}) == 2
    with pytest.raises(NotFoundError):
        list(journal.search(crm, account="9-9999"))


def test_running_balance_of_a_line_and_an_account(coop) -> None:
    crm, _, members, _ = coop
    chosen, opening, lines = journal.account_ledger(crm, "1-1300")
    assert chosen.label == "1-1300 Piutang pinjaman anggota"
    lines = list(lines)
    assert opening == idr(0)
    assert [line.balance.amount for line in lines] == [3_000_000, 2_750_000, 2_500_000,
                                                        2_250_000, 2_000_000]
    _, opening, lines = journal.account_ledger(
        crm, f"savings.sukarela:m{members['budi']}", since=dt.date(2025, 6, 1))
    lines = list(lines)
    assert opening == idr(2_000_000)
    assert lines[0].credit is None and lines[0].debit == idr(750_000)
    assert lines[0].balance == idr(1_250_000)
    # the SHU credited to the sukarela in 2026
    assert lines[-1].balance.amount > 1_250_000


def test_trial_balance_on_a_date(coop) -> None:
    crm, *_ = coop
    for by in ("kind", "line", "account"):
        tb = journal.trial_balance(crm, on=dt.date(2025, 12, 31), by=by)
        rows = list(tb.rows)
        assert tb.balanced, by
        assert rows
    tb = journal.trial_balance(crm, on=dt.date(2025, 12, 31), by="line")
    by_code = {r.code: r for r in tb.rows}
    assert by_code["1-1300"].debit == idr(2_250_000)
    assert by_code["4-1100"].credit == idr(90_000)


def test_every_kind_in_use_is_on_the_chart_and_unmapped_ones_are_listed(coop) -> None:
    crm, *_ = coop
    found = chart_mod.check(crm)
    assert found.ok, [k.kind for k in found.unmapped]
    # a kind nobody declared and the chart does not hold: listed, shown, still balanced
    ledger = crm.ledger
    with crm.action("test", Actor.operator()):
        odd = ledger.open_account("asset.vehicle", type="asset")
        ledger.transfer(idr(500_000), debit=odd, credit=ledger.open_account("cash", type="asset"),
                        kind="test.buy", actor="test", on=dt.date(2025, 12, 1))
    found = chart_mod.check(crm)
    assert [k.kind for k in found.unmapped] == ["asset.vehicle"]
    report = st.balance_sheet(crm, dt.date(2025, 12, 31))
    assert any("asset.vehicle" in note for note in report.notes)
    assert any(r["name"] == "asset.vehicle (belum ada di bagan akun)"
               for r in report.sections[0].rows)
    assert st.balance_sheet_figures(crm, dt.date(2025, 12, 31)).difference() == 0


def test_closing_entries_leave_the_phu_alone(coop) -> None:
    """Year-end closing (income and expenses to equity) changes neither the PHU nor the
    neraca's totals; the result moves from the unclosed line to equity.year_result."""
    crm, *_ = coop
    ledger = crm.ledger
    from dyncrm.values import Leg

    before = st.balance_sheet_figures(crm, dt.date(2025, 12, 31))
    totals = journal.kind_totals(crm, since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    with crm.action("test.close", Actor.operator()):
        target = ledger.open_account("equity.year_result", type="equity")
        codes = [(a.code, a.commodity) for a in Account.select().where(
            Account.type.in_(["income", "expense"]))]
        legs, total = [], Decimal(0)
        for code, commodity in codes:
            if commodity != "IDR":
                continue
            bal = ledger.balance(code, as_of=dt.date(2025, 12, 31), natural=False)
            if bal.amount:
                legs.append(Leg(code, -bal))
                total += bal.amount
        legs.append(Leg(target, idr(total)))
        ledger.post(legs, kind="test.closing", actor="test", on=dt.date(2025, 12, 31))
    assert totals
    phu = st.income_statement_figures(crm, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert phu.result() == 120_000
    after = st.balance_sheet_figures(crm, dt.date(2025, 12, 31))
    assert after.difference() == 0 and after.result.amounts[0] == 0
    assert after.total("equity") == before.total("equity")
    lines = {f.line.code: f.amounts[0] for f in after.sections["equity"]}
    assert lines["3-4100"] == 120_000
