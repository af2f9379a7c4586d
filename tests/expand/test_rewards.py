"""Reward points: earning rules idempotent per event, tiers, redemption with stock."""

from __future__ import annotations

import datetime as dt

import pytest
from test_loan_helpers import Clock, Staff, add_member, dump, fund, idr, open_loans

from dyncrm.errors import ConfigError, PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor
from dyncrm_expand import loans, rewards

ENABLED = ("expand.savings", "expand.loans", "expand.rewards")
REWARDS = {
    "rules": {"on_time_installment": 10, "wajib_full_year": 100, "referral": 50,
              "anniversary": 25, "milestones": {"5": 100}},
    "tiers": [{"name": "Bronze", "min_points": 0},
              {"name": "Silver", "min_points": 100, "min_years": 3},
              {"name": "Gold", "min_points": 1000, "min_years": 10}],
    "catalogue": {"payung": {"name": "Umbrella", "points": 40, "stock": 2},
                  "kaos": {"name": "T-shirt", "points": 60}},
}


def pts(n: int) -> Money:
    return Money.of(n, "POINTS")


@pytest.fixture
def coop(make_crm):
    clock = Clock(dt.date(2025, 1, 10))
    crm = open_loans(make_crm, enabled=ENABLED, rewards=REWARDS, clock=clock)
    return crm, clock, Staff(crm)


def test_on_time_installments_earn_once_each(coop) -> None:
    crm, clock, people = coop
    member_id, _ = add_member(crm, "Ani")
    fund(crm, member_id, "3000000")
    loan, _ = loans.apply(crm, people.secretary, member_id, "konsumtif", idr(3_000_000), term=3)
    loans.approve(crm, people.committee, loan.id)
    loans.disburse(crm, people.treasurer, loan.id, method="cash", reference="K1")
    clock.day = dt.date(2025, 2, 25)
    loans.repay(crm, people.cashier, loan.id, idr(1_030_000), method="cash", reference="R1")
    clock.day = dt.date(2025, 3, 30)  # installment 2 late: no points
    loans.repay(crm, people.cashier, loan.id, idr(1_050_600), method="cash", reference="R2")
    assert rewards.balance(crm, member_id) == pts(10)
    # the same event again (a replayed hook) awards nothing more
    result = rewards.earn(crm, member_id, 10, rule="installment", event=f"{loan.id}:1")
    assert result.replayed and rewards.balance(crm, member_id) == pts(10)
    # installments settled by an early payoff earn nothing
    quote = loans.payoff_quote(crm, loan.id)
    loans.repay(crm, people.cashier, loan.id, quote.total, method="cash", reference="R3",
                payoff=True)
    assert rewards.balance(crm, member_id) == pts(10)
    assert crm.ledger.trial_balance() == {"IDR": 0, "POINTS": 0}
    assert crm.ledger.balance("rewards.issued") == pts(10)


def test_referral_converted_awards_the_referrer_once(coop) -> None:
    crm, _clock, _people = coop
    referrer_id, _ = add_member(crm, "Budi")
    new_id, _ = add_member(crm, "Citra")
    for _ in range(2):
        crm.hook.dyncrm_acquire_referral_converted(
            crm=crm, referrer=crm.member(referrer_id), member=crm.member(new_id))
    assert rewards.balance(crm, referrer_id) == pts(50)
    assert rewards.balance(crm, new_id) == pts(0)
    assert any(t.kind == "rewards.earned" for t in crm.timeline(referrer_id))


def test_anniversaries_with_catch_up_and_milestones(coop) -> None:
    crm, _clock, _people = coop
    five, _ = add_member(crm, "Dewi", joined=dt.date(2020, 1, 3))
    one, _ = add_member(crm, "Eko", joined=dt.date(2023, 11, 20))  # 1 year, 51 days ago
    new, _ = add_member(crm, "Fajar", joined=dt.date(2024, 6, 1))
    jobs = {j.name: j for batch in crm.hook.dyncrm_scheduled_jobs(crm=crm) for j in batch or []}
    job = jobs["rewards.anniversaries"]
    assert job.run(crm, dt.date(2025, 1, 10)) == "1 anniversaries awarded"
    assert rewards.balance(crm, five) == pts(25 + 100)
    assert rewards.balance(crm, one) == pts(0)  # missed by more than the catch-up window
    before = dump(crm)
    assert job.run(crm, dt.date(2025, 1, 12)) == "0 anniversaries awarded"
    assert dump(crm) == before
    assert job.run(crm, dt.date(2025, 6, 1)) == "1 anniversaries awarded"
    assert rewards.balance(crm, new) == pts(25)


def test_full_year_of_wajib_on_time(coop) -> None:
    crm, _clock, people = coop
    from dyncrm_expand import savings

    punctual, _ = add_member(crm, "Gita", joined=dt.date(2023, 12, 1))
    late, _ = add_member(crm, "Hadi", joined=dt.date(2023, 12, 1))
    for n, month in enumerate(range(1, 13)):
        day = dt.date(2024, month, 5)
        savings.deposit(crm, Actor.operator(), punctual, "wajib", idr(50_000), method="payroll",
                        reference=f"W-{n}", on=day)
        if month != 6:
            savings.deposit(crm, Actor.operator(), late, "wajib", idr(50_000), method="payroll",
                            reference=f"L-{n}", on=day)
    savings.deposit(crm, Actor.operator(), punctual, "wajib", idr(50_000), method="payroll",
                    reference="W-dec23", on=dt.date(2023, 12, 5))
    savings.deposit(crm, Actor.operator(), late, "wajib", idr(50_000), method="payroll",
                    reference="L-dec23", on=dt.date(2023, 12, 5))
    expected = savings.wajib_paid_on_time(crm, 2024)
    assert punctual in expected and late not in expected
    crm.hook.dyncrm_expand_year_closed(crm=crm, year=2024, actor=people.treasurer)
    crm.hook.dyncrm_expand_year_closed(crm=crm, year=2024, actor=people.treasurer)
    assert rewards.balance(crm, punctual) == pts(100)
    assert rewards.balance(crm, late) == pts(0)
    jobs = {j.name: j for batch in crm.hook.dyncrm_scheduled_jobs(crm=crm) for j in batch or []}
    assert jobs["rewards.wajib_year"].run(crm, dt.date(2025, 1, 10)) == \
        "0 members awarded for 2024"
    assert jobs["rewards.wajib_year"].run(crm, dt.date(2025, 3, 1)).startswith("runs in")


