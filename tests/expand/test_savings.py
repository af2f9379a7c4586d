"""expand.savings: deposits, transfers with proof, withdrawals, balances and arrears."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image
from test_savings_helpers import (
    JPEG,
    PDF,
    PNG,
    Staff,
    add_member,
    balanced,
    dump,
    member_actor,
    open_expand,
)

from dyncrm.db.models import OutboxMessage
from dyncrm.errors import (
    DuplicateError,
    DyncrmError,
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand import savings
from dyncrm_expand.savings.models import SavingsObligation


def rp(value) -> Money:
    return Money.of(value, "IDR")


@pytest.fixture
def crm(make_crm):
    return open_expand(make_crm)


@pytest.fixture
def people(crm):
    return Staff(crm)


def test_cash_deposits_post_to_the_members_accounts(crm, people):
    m = add_member(crm)
    pokok = savings.deposit(crm, people.cashier, m, "pokok", "100.000", method="cash",
                            reference="KW-001")
    wajib = savings.deposit(crm, people.cashier, m, "wajib", rp(50000), method="payroll",
                            reference="PAY-2025-01:1")
    assert pokok.status == wajib.status == "posted" and not pokok.replayed
    assert savings.balances(crm, m) == {"pokok": rp(100000), "wajib": rp(50000),
                                        "sukarela": rp(0)}
    assert crm.ledger.balance("cash") == rp(100000)
    assert crm.ledger.balance("bank") == rp(50000)
    entry = crm.ledger.entry(pokok.entry_id)
    assert entry.key == "deposit:KW-001" and entry.kind == "savings.deposit"
    assert entry.member_id == m
    assert balanced(crm)
    assert [t.kind for t in crm.timeline(m)][-2:] == ["savings.deposit", "savings.deposit"]


def test_same_reference_posts_once_and_says_so(crm, people):
    m = add_member(crm)
    first = savings.deposit(crm, people.cashier, m, "sukarela", "250000", method="cash",
                            reference="KW-9")
    before = dump(crm)
    again = savings.deposit(crm, people.cashier2, m, "sukarela", "250.000", method="cash",
                            reference="KW-9")
    assert again.replayed and again.id == first.id and again.entry_id == first.entry_id
    assert dump(crm) == before
    assert savings.balance(crm, m, "sukarela") == rp(250000)
    with pytest.raises(DuplicateError, match="already used for deposit"):
        savings.deposit(crm, people.cashier, m, "sukarela", "300000", method="cash",
                        reference="KW-9")
    assert dump(crm) == before


def test_transfer_with_proof_is_verified_by_another_cashier(crm, people, tmp_path):
    m = add_member(crm)
    proof = tmp_path / "bukti transfer Siti.jpg"
    proof.write_bytes(JPEG)
    pending = savings.deposit(crm, people.cashier, m, "sukarela", "500000", method="transfer",
                              reference="TRF-77", proof=proof)
    assert pending.status == "pending" and pending.entry_id is None
    assert savings.balance(crm, m, "sukarela") == rp(0)
    assert [d.id for d in savings.pending_deposits(crm)] == [pending.id]
    stored = savings.proof_path(crm, pending)
    assert stored.parent == Path(crm.config.data_dir) / "proofs"
    assert stored.suffix == ".jpg" and pending.proof_type == "image/jpeg"
    assert Image.open(stored).size == Image.open(io.BytesIO(JPEG)).size  # re-encoded
    assert "Siti" not in stored.name and pending.proof_name == "bukti transfer Siti.jpg"
    assert len(pending.proof_sha256) == 64
    assert stored.stat().st_mode & 0o077 == 0

    with pytest.raises(PermissionDenied, match="another cashier"):
        savings.verify_deposit(crm, people.cashier, pending.id)
    with pytest.raises(PermissionDenied):
        savings.verify_deposit(crm, people.secretary, pending.id)
    done = savings.verify_deposit(crm, people.cashier2, pending.id)
    assert done.status == "posted" and done.decided_by == "kasir2"
    assert crm.ledger.entry(done.entry_id).key == "deposit:TRF-77"
    assert savings.balance(crm, m, "sukarela") == rp(500000)
    assert crm.ledger.balance("bank") == rp(500000)
    assert savings.verify_deposit(crm, people.cashier2, pending.id).replayed
    with pytest.raises(IllegalTransition):
        savings.reject_deposit(crm, people.cashier2, pending.id, "too late")
    message = OutboxMessage.get(OutboxMessage.member == m)
    assert "credited" in message.subject and "500.000" in message.subject
    assert balanced(crm)


def test_verifying_your_own_transfer_can_be_allowed(make_crm):
    crm = open_expand(make_crm, savings={"verify_own_transfers": True})
    people = Staff(crm)
    m = add_member(crm)
    d = savings.deposit(crm, people.cashier, m, "wajib", "50000", method="transfer",
                        reference="T1", proof=PNG)
    assert savings.verify_deposit(crm, people.cashier, d.id).status == "posted"


def test_rejected_transfer_tells_the_member_why(crm, people):
    m = add_member(crm)
    d = savings.deposit(crm, people.cashier, m, "wajib", "50000", method="transfer",
                        reference="T2", proof=PDF)
    with pytest.raises(ValidationError, match="why"):
        savings.reject_deposit(crm, people.cashier2, d.id, "  ")
    rejected = savings.reject_deposit(crm, people.cashier2, d.id, "amount not on the statement")
    assert rejected.status == "rejected" and rejected.entry_id is None
    assert savings.balance(crm, m, "wajib") == rp(0)
    body = OutboxMessage.get(OutboxMessage.member == m).body
    assert "amount not on the statement" in body
    with pytest.raises(IllegalTransition, match="rejected"):
        savings.verify_deposit(crm, people.cashier2, d.id)
    assert savings.reject_deposit(crm, people.cashier2, d.id, "again").replayed
    # the reference stays used: a second attempt needs a new one
    with pytest.raises(DuplicateError):
        savings.deposit(crm, people.cashier, m, "wajib", "40000", method="transfer",
                        reference="T2", proof=PDF)


def test_member_may_upload_their_own_transfer_but_not_post_cash(crm, people):
    m = add_member(crm)
    other = add_member(crm, "Budi")
    me = member_actor(crm, m)
    d = savings.deposit(crm, me, m, "sukarela", "75000", method="transfer", reference="HP-1",
                        proof=PNG)
    assert d.status == "pending" and d.recorded_by == me.username
    with pytest.raises(PermissionDenied):
        savings.deposit(crm, me, m, "sukarela", "75000", method="cash", reference="HP-2")
    with pytest.raises(PermissionDenied):
        savings.deposit(crm, me, other, "sukarela", "75000", method="transfer",
                        reference="HP-3", proof=PNG)
    with pytest.raises(PermissionDenied):
        savings.verify_deposit(crm, me, d.id)
    savings.verify_deposit(crm, people.cashier, d.id)
    assert savings.balance(crm, m, "sukarela") == rp(75000)


@pytest.mark.parametrize("proof, message", [
    (b"GIF89a" + b"\x00" * 20, "JPEG, PNG or PDF"),
    (b"<html><script>alert(1)</script>", "content was checked"),
    (b"", "empty"),
    (b"\xff\xd8\xff" + b"\x00" * 2000, "largest proof"),
])
def test_bad_proof_is_refused_and_changes_nothing(make_crm, tmp_path, proof, message):
    crm = open_expand(make_crm, savings={"proof_max_bytes": 1000})
    people = Staff(crm)
    m = add_member(crm)
    path = tmp_path / "transfer.jpg"
    path.write_bytes(proof)
    before = dump(crm)
    with pytest.raises(ValidationError, match=message):
        savings.deposit(crm, people.cashier, m, "sukarela", "10000", method="transfer",
                        reference="BAD", proof=path)
    assert dump(crm) == before


def test_proof_types_can_be_restricted(make_crm):
    crm = open_expand(make_crm, savings={"proof_types": ["pdf"]})
    people = Staff(crm)
    m = add_member(crm)
    with pytest.raises(ValidationError, match="PDF"):
        savings.deposit(crm, people.cashier, m, "wajib", "50000", method="transfer",
                        reference="X", proof=JPEG)
    assert savings.deposit(crm, people.cashier, m, "wajib", "50000", method="transfer",
                           reference="Y", proof=PDF).status == "pending"


def test_failed_action_removes_the_proof_it_stored(crm, people, monkeypatch):
    m = add_member(crm)
    before = dump(crm)

    def boom(*args, **kwargs):
        raise ValidationError("the touchpoint store is broken")

    monkeypatch.setattr(crm, "touch", boom)
    with pytest.raises(ValidationError, match="broken"):
        savings.deposit(crm, people.cashier, m, "sukarela", "10000", method="transfer",
                        reference="GONE", proof=PNG)
    assert dump(crm) == before


def _bad_deposits(m, other_stage):
    return [
        dict(member=m, product="saham", amount="1000", method="cash", reference="B1"),
        dict(member=m, product="wajib", amount="-5000", method="cash", reference="B2"),
        dict(member=m, product="wajib", amount="0", method="cash", reference="B3"),
        dict(member=m, product="wajib", amount="12,5", method="cash", reference="B4"),
        dict(member=m, product="wajib", amount="lima puluh ribu", method="cash", reference="B5"),
        dict(member=m, product="wajib", amount="50000", method="cheque", reference="B6"),
        dict(member=m, product="wajib", amount="50000", method="cash", reference="  "),
        dict(member=m, product="wajib", amount="50000", method="transfer", reference="B7"),
        dict(member=m, product="wajib", amount="50000", method="cash", reference="B8",
             on=dt.date(2025, 7, 1)),
        dict(member=m, product="pokok", amount="100001", method="cash", reference="B9"),
        dict(member=other_stage, product="wajib", amount="50000", method="cash",
             reference="B10"),
        dict(member=99999, product="wajib", amount="50000", method="cash", reference="B11"),
        dict(member=m, product="wajib", amount=Money.of("50000", "USD"), method="cash",
             reference="B12"),
    ]


def test_bad_deposits_are_refused_and_change_nothing(crm, people):
    m = add_member(crm)
    from dyncrm.db.models import Member

    applicant = Member.create(name="Calon", email="calon@example.org").id
    before = dump(crm)
    for bad in _bad_deposits(m, applicant):
        kwargs = {k: v for k, v in bad.items() if k not in ("member", "product", "amount")}
        with pytest.raises(DyncrmError):
            savings.deposit(crm, people.cashier, bad["member"], bad["product"], bad["amount"],
                            **kwargs)
        assert dump(crm) == before, bad


def test_pokok_is_paid_once_possibly_in_parts(crm, people):
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, "pokok", "60000", method="cash", reference="P1")
    savings.deposit(crm, people.cashier, m, "pokok", "40000", method="transfer",
                    reference="P2", proof=PNG)
    with pytest.raises(ValidationError, match="already paid in full or waiting"):
        savings.deposit(crm, people.cashier, m, "pokok", "1", method="cash", reference="P3")
    savings.verify_deposit(crm, people.cashier2, savings.pending_deposits(crm)[0].id)
    assert savings.balance(crm, m, "pokok") == rp(100000)
    with pytest.raises(ValidationError, match="already paid in full"):
        savings.deposit(crm, people.cashier, m, "pokok", "1", method="cash", reference="P4")


def test_pokok_obligation_shows_as_due_until_paid(crm, people):
    m = add_member(crm, joined=dt.date(2025, 6, 2))
    row = SavingsObligation.get(SavingsObligation.member == m, SavingsObligation.product == "pokok")
    assert row.amount == 100000
    items = {i.key: i for i in savings.due_items(crm, dt.date(2025, 6, 5))}
    assert items[f"pokok:{m}"].amount == rp(100000)
    assert items[f"pokok:{m}"].due_on == dt.date(2025, 6, 9)
    savings.deposit(crm, people.cashier, m, "pokok", "100000", method="cash", reference="P")
    assert f"pokok:{m}" not in {i.key for i in savings.due_items(crm, dt.date(2025, 6, 5))}


def test_hook_dyncrm_acquire_member_joined_records_pokok(crm):
    from dyncrm.db.models import Member

    row = Member.create(name="Via Registration", number="XYZ-0900", stage="active",
                        joined_on=dt.date(2025, 3, 3))
    with crm.action("test", Actor.operator()):
        crm.hook.dyncrm_acquire_member_joined(crm=crm, member=crm.member(row.id),
                                              actor=Actor.operator())
        crm.hook.dyncrm_acquire_member_joined(crm=crm, member=crm.member(row.id),
                                              actor=Actor.operator())
    rows = SavingsObligation.select().where(SavingsObligation.member == row.id)
    assert sorted(r.product for r in rows) == ["pokok", "wajib"]
    assert savings.wajib_arrears(crm, row.id, dt.date(2025, 3, 31)) == [
        (dt.date(2025, 3, 1), rp(50000))]


def test_sukarela_withdrawal_never_goes_below_the_minimum(make_crm):
    crm = open_expand(make_crm, savings={"sukarela": {"minimum_balance": "10000"}})
    people = Staff(crm)
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, "sukarela", "100000", method="cash", reference="S1")
    before = dump(crm)
    with pytest.raises(ValidationError, match=r"at most Rp 90\.000"):
        savings.withdraw(crm, people.cashier, m, "95000", reference="W1")
    assert dump(crm) == before
    done = savings.withdraw(crm, people.cashier, m, "90000", reference="W1")
    assert done.balance_after == rp(10000) and not done.replayed
    assert crm.ledger.balance("cash") == rp(10000)
    again = savings.withdraw(crm, people.cashier, m, "90000", reference="W1")
    assert again.replayed and again.entry_id == done.entry_id
    assert savings.balance(crm, m, "sukarela") == rp(10000)
    with pytest.raises(DuplicateError):
        savings.withdraw(crm, people.cashier, m, "5000", reference="W1")
    with pytest.raises(ValidationError, match="at most Rp 0"):
        savings.withdraw(crm, people.cashier, m, "1", reference="W2")
    assert balanced(crm)


@pytest.mark.parametrize("product", ["pokok", "wajib"])
def test_pokok_and_wajib_cannot_be_withdrawn_while_a_member(crm, people, product):
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, product, "50000", method="cash", reference="D")
    before = dump(crm)
    with pytest.raises(ValidationError, match=r"cannot be withdrawn while .* is a member"):
        savings.withdraw(crm, people.cashier, m, "1000", reference="W", product=product)
    assert dump(crm) == before


def test_withdrawal_needs_the_permission(crm, people):
    m = add_member(crm)
    savings.deposit(crm, people.cashier, m, "sukarela", "1000", method="cash", reference="D")
    with pytest.raises(PermissionDenied):
        savings.withdraw(crm, member_actor(crm, m), m, "1000", reference="W")
    with pytest.raises(PermissionDenied):
        savings.withdraw(crm, people.secretary, m, "1000", reference="W")


def test_wajib_arrears_allocate_to_the_oldest_month(crm, people):
    m = add_member(crm, joined=dt.date(2025, 1, 20))  # January due on the 20th
    assert [mo for mo, _ in savings.wajib_arrears(crm, m, dt.date(2025, 4, 9))] == [
        dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert [mo for mo, _ in savings.wajib_arrears(crm, m, dt.date(2025, 4, 10))][-1] == \
        dt.date(2025, 4, 1)
    savings.deposit(crm, people.cashier, m, "wajib", "75000", method="cash", reference="W1",
                    on=dt.date(2025, 3, 1))
    assert savings.wajib_arrears(crm, m, dt.date(2025, 4, 10)) == [
        (dt.date(2025, 2, 1), rp(25000)), (dt.date(2025, 3, 1), rp(50000)),
        (dt.date(2025, 4, 1), rp(50000))]
    # as of a date before the payment, it does not count
    assert len(savings.wajib_arrears(crm, m, dt.date(2025, 2, 28))) == 2
    assert savings.wajib_due(crm, m, dt.date(2025, 1, 1)) == rp(0)
    assert savings.wajib_due(crm, m, dt.date(2025, 2, 1)) == rp(25000)
    assert savings.wajib_due(crm, m, dt.date(2024, 12, 1)) == rp(0)
    # a prepayment covers the coming months
    savings.deposit(crm, people.cashier, m, "wajib", "300000", method="cash", reference="W2")
    assert savings.wajib_arrears(crm, m, dt.date(2025, 6, 15)) == []
    assert savings.wajib_due(crm, m, dt.date(2025, 7, 1)) == rp(0)
    assert savings.wajib_due(crm, m, dt.date(2025, 8, 1)) == rp(25000)
    assert savings.wajib_due(crm, m, dt.date(2025, 9, 1)) == rp(50000)


def test_wajib_amount_follows_the_member_class_over_time(make_crm):
    crm = open_expand(make_crm, savings={"wajib": {"amount": "50000",
                                                   "by_class": {"II": "25000", "IV": "100000"},
                                                   "due_day": 31}})
    people = Staff(crm)
    m = add_member(crm, joined=dt.date(2025, 1, 6))
    savings.set_member_class(crm, people.treasurer, m, "II", since=dt.date(2025, 1, 1))
    savings.set_member_class(crm, people.treasurer, m, "IV", since=dt.date(2025, 4, 1))
    arrears = savings.wajib_arrears(crm, m, dt.date(2025, 5, 31))
    assert [a for _, a in arrears] == [rp(25000)] * 3 + [rp(100000)] * 2
    assert savings.wajib_due(crm, m, dt.date(2025, 2, 1)) == rp(25000)
    with pytest.raises(ValidationError, match="unknown class"):
        savings.set_member_class(crm, people.treasurer, m, "IX")
    with pytest.raises(PermissionDenied):
        savings.set_member_class(crm, people.cashier, m, "II")


def test_arrears_by_member_uses_a_fixed_number_of_queries(crm, people):
    def count_queries(fn):
        seen = []
        original = crm.database.execute_sql

        def counting(sql, *args, **kwargs):
            seen.append(sql)
            return original(sql, *args, **kwargs)

        crm.database.execute_sql = counting
        try:
            result = fn()
        finally:
            del crm.database.execute_sql
        return result, len(seen)

    for i in range(3):
        add_member(crm, f"A{i}")
    small, few = count_queries(lambda: savings.arrears_by_member(crm, dt.date(2025, 6, 15)))
    ids = [add_member(crm, f"B{i}", joined=dt.date(2025, 3, 3)) for i in range(30)]
    savings.deposit(crm, people.cashier, ids[0], "wajib", "200000", method="cash",
                    reference="paid-up")
    savings.deposit(crm, people.cashier, ids[1], "wajib", "20000", method="cash",
                    reference="partly")
    big, many = count_queries(lambda: savings.arrears_by_member(crm, dt.date(2025, 6, 15)))
    assert few == many <= 4
    assert len(small) == 3 and len(big) == 32
    assert ids[0] not in big
    assert big[ids[1]] == rp(180000)
    assert big[ids[2]] == rp(200000)  # March to June (due on the 10th)
    for i in ids[1:]:
        owed = savings.wajib_arrears(crm, i, dt.date(2025, 6, 15))
        assert big[i] == sum((a for _, a in owed), rp(0))


def test_statement_per_year_with_running_balance(make_crm):
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_member(crm, joined=dt.date(2024, 11, 4))
    savings.deposit(crm, people.cashier, m, "sukarela", "100000", method="cash", reference="A",
                    on=dt.date(2024, 12, 2))
    savings.deposit(crm, people.cashier, m, "sukarela", "50000", method="cash", reference="B",
                    on=dt.date(2025, 2, 3))
    savings.withdraw(crm, people.cashier, m, "30000", reference="C", on=dt.date(2025, 3, 3))
    st = savings.statement(crm, m, "sukarela", 2025)
    assert st.opening == rp(100000) and st.closing == rp(120000)
    assert [(ln.amount, ln.balance) for ln in st.lines] == [
        (rp(50000), rp(150000)), (rp(-30000), rp(120000))]
    assert savings.statement(crm, m, "sukarela").opening == rp(0)
    assert savings.statement(crm, m, "pokok", 2025).lines == ()
    with pytest.raises(NotFoundError):
        savings.statement(crm, 4242, "pokok", 2025)


def test_credit_sukarela_for_other_plugins_is_idempotent(crm, people):
    m = add_member(crm)
    source = crm.ledger.open_account("cash", type="asset")
    first = savings.credit_sukarela(crm, people.cashier, m, "12500", reference="loan:1:over",
                                    source_account=source, memo="overpayment of loan 1")
    again = savings.credit_sukarela(crm, people.cashier, m, "12500", reference="loan:1:over",
                                    source_account=source)
    assert again.replayed and again.entry_id == first.entry_id
    assert savings.balance(crm, m, "sukarela") == rp(12500)
    assert crm.ledger.entry(first.entry_id).memo == "overpayment of loan 1"
    with pytest.raises(NotFoundError):
        savings.credit_sukarela(crm, people.cashier, m, "1", reference="x",
                                source_account="no.such.account")
    assert balanced(crm)


def test_products_and_member_details(crm, people):
    m = add_member(crm, joined=dt.date(2025, 5, 5))
    products = [p for ps in crm.hook.dyncrm_acquire_products(crm=crm) for p in ps]
    assert [p.code for p in products] == ["pokok", "wajib", "sukarela"]
    assert all(p.kind == "savings" for p in products)
    savings.deposit(crm, people.cashier, m, "wajib", "50000", method="cash", reference="W")
    details = {}
    for d in crm.hook.dyncrm_member_details(crm=crm, member=crm.member(m)):
        details.update(d or {})
    assert details["Simpanan Wajib"] == "Rp 50.000"
    assert details["Simpanan Wajib arrears"] == "Rp 50.000 (1 month(s))"


def test_member_sees_own_savings_only(crm, people):
    from dyncrm_expand.savings import can_view as _can_view

    m, other = add_member(crm), add_member(crm, "Budi")
    me = member_actor(crm, m)
    _can_view(crm, me, m)
    with pytest.raises(PermissionDenied):
        _can_view(crm, me, other)
    _can_view(crm, people.secretary, other)


def test_configured_product_codes_are_accepted(make_crm):
    crm = open_expand(make_crm, savings={"pokok": {"code": "SP", "name": "Simpanan Pokok"},
                                         "sukarela": {"code": "SS"}})
    people = Staff(crm)
    m = add_member(crm)
    d = savings.deposit(crm, people.cashier, m, "SP", "100000", method="cash", reference="1")
    assert d.product == "pokok"
    assert savings.deposit(crm, people.cashier, m, "ss", "1", method="cash",
                           reference="2").product == "sukarela"


def test_wajib_paid_on_time(make_crm):
    crm = open_expand(make_crm, today=dt.date(2026, 1, 5))
    people = Staff(crm)
    punctual = add_member(crm, "Tepat", joined=dt.date(2025, 1, 2))
    late = add_member(crm, "Telat", joined=dt.date(2025, 1, 2))
    for month in range(1, 13):
        day = dt.date(2025, month, 5)
        savings.deposit(crm, people.cashier, punctual, "wajib", "50000", method="payroll",
                        reference=f"p{month}", on=day)
        late_day = dt.date(2025, month, 15 if month == 7 else 5)
        savings.deposit(crm, people.cashier, late, "wajib", "50000", method="payroll",
                        reference=f"l{month}", on=late_day)
    assert savings.wajib_paid_on_time(crm, 2025) == {punctual}


def test_monthly_deductions_list_the_scheduled_wajib(make_crm):
    crm = open_expand(make_crm, savings={"wajib": {"by_class": {"IV": "100000"}}})
    people = Staff(crm)
    m = add_member(crm, joined=dt.date(2025, 3, 20))
    savings.set_member_class(crm, people.treasurer, m, "IV", since=dt.date(2025, 5, 1))
    savings.deposit(crm, people.cashier, m, "wajib", "1000000", method="cash", reference="pre")

    def lines(month):
        found = crm.hook.dyncrm_expand_monthly_deductions(crm=crm, member_id=m, month=month)
        return [line for ls in found for line in (ls or [])]

    assert lines(dt.date(2025, 2, 14)) == []
    assert lines(dt.date(2025, 4, 30)) == [("Simpanan Wajib 2025-04", rp(50000))]
    assert lines(dt.date(2025, 9, 1)) == [("Simpanan Wajib 2025-09", rp(100000))]


def test_due_items_cover_open_wajib_months_around_the_date(crm, people):
    m = add_member(crm, joined=dt.date(2025, 1, 6))
    savings.deposit(crm, people.cashier, m, "pokok", "100000", method="cash", reference="P")
    savings.deposit(crm, people.cashier, m, "wajib", "100000", method="cash", reference="W")
    items = [i for i in savings.due_items(crm, dt.date(2025, 6, 15)) if i.member_id == m]
    # January and February are paid; March is older than the 92-day window
    assert [i.key for i in items] == [f"wajib:{m}:2025-04", f"wajib:{m}:2025-05",
                                      f"wajib:{m}:2025-06", f"wajib:{m}:2025-07"]
    assert items[0].kind == "savings.wajib" and items[0].due_on == dt.date(2025, 4, 10)
    assert items[0].amount == rp(50000) and items[0].description == "Simpanan Wajib for 2025-04"
    from_hook = [i for its in crm.hook.dyncrm_retain_due_items(crm=crm, on=dt.date(2025, 6, 15))
                 for i in (its or []) if i.member_id == m]
    assert from_hook == items
