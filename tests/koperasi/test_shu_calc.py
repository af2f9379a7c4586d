"""SHU arithmetic without a database: worked examples by hand, and properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm.errors import ValidationError
from koperasi_xyz.shu.calc import (
    MemberBasis,
    compute_distribution,
    distribution_from_dict,
    distribution_to_dict,
)
from koperasi_xyz.shu.rules import ShuSettings, YearRules, resolve_rules


def rules(allocation: dict, **kw):
    alloc = {k: Decimal(str(v)) for k, v in allocation.items()}
    split = {k: Decimal(str(v)) for k, v in kw.pop("member_split", {}).items()}
    year = YearRules(allocation=alloc, member_split=split, **kw)
    return resolve_rules(ShuSettings(years={"2025": year}), 2025)


def basis(i: int, capital: int | Fraction, txn: int | Fraction) -> MemberBasis:
    return MemberBasis(member_id=i, number=f"XYZ-2024-{i:05d}", name=f"M{i}",
                       capital=Fraction(capital), transactions=Fraction(txn))


def test_worked_example_of_total_convention() -> None:
    """SHU Rp 10.000.001; cadangan 40, JM 20, JU 25, pengurus 5, pendidikan 5, sosial 5.

    Pools (floored):  JM = floor(10.000.001 × 0,20) = 2.000.000
                      JU = floor(10.000.001 × 0,25) = 2.500.000
                      pengurus = pendidikan = sosial = floor(500.000,05) = 500.000
                      cadangan = 10.000.001 − 6.000.000 = 4.000.001
                      (floor(10.000.001 × 0,40) = 4.000.000: 1 rupiah rounding remainder)
    JM: capital A = B = C = 1.000.000 (total 3.000.000): each 666.666,67 exactly;
        floors 666.666 × 3 = 1.999.998; the 2 rupiah left go to the largest remainders,
        which are equal, so the tie is broken by the other basis (transactions): A and C,
        who paid interest, get one each: A 666.667, B 666.666, C 666.667.
    JU: interest A 300.000, B 0, C 200.000 (total 500.000):
        A = 2.500.000 × 3/5 = 1.500.000, C = 2.500.000 × 2/5 = 1.000.000, B = 0.
    SHU: A 2.166.667, B 666.666, C 1.666.667; together 4.500.000 = JM + JU.
    """
    r = rules({"cadangan": 40, "jasa_modal": 20, "jasa_usaha": 25, "pengurus": 5,
               "pendidikan": 5, "sosial": 5})
    d = compute_distribution(2025, 10_000_001, r, [
        basis(1, 1_000_000, 300_000), basis(2, 1_000_000, 0), basis(3, 1_000_000, 200_000)])
    assert d.pools == {"cadangan": 4_000_001, "jasa_modal": 2_000_000, "jasa_usaha": 2_500_000,
                       "pengurus": 500_000, "pendidikan": 500_000, "sosial": 500_000}
    assert d.rounding_to_reserve == 1
    assert [(m.jasa_modal, m.jasa_usaha, m.total) for m in d.members] == [
        (666_667, 1_500_000, 2_166_667), (666_666, 0, 666_666), (666_667, 1_000_000, 1_666_667)]
    assert d.members_total == 4_500_000


def test_worked_example_member_share_convention() -> None:
    """SHU Rp 7.777.777; cadangan 30, jasa anggota 50 (split JM 40 / JU 60), pengurus 10,
    pendidikan 10.

    Member share = floor(7.777.777 × 0,50) = floor(3.888.888,5) = 3.888.888, split 40/60:
        JM exact 1.555.555,2, JU exact 2.333.332,8; floors sum to 3.888.887, the 1 rupiah
        left goes to the larger remainder (JU): JM 1.555.555, JU 2.333.333.
    pengurus = pendidikan = floor(777.777,7) = 777.777.
    cadangan = 7.777.777 − 3.888.888 − 2 × 777.777 = 2.333.335 (exact 2.333.333,1: +2 rounding).
    JM: capital A 400.000, B 600.000, C 0 → A 622.222, B 933.333 (exact), C 0.
    JU: interest A 10.000, B 20.000, C 0 → exact A 777.777,67, B 1.555.555,33;
        floors 2.333.332, 1 left to the largest remainder (A): A 777.778, B 1.555.555.
    SHU: A 1.400.000, B 2.488.888, C 0.
    """
    r = rules({"cadangan": 30, "jasa_anggota": 50, "pengurus": 10, "pendidikan": 10},
              convention="member_share", member_split={"jasa_modal": 40, "jasa_usaha": 60})
    d = compute_distribution(2025, 7_777_777, r, [
        basis(1, 400_000, 10_000), basis(2, 600_000, 20_000), basis(3, 0, 0)])
    assert d.pools["jasa_modal"] == 1_555_555 and d.pools["jasa_usaha"] == 2_333_333
    assert d.pools["cadangan"] == 2_333_335 and d.rounding_to_reserve == 2
    assert d.pools["pengurus"] == d.pools["pendidikan"] == 777_777
    assert [m.total for m in d.members] == [1_400_000, 2_488_888, 0]
    assert [m.jasa_usaha for m in d.members] == [777_778, 1_555_555, 0]


def test_pool_nobody_can_claim_goes_to_reserve() -> None:
    """No member paid interest: JU 25% of 1.000.000 = 250.000 joins cadangan 400.000."""
    r = rules({"cadangan": 40, "jasa_modal": 20, "jasa_usaha": 25, "pengurus": 15})
    d = compute_distribution(2025, 1_000_000, r, [basis(1, 500, 0), basis(2, 1500, 0)])
    assert d.pools["jasa_usaha"] == 0 and d.pools["cadangan"] == 650_000
    assert [m.jasa_modal for m in d.members] == [50_000, 150_000]
    assert any("jasa usaha" in n for n in d.notes)


def test_negative_shu_is_refused() -> None:
    r = rules({"cadangan": 50, "jasa_modal": 25, "jasa_usaha": 25})
    with pytest.raises(ValidationError, match="loss"):
        compute_distribution(2025, -1, r, [])


def test_snapshot_round_trip_is_exact() -> None:
    r = rules({"cadangan": 50, "jasa_modal": 25, "jasa_usaha": 25})
    d = compute_distribution(2025, 999_999, r, [basis(1, Fraction(1_000_001, 12), 7),
                                                 basis(2, 3, 0)])
    assert distribution_from_dict(distribution_to_dict(d)) == d


# --- properties ------------------------------------------------------------------

@st.composite
def allocations(draw):
    """Six allocations in tenths of a percent that sum to exactly 100%."""
    cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=5, max_size=5)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 1000], strict=True)]
    names = ["cadangan", "jasa_modal", "jasa_usaha", "pengurus", "pendidikan", "sosial"]
    return {n: Decimal(p) / 10 for n, p in zip(names, parts, strict=True)}


members_st = st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**8)),
                      min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(total=st.integers(0, 10**12), allocation=allocations(), members=members_st)
def test_pools_sum_to_shu_and_shares_sum_to_pools(total, allocation, members) -> None:
    r = rules(allocation)
    d = compute_distribution(2025, total, r, [basis(i, c, t)
                                              for i, (c, t) in enumerate(members)])
    assert sum(d.pools.values()) == total
    assert all(v >= 0 for v in d.pools.values())
    assert sum(m.jasa_modal for m in d.members) == d.pools["jasa_modal"]
    assert sum(m.jasa_usaha for m in d.members) == d.pools["jasa_usaha"]
    # every share is within one rupiah of its exact value
    cap = sum(Fraction(c) for c, _ in members)
    for m in d.members:
        if cap:
            assert abs(m.jasa_modal - d.pools["jasa_modal"] * m.capital / cap) < 1


@settings(max_examples=150, deadline=None)
@given(total=st.integers(0, 10**11), allocation=allocations(), members=members_st,
       capital=st.integers(1, 10**9), txn=st.integers(0, 10**8), data=st.data())
def test_twice_the_capital_never_gets_less(total, allocation, members, capital, txn,
                                           data) -> None:
    """Members X (capital c) and Y (capital 2c), same transactions: Y's SHU ≥ X's."""
    others = [basis(i, c, t) for i, (c, t) in enumerate(members)]
    x, y = basis(900, capital, txn), basis(901, 2 * capital, txn)
    pos_x = data.draw(st.integers(0, len(others)))
    pos_y = data.draw(st.integers(0, len(others) + 1))
    everyone = list(others)
    everyone.insert(pos_x, x)
    everyone.insert(pos_y, y)
    d = compute_distribution(2025, total, rules(allocation), everyone)
    share = {m.member_id: m for m in d.members}
    assert share[901].total >= share[900].total
    assert share[901].jasa_modal >= share[900].jasa_modal