def test_redemption_checks_points_and_stock_and_is_idempotent(coop) -> None:
    crm, _clock, people = coop
    a, ani = add_member(crm, "Ani", login="ani")
    b, _ = add_member(crm, "Budi")
    rewards.award(crm, people.admin, a, 100, reason="helped at the RAT", reference="RAT-1")
    rewards.award(crm, people.admin, b, 100, reason="helped at the RAT", reference="RAT-2")
    again = rewards.award(crm, people.admin, a, 100, reason="dup", reference="RAT-1")
    assert again.replayed and rewards.balance(crm, a) == pts(100)
    c, _ = add_member(crm, "Citra")
    rewards.award(crm, people.admin, c, 30, reason="survey", reference="S-1")
    before = dump(crm)
    with pytest.raises(ValidationError, match="takes 40 points; the member has 30"):
        rewards.redeem(crm, people.cashier, c, "payung", reference="X1")
    with pytest.raises(ValidationError, match=r"Umbrella is out of stock \(2 left\)"):
        rewards.redeem(crm, ani, a, "payung", reference="X1", quantity=3)
    with pytest.raises(ValidationError, match="unknown item 'mobil'"):
        rewards.redeem(crm, ani, a, "mobil", reference="X1")
    with pytest.raises(ValidationError, match=r"T-shirt is out of stock \(0 left\)"):
        rewards.redeem(crm, ani, a, "kaos", reference="X1")
    with pytest.raises(PermissionDenied):
        rewards.redeem(crm, ani, b, "payung", reference="X1")
    assert dump(crm) == before
    first = rewards.redeem(crm, ani, a, "payung", reference="X1")
    assert (first.points, first.item_name, first.replayed) == (40, "Umbrella", False)
    replay = rewards.redeem(crm, ani, a, "payung", reference="X1")
    assert replay.replayed and replay.id == first.id
    assert rewards.balance(crm, a) == pts(60)
    rewards.redeem(crm, people.cashier, b, "payung", reference="X2")
    with pytest.raises(ValidationError, match="out of stock"):
        rewards.redeem(crm, ani, a, "payung", reference="X3")
    entry = rewards.restock(crm, people.admin, "payung", 5, reference="DO-1")
    assert entry.stock_left == 5
    assert rewards.restock(crm, people.admin, "payung", 5, reference="DO-1").stock_left == 5
    rewards.redeem(crm, ani, a, "payung", reference="X3")
    assert rewards.balance(crm, a) == pts(20)
    assert rewards.earned(crm, a) == 100
    lines = rewards.statement(crm, a)
    assert [int(ln["amount"].amount) for ln in lines] == [100, -40, -40]
    assert int(lines[-1]["balance"].amount) == 20
    assert crm.ledger.balance("rewards.redeemed") == pts(120)
    assert crm.ledger.trial_balance() == {"POINTS": 0}


def test_tiers_by_points_or_tenure(coop) -> None:
    crm, _clock, people = coop
    old, _ = add_member(crm, "Lama", joined=dt.date(2014, 1, 2))
    busy, _ = add_member(crm, "Rajin", joined=dt.date(2024, 6, 1))
    quiet, _ = add_member(crm, "Baru", joined=dt.date(2024, 6, 1))
    rewards.award(crm, people.admin, busy, 150, reason="campaign", reference="C-1")
    assert rewards.tier(crm, old).name == "Gold"  # 11 years
    assert rewards.tier(crm, busy).name == "Silver"  # 150 points
    assert rewards.tier(crm, quiet).name == "Bronze"
    # redeeming does not drop a tier: tiers count points earned
    rewards.redeem(crm, people.cashier, busy, "payung", reference="T-1")
    assert rewards.tier(crm, busy).name == "Silver"
    details = {}
    for batch in crm.hook.dyncrm_member_details(crm=crm, member=crm.member(busy)):
        details.update(batch or {})
    assert details["Reward tier"] == "Silver" and details["Reward points"] == "110 poin"


def test_award_needs_permission_reason_and_reference(coop) -> None:
    crm, _clock, people = coop
    m, member = add_member(crm, "Ani", login="ani")
    with pytest.raises(PermissionDenied):
        rewards.award(crm, member, m, 10, reason="me", reference="A")
    with pytest.raises(ValidationError, match="say why"):
        rewards.award(crm, people.admin, m, 10, reason="", reference="A")
    with pytest.raises(ValidationError, match="whole number"):
        rewards.award(crm, people.admin, m, 0, reason="x", reference="A")


def test_rewards_config_errors(make_crm) -> None:
    with pytest.raises(ConfigError, match="must not be negative"):
        open_loans(make_crm, enabled=ENABLED, rewards={"rules": {"referral": -5}})
    with pytest.raises(ConfigError, match="points"):
        open_loans(make_crm, enabled=ENABLED,
                   rewards={"catalogue": {"x": {"name": "X", "points": 0}}})
