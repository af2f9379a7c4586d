"""The core and a pass through the plugins on a real MariaDB server (started by the test
run, see tests/mysql.py), reached through a ``mysql://`` URL like a deployment's.

Each test gets a fresh utf8mb4 database (``mysql_url``), so nothing here depends on order.
"""

from __future__ import annotations

import datetime as dt

import pytest
from peewee import MySQLDatabase
from tables import add_member, counts

from dyncrm.app import _supports_returning
from dyncrm.db.models import (
    Member,
    Touchpoint,
)
from dyncrm.errors import ValidationError
from dyncrm.money import Money
from dyncrm.testing import staff
from dyncrm.values import Actor

SYSTEM = Actor.operator()

#: The plugins checked by hand on MariaDB before these tests existed.
PLUGINS = ["acquire.registration", "expand.savings", "expand.loans", "retain.feedback",
           "retain.faq"]

LOAN_PRODUCTS = {
    "konsumtif": {
        "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
        "term_min": 1, "term_max": 12, "due_day": 25,
        "fees": [{"name": "provisi", "percent": "1", "mode": "deducted"}],
        "penalty": {"kind": "percent_per_month", "percent": "2"},
        "limits": {"max_savings_multiple": "3", "one_active_loan": True},
    },
}


class Clock:
    """A settable clock at 10:00 Jakarta time: ``clock.day = date`` moves 'today'."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.datetime:
        return dt.datetime(self.day.year, self.day.month, self.day.day, 3, 0)


def idr(amount: int | str) -> Money:
    return Money.of(amount, "IDR")


@pytest.fixture
def my_crm(make_crm, mysql_url):
    """A migrated core-only CRM on its own MariaDB database."""
    crm = make_crm(database_url=mysql_url)
    assert isinstance(crm.database, MySQLDatabase)
    return crm


# --- the core -------------------------------------------------------------------------


def test_mysql_touch_many_inserts_row_by_row_with_the_right_ids(my_crm) -> None:
    crm = my_crm
    assert not _supports_returning(crm.database)  # the per-row fallback is what runs here
    with crm.action("create", SYSTEM):
        ids = [Member.create(name=f"m{i}").id for i in range(5)]
        crm.touch(ids[2], "acquire", "of", "registration.seen", SYSTEM)  # ids interleave
        payloads = [{"n": i} for i in range(5)]
        recorded = crm.touch_many(ids, "acquire", "for", "promotion.reached", SYSTEM, payloads)
    assert [t.member_id for t in recorded] == ids
    assert len({t.id for t in recorded}) == 5
    stored = {row.id: row for row in Touchpoint.select().where(
        Touchpoint.kind == "promotion.reached")}
    assert sorted(stored) == sorted(t.id for t in recorded)
    for tp in recorded:
        assert (stored[tp.id].member_id, stored[tp.id].payload) == (tp.member_id, tp.payload)
    assert [t.kind for t in crm.timeline(ids[2])] == ["registration.seen", "promotion.reached"]


# --- the plugins ------------------------------------------------------------------------


def test_mysql_plugin_migrations_are_idempotent(make_crm, mysql_url) -> None:
    crm = make_crm(enabled=PLUGINS, database_url=mysql_url)
    applied = {s.plugin for s in crm.migration_status() if s.applied is not None}
    assert applied == {"core", *PLUGINS}
    assert crm.upgrade() == []


def test_mysql_savings_deposit_and_replay(make_crm, mysql_url) -> None:
    from dyncrm_expand import savings

    crm = make_crm(enabled=["expand.savings"], database_url=mysql_url,
                   clock=Clock(dt.date(2026, 2, 3)))
    cashier = staff(crm, "kasir", "cashier")
    member_id = add_member(crm, "Ani", active=True)
    first = savings.deposit(crm, cashier, member_id, "sukarela", "250.000", method="cash",
                            reference="SLIP-1")
    assert not first.replayed and first.status == "posted"
    before = counts()
    again = savings.deposit(crm, cashier, member_id, "sukarela", "250.000", method="cash",
                            reference="SLIP-1")
    assert again.replayed and again.id == first.id
    assert counts() == before
    with pytest.raises(ValidationError, match="SLIP-1"):
        savings.deposit(crm, cashier, member_id, "sukarela", "300.000", method="cash",
                        reference="SLIP-1")
    assert counts() == before
    balances = crm.ledger.balances_by_member(["savings.sukarela"])
    assert balances[member_id]["savings.sukarela"] == 250_000
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_mysql_a_loan_applied_approved_disbursed_and_repaid(make_crm, mysql_url) -> None:
    from dyncrm_expand import loans, savings

    clock = Clock(dt.date(2026, 1, 10))
    crm = make_crm(enabled=["expand.savings", "expand.loans"], database_url=mysql_url,
                   plugins={"expand.loans": {"products": LOAN_PRODUCTS}}, clock=clock)
    secretary = staff(crm, "sekretaris", "secretary")
    committee = staff(crm, "komite", "credit_committee")
    treasurer = staff(crm, "bendahara", "treasurer")
    cashier = staff(crm, "kasir", "cashier")
    member_id = add_member(crm, "Budi", active=True)
    savings.deposit(crm, cashier, member_id, "sukarela", "2.000.000", method="cash",
                    reference="FUND-1")
    loan, replayed = loans.apply(crm, secretary, member_id, "konsumtif", idr(3_000_000),
                                 term=3, reference="FORM-7")
    assert not replayed and not loan.reasons
    assert loans.apply(crm, secretary, member_id, "konsumtif", idr(3_000_000), term=3,
                       reference="FORM-7")[1]
    loans.approve(crm, committee, loan.id)
    loans.disburse(crm, treasurer, loan.id, method="cash", reference="OUT-1")
    clock.day = dt.date(2026, 2, 20)
    paid = loans.repay(crm, cashier, loan.id, idr(1_030_000), method="cash", reference="R1")
    assert not paid.replayed and not paid.closed
    before = counts()
    assert loans.repay(crm, cashier, loan.id, idr(1_030_000), method="cash",
                       reference="R1").replayed
    assert counts() == before
    quote = loans.payoff_quote(crm, loan.id)
    done = loans.repay(crm, cashier, loan.id, quote.total, method="cash", reference="R2",
                       payoff=True)
    assert done.closed
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_mysql_faq_search_uses_the_like_fallback(make_crm, mysql_url) -> None:
    from dyncrm_retain.faq import search as faq_search
    from dyncrm_retain.faq import store as faq_store

    crm = make_crm(enabled=["retain.feedback", "retain.faq"], database_url=mysql_url)
    admin = staff(crm, "admin", "admin")
    entries = [("Bagaimana cara mengajukan pinjaman?",
                "Isi formulir **pengajuan** di kantor. Simpanan wajib harus lunas.", "pinjaman"),
               ("Kapan SHU dibagikan?", "Setelah RAT, bulan Maret, lewat rekening sukarela.",
                "shu"),
               ("Jam buka kantor?", "Senin–Jum'at 08.00–15.00. Kafe: *café* buka pukul 07.00.",
                "umum")]
    ids = [faq_store.add(crm, admin, question=q, answer=a, category=c, published=True).id
           for q, a, c in entries]
    hidden = faq_store.add(crm, admin, question="Draf: formulir baru", answer="belum").id
    assert faq_search.backend(crm) == "like"

    def found(query: str, **kw) -> list[int]:
        return [e.id for e in faq_search.search(crm, query, published_only=True, **kw)]

    assert found("FORMULIR") == [ids[0]]
    assert found("simpanan wajib") == [ids[0]]
    assert found("cafe jumat") == [ids[2]]
    assert found("CAFÉ") == [ids[2]]
    assert found("rekening maret") == [ids[1]]
    assert found("kantor") == [ids[2], ids[0]]  # a word of the question ranks first
    assert found("kantor", category="umum") == [ids[2]]
    assert found("100%") == [] and found("_") == []
    # unpublished entries only for staff views; the question's word ranks it first
    assert [e.id for e in faq_search.search(crm, "formulir", published_only=False)] == [
        hidden, ids[0]]


# --- no server needed ------------------------------------------------------------------


def test_mysql_url_password_reaches_pymysql_under_its_current_name() -> None:
    """playhouse.db_url passes ``passwd``, an alias PyMySQL deprecates; connect renames it."""
    from dyncrm.db.base import connect, db

    previous = db.obj
    try:
        database = connect("mysql://kasir:s3cret@127.0.0.1:3306/koperasi")  # not opened
        assert isinstance(database, MySQLDatabase)
        assert database.connect_params["password"] == "s3cret"
        assert "passwd" not in database.connect_params
    finally:
        db.initialize(previous)


def test_missing_mariadb_binaries_are_named(monkeypatch) -> None:
    import mysql

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(mysql, "FALLBACK_BIN_DIRS", ())
    with pytest.raises(mysql.MariaDBUnavailable, match="'mariadb-install-db' is not on PATH"):
        mysql.find_binaries()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("1", "fail"), ("", "skip"),
                                             ("false", "skip")])
def test_unavailable_mariadb_skips_except_in_ci(monkeypatch, ci: str, outcome: str) -> None:
    import mysql

    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match=r"MariaDB tests .*no mariadbd here"):
        mysql.unavailable("no mariadbd here")
