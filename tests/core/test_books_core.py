"""dyncrm.books on the core alone: the chart hook, random postings, the commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyncrm import hookimpl
from dyncrm.books import journal
from dyncrm.books import statements as stm
from dyncrm.books.chart import ChartAccount, chart, check
from dyncrm.errors import ConfigError, PluginError
from dyncrm.money import Money
from dyncrm.testing import run_cli
from dyncrm.values import Actor, Leg

KINDS = [("cash", "asset"), ("loans.principal", "asset"), ("savings.pokok", "liability"),
         ("savings.sukarela", "liability"), ("equity.reserve", "equity"),
         ("income.loan_interest", "income"), ("expense.office", "expense")]


class ChartPlugin:
    @hookimpl
    def dyncrm_chart_accounts(self):
        return [ChartAccount("cash", "asset", "Cash", code="1-100"),
                ChartAccount("savings.pokok", "equity", "Share savings", code="3-100"),
                ChartAccount("income.*", "income", "Income", code="4-100")]


def test_hook_dyncrm_chart_accounts(make_crm) -> None:
    crm = make_crm(extra_plugins=[("chart", ChartPlugin())])
    found = chart(crm)
    assert not found.custom
    assert found.line_for("savings.pokok").section == "equity"
    assert found.line_for("income.loan_fees").code == "4-100"
    assert found.line_for("expense.x") is None
    assert found.line("1-100").name == "Cash"

    class Clash:
        @hookimpl
        def dyncrm_chart_accounts(self):
            return [ChartAccount("savings.pokok", "liability", "Pokok")]

    with pytest.raises(PluginError, match=r"savings\.pokok"):
        chart(make_crm(extra_plugins=[("chart", ChartPlugin()), ("clash", Clash())]))


def test_a_deployment_chart_replaces_the_defaults(make_crm) -> None:
    crm = make_crm(extra_plugins=[("chart", ChartPlugin())], books={
        "asset": {"1-1100": {"name": "Kas", "kinds": ["cash"]}},
        "equity": {"3-1100": {"name": "Simpanan pokok", "kinds": ["savings.pokok"]}}})
    found = chart(crm)
    assert found.custom and [line.code for line in found.lines] == ["1-1100", "3-1100"]
    with crm.action("t", Actor.operator()):
        cash = crm.ledger.open_account("cash", type="asset")
        fee = crm.ledger.open_account("income.loan_fees", type="income")
        crm.ledger.transfer(Money.of(5, "IDR"), debit=cash, credit=fee, kind="t", actor="t")
    assert [k.kind for k in check(crm).unmapped] == ["income.loan_fees"]


@pytest.mark.parametrize("books, message", [
    ({"assets": {}}, "unknown key 'assets'"),
    ({"asset": {"1-1": {"name": "Kas", "kinds": ["cash"]}},
      "equity": {"1-1": {"name": "X"}}}, "already"),
    ({"asset": {"1-1": {"name": "Kas", "kinds": ["cash"]},
                "1-2": {"name": "Kas 2", "kinds": ["cash"]}}}, "one line"),
    ({"asset": {"1-1": {"kinds": ["cash"]}}}, "needs a name"),
])
def test_chart_mistakes_are_config_errors(make_crm, books, message) -> None:
    with pytest.raises(ConfigError, match=message):
        make_crm(books=books)


postings = st.lists(st.tuples(st.integers(0, len(KINDS) - 1), st.integers(0, len(KINDS) - 1),
                              st.integers(1, 10**9), st.integers(0, 800)),
                    min_size=1, max_size=12)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=postings, probe=st.integers(0, 900))
def test_random_postings_balance(make_crm, batch, probe) -> None:
    """Trial balance sums to zero; assets = liabilities + equity + unclosed result on any
    day, and the unclosed result is what the income statement says was earned."""
    crm = make_crm(extra_plugins=[("chart", ChartPlugin())])
    start = dt.date(2024, 1, 1)
    with crm.action("t", Actor.operator()):
        codes = [crm.ledger.open_account(kind, type=type_) for kind, type_ in KINDS]
        for debit, credit, units, day in batch:
            sides = {KINDS[debit][1], KINDS[credit][1]}
            if debit == credit or ("equity" in sides and sides & {"income", "expense"}):
                continue  # income moved straight to equity is a closing entry: elsewhere
            amount = Money.of(units, "IDR")
            crm.ledger.post([Leg(codes[debit], amount), Leg(codes[credit], -amount)],
                            kind="test", actor="t", on=start + dt.timedelta(days=day))
    assert all(v == 0 for v in crm.ledger.trial_balance().values())
    on = start + dt.timedelta(days=probe)
    tb = journal.trial_balance(crm, on=on, by="account")
    list(tb.rows)
    assert tb.balanced
    bs = stm.balance_sheet_figures(crm, on)
    assert bs.total("asset") == bs.total("liability") + bs.total("equity")
    unclosed = bs.result.amounts[0] + bs.earlier_result.amounts[0]
    phu = stm.income_statement_figures(crm, dt.date(2000, 1, 1), on)
    assert unclosed == phu.result()


TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["expand.savings"]

[books.asset]
"1-1100" = { name = "Kas", kinds = ["cash"] }
[books.equity]
"3-1100" = { name = "Simpanan pokok", kinds = ["savings.pokok"] }
"""


def test_commands(tmp_path: Path) -> None:
    from dyncrm.app import open_crm
    from dyncrm_expand import savings

    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    with open_crm(config) as crm:
        with crm.database.atomic():
            crm.users.add("bendahara", roles=["treasurer"])
        actor = crm.actor("bendahara")
        from dyncrm.db.models import Member

        with crm.action("seed", Actor.operator()):
            member = Member.create(number="A-1", name="Ani", stage="active",
                                   joined_on=dt.date(2025, 1, 2))
        savings.deposit(crm, actor, member.id, "pokok", "100000", method="cash",
                        reference="KW-1", on=dt.date(2025, 1, 3))
        savings.deposit(crm, actor, member.id, "sukarela", "50000", method="cash",
                        reference="KW-2", on=dt.date(2025, 2, 3))

    def cli(*args):
        return run_cli(["-c", str(config), "--as", "bendahara", *args])

    code, out, err = cli("books", "check")
    assert code == 1 and "savings.sukarela" in out, (out, err)
    code, out, err = cli("books", "chart")
    assert code == 0 and "Simpanan pokok" in out
    code, out, err = cli("books", "balance-sheet", "--as-of", "2025-12-31", "--compare",
                         "--csv", str(tmp_path / "bs.csv"), "--pdf", str(tmp_path / "bs.pdf"))
    assert code == 0, err
    assert "Rp 150.000" in out and (tmp_path / "bs.pdf").stat().st_size > 1000
    code, out, err = cli("books", "income-statement", "--year", "2025")
    assert code == 0, err
    code, out, err = cli("books", "equity-changes", "--year", "2025", "--json")
    assert code == 0, err
    code, out, err = cli("ledger", "entries", "--member", "A-1", "--reference", "KW-2")
    assert code == 0 and "KW-2" in out and "KW-1" not in out, err
    code, out, err = cli("ledger", "entries", "--csv", str(tmp_path / "j.csv"))
    assert code == 0 and (tmp_path / "j.csv").read_text("utf-8-sig").count("\n") == 5
    code, out, err = cli("ledger", "account", "1-1100", "--from", "2025-02-01")
    assert code == 0 and "Rp 100.000" in out and "Rp 150.000" in out, err
    code, out, err = cli("ledger", "trial-balance", "--on", "2025-01-31", "--by", "line")
    assert code == 0 and "postings balance: yes" in out, err
