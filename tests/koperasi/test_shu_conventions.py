"""SHU money conventions (issue 13): rounding, business units, PPh on the shares.

Each convention is a setting; each is tested here against a worked example
computed by hand in the docstring or comments, and all of them together by a
property: whatever the convention, the pools sum exactly to the SHU and the
member shares exactly to the member pools.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm.errors import ConfigError
from koperasi_xyz.shu.calc import (
    MemberBasis,
    compute_distribution,
    distribution_from_dict,
    distribution_to_dict,
    withholding,
)
from koperasi_xyz.shu.rules import BusinessUnit, ShuSettings, YearRules, resolve_rules

SMALL = {"cadangan": 40, "jasa_modal": 20, "jasa_usaha": 30, "pendidikan": 10}
UNITS = {"simpan_pinjam": BusinessUnit("interest", "Unit simpan pinjam"),
         "toko": BusinessUnit("purchases", "Toko koperasi"),
         "kredit_barang": BusinessUnit("principal", "Kredit barang")}


def rules(allocation: dict, *, split: dict | None = None, year: dict | None = None, **kw):
    alloc = {k: Decimal(str(v)) for k, v in allocation.items()}
    year_rules = YearRules(allocation=alloc, jasa_usaha_split={
        k: Decimal(str(v)) for k, v in (split or {}).items()}, **(year or {}))
    return resolve_rules(ShuSettings(years={"2025": year_rules}, **kw), 2025)


def basis(i: int, capital: int, txn: int = 0, **units: int) -> MemberBasis:
    return MemberBasis(member_id=i, number=f"XYZ-{i:03d}", name=f"M{i}", capital=capital,
                       transactions=txn if not units else sum(units.values()), units=units)


SMALL_COOP = [basis(1, 100_000, 10_000), basis(2, 100_000, 20_000),
              basis(3, 100_000, 40_000)]


# --- rounding: largest remainder (default) vs truncate ----------------------------

def test_small_cooperative_largest_remainder_is_the_default() -> None:
    """SHU Rp 1.000.000; cadangan 40 %, JM 20 %, JU 30 %, pendidikan 10 %.

    Pools: JM 200.000, JU 300.000, pendidikan 100.000, cadangan 400.000 (all exact).
    JM: capital 100.000 each (total 300.000) → 200.000 / 3 = 66.666,67 each;
        floors 3 × 66.666 = 199.998; 2 rupiah to the largest remainders — all equal
        (2/3), so the other basis decides: C (interest 40.000) and B (20.000) get one:
        A 66.666, B 66.667, C 66.667.
    JU: interest A 10.000, B 20.000, C 40.000 (total 70.000):
        A 300.000 × 1/7 = 42.857,14; B × 2/7 = 85.714,29; C × 4/7 = 171.428,57;
        floors 42.857 + 85.714 + 171.428 = 299.999; 1 rupiah to the largest
        remainder (C, 0,57): C 171.429.
    SHU: A 109.523, B 152.381, C 238.096 = 500.000 = JM + JU pools.
    """
    d = compute_distribution(2025, 1_000_000, rules(SMALL), SMALL_COOP)
    assert d.pools == {"cadangan": 400_000, "jasa_modal": 200_000, "jasa_usaha": 300_000,
                       "pendidikan": 100_000}
    assert [(m.jasa_modal, m.jasa_usaha, m.total) for m in d.members] == [
        (66_666, 42_857, 109_523), (66_667, 85_714, 152_381), (66_667, 171_429, 238_096)]
    assert d.truncation_leftover == 0 and d.members_total == 500_000


def test_small_cooperative_truncated_leftover_to_reserve() -> None:
    """The same cooperative, ``rounding = "truncate"`` (the textbook way).

    JM: each floor(66.666,67) = 66.666; 3 × 66.666 = 199.998, leftover 2.
    JU: A floor(42.857,14) = 42.857, B floor(85.714,29) = 85.714,
        C floor(171.428,57) = 171.428; sum 299.999, leftover 1.
    Leftover 2 + 1 = 3 goes to the rounding pool, cadangan by default:
        cadangan 400.000 + 3 = 400.003; JM pool paid 199.998, JU pool paid 299.999.
    SHU: A 66.666 + 42.857 = 109.523, B 66.666 + 85.714 = 152.380,
         C 66.666 + 171.428 = 238.094; together 499.997 = 500.000 − 3.
    Check: 400.003 + 199.998 + 299.999 + 100.000 = 1.000.000.
    """
    d = compute_distribution(2025, 1_000_000, rules(SMALL, rounding="truncate"), SMALL_COOP)
    assert [(m.jasa_modal, m.jasa_usaha, m.total) for m in d.members] == [
        (66_666, 42_857, 109_523), (66_666, 85_714, 152_380), (66_666, 171_428, 238_094)]
    assert d.truncation_leftover == 3 and d.rounding_pool == "cadangan"
    assert d.pools == {"cadangan": 400_003, "jasa_modal": 199_998, "jasa_usaha": 299_999,
                       "pendidikan": 100_000}
    assert sum(d.pools.values()) == 1_000_000


def test_truncated_leftover_to_a_configured_fund() -> None:
    """``rounding_pool = "pembulatan"``: the 3 rupiah above make a fund of their own;
    cadangan stays 400.000 (a year may override the deployment's setting)."""
    r = rules(SMALL, year={"rounding": "truncate", "rounding_pool": "pembulatan"})
    d = compute_distribution(2025, 1_000_000, r, SMALL_COOP)
    assert d.pools == {"cadangan": 400_000, "jasa_modal": 199_998, "jasa_usaha": 299_999,
                       "pendidikan": 100_000, "pembulatan": 3}
    assert r.as_dict()["rounding"] == "truncate"


def test_rounding_pool_must_be_a_fund() -> None:
    with pytest.raises(ConfigError, match="rounding_pool 'jasa_modal' must name a fund"):
        rules(SMALL, rounding="truncate", rounding_pool="jasa_modal")


# --- several business units, each on its own basis --------------------------------

def test_two_units_each_on_its_own_basis() -> None:
    """SHU Rp 2.000.000; cadangan 50 %, JM 20 %, JU 30 %; JU split 60 % to the savings
    and loans unit (basis: loan interest paid), 40 % to the shop (basis: purchases).

    Pools: cadangan 1.000.000, JM 400.000, JU 600.000 → simpan pinjam 360.000, toko 240.000.
    JM by capital A 1.000.000, B 1.000.000, C 2.000.000 (total 4.000.000):
        A 100.000, B 100.000, C 200.000.
    Simpan pinjam by interest A 30.000, B 10.000, C 0 (total 40.000):
        A 360.000 × 3/4 = 270.000, B 360.000 × 1/4 = 90.000, C 0.
    Toko by purchases A 0, B 500.000, C 1.500.000 (total 2.000.000):
        B 240.000 × 1/4 = 60.000, C 240.000 × 3/4 = 180.000.
    SHU: A 100.000 + 270.000 = 370.000; B 100.000 + 90.000 + 60.000 = 250.000;
         C 200.000 + 180.000 = 380.000; together 1.000.000 = JM + JU.
    """
    r = rules({"cadangan": 50, "jasa_modal": 20, "jasa_usaha": 30}, units=UNITS,
              split={"simpan_pinjam": 60, "toko": 40})
    d = compute_distribution(2025, 2_000_000, r, [
        basis(1, 1_000_000, simpan_pinjam=30_000, toko=0),
        basis(2, 1_000_000, simpan_pinjam=10_000, toko=500_000),
        basis(3, 2_000_000, simpan_pinjam=0, toko=1_500_000)])
    assert d.pools == {"cadangan": 1_000_000, "jasa_modal": 400_000, "jasa_usaha": 600_000}
    assert d.units == {"simpan_pinjam": (360_000, 40_000), "toko": (240_000, 2_000_000)}
    assert [(m.jasa_modal, m.units["simpan_pinjam"][1], m.units["toko"][1], m.total)
            for m in d.members] == [(100_000, 270_000, 0, 370_000),
                                    (100_000, 90_000, 60_000, 250_000),
                                    (200_000, 0, 180_000, 380_000)]
    assert r.as_dict()["units"]["toko"] == {"basis": "purchases", "percent": "40",
                                             "label": "Toko koperasi"}


def test_unit_split_with_remainders_and_a_unit_nobody_used() -> None:
    """JU pool Rp 100.000 split 1/3 each over three units (33,34 / 33,33 / 33,33 %).

    Unit parts: exact 33.340 / 33.330 / 33.330 = 100.000 (no remainder at that level).
    Simpan pinjam 33.340 by interest A 1, B 2 (total 3): A 11.113,33, B 22.226,67 →
        floors 11.113 + 22.226 = 33.339, 1 rupiah to B (remainder 0,67): A 11.113, B 22.227.
    Toko 33.330 by purchases: A 0, B 0 → nobody bought: the part goes to cadangan.
    Kredit barang 33.330 by principal A 5, B 0: A 33.330.
    JU paid 33.340 + 33.330 = 66.670; cadangan 0 + 33.330 = 33.330.
    """
    r = rules({"cadangan": 0, "jasa_modal": 0, "jasa_usaha": 100}, units=UNITS,
              split={"simpan_pinjam": "33.34", "toko": "33.33", "kredit_barang": "33.33"})
    d = compute_distribution(2025, 100_000, r, [
        basis(1, 0, simpan_pinjam=1, toko=0, kredit_barang=5),
        basis(2, 0, simpan_pinjam=2, toko=0, kredit_barang=0)])
    assert [(m.units["simpan_pinjam"][1], m.units["kredit_barang"][1]) for m in d.members] \
        == [(11_113, 33_330), (22_227, 0)]
    assert d.pools == {"cadangan": 33_330, "jasa_modal": 0, "jasa_usaha": 66_670}
    assert any("unit toko" in n for n in d.notes)


def test_unit_split_must_name_known_units_and_sum_to_100() -> None:
    with pytest.raises(ConfigError, match="jasa usaha split for 2025 sums to 90%"):
        rules(SMALL, units=UNITS, split={"simpan_pinjam": 50, "toko": 40})
    with pytest.raises(ConfigError, match="gudang not among the business units"):
        rules(SMALL, units=UNITS, split={"simpan_pinjam": 50, "gudang": 50})
    with pytest.raises(ValueError, match="basis must be one of"):
        BusinessUnit("sales")


# --- PPh withheld from the shares --------------------------------------------------

def test_pph_ten_percent_above_a_threshold() -> None:
    """``pph_rate = 10``, ``pph_threshold = 500.000``: shares above Rp 500.000 pay 10 %
    of the whole share, truncated to the rupiah; shares at or below pay nothing.

    SHU 4.469.136, cadangan 50 %, JM 50 %: JM pool 2.234.568, capital equal to the share
    wanted (total 2.234.568), so each share equals its capital exactly:
        A 1.234.567 > 500.000: PPh floor(123.456,7) = 123.456, net 1.111.111;
        B 500.000 = threshold:   PPh 0,                           net 500.000;
        C 500.001 > 500.000:   PPh floor(50.000,1) = 50.000,     net 450.001.
    PPh withheld 173.456; the gross shares still sum to the JM pool.
    """
    r = rules({"cadangan": 50, "jasa_modal": 50, "jasa_usaha": 0},
              pph_rate=Decimal(10), pph_threshold=Decimal(500_000))
    d = compute_distribution(2025, 4_469_136, r, [basis(1, 1_234_567), basis(2, 500_000),
                                                   basis(3, 500_001)])
    assert [(m.total, m.tax, m.net) for m in d.members] == [
        (1_234_567, 123_456, 1_111_111), (500_000, 0, 500_000), (500_001, 50_000, 450_001)]
    assert d.tax_total == 173_456 and d.members_total == d.pools["jasa_modal"] == 2_234_568


def test_withholding_threshold_in_minor_units() -> None:
    """A currency with cents: the threshold 100 (units) is 10.000 minor units."""
    r = rules({"cadangan": 0, "jasa_modal": 100, "jasa_usaha": 0},
              pph_rate=Decimal("10"), pph_threshold=Decimal(100))
    d = compute_distribution(2025, 20_001, r, [basis(1, 1), basis(2, 1)], exponent=2)
    # 20.001 split in two: 10.001 (largest remainder, the earlier member) and 10.000
    assert [(m.total, m.tax) for m in d.members] == [(10_001, 1_000), (10_000, 0)]
    assert withholding(999, Decimal("12.5"), 0) == 124  # floor(124,875)


def test_snapshot_keeps_its_old_form_on_the_defaults() -> None:
    """Without the new conventions, the snapshot has exactly the keys it always had
    (so an approved year's digest does not change); with them it round-trips."""
    d = compute_distribution(2025, 1_000_000, rules(SMALL), SMALL_COOP)
    data = distribution_to_dict(d)
    assert set(data) == {"year", "total", "pools", "capital_total", "transactions_total",
                         "rounding_to_reserve", "notes", "members"}
    assert set(data["members"][0]) == {"member_id", "number", "name", "capital",
                                       "transactions", "jasa_modal", "jasa_usaha"}
    assert set(rules(SMALL).as_dict()) == {
        "year", "convention", "percentages", "member_split", "capital_sukarela",
        "capital_average", "transactions", "include_applicants", "include_leavers",
        "payout", "decision"}
    r = rules({"cadangan": 50, "jasa_modal": 20, "jasa_usaha": 30}, units=UNITS,
              split={"simpan_pinjam": 60, "toko": 40}, rounding="truncate",
              pph_rate=Decimal(10), pph_threshold=Decimal(0))
    d = compute_distribution(2025, 2_000_003, r, [
        basis(1, 1_000_000, simpan_pinjam=30_000, toko=7),
        basis(2, 1_000_001, simpan_pinjam=10_000, toko=500_000)])
    assert d.truncation_leftover and d.tax_total
    assert distribution_from_dict(distribution_to_dict(d)) == d


def test_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="pph_rate is a percentage"):
        ShuSettings(pph_rate=Decimal(110))
    with pytest.raises(ValueError, match="pph_threshold must not be negative"):
        ShuSettings(pph_threshold=Decimal(-1))
    with pytest.raises(ValueError, match="rounding must be"):
        ShuSettings(rounding="round_half_up")


# --- every convention: the parts sum to the whole ------------------------------

members_st = st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**8),
                                st.integers(0, 10**8), st.integers(0, 10**8)),
                      min_size=1, max_size=20)


@st.composite
def percents(draw, names: list[str]):
    """Percentages in hundredths summing to exactly 100 over ``names``."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=len(names) - 1,
                                max_size=len(names) - 1)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    return {n: Decimal(p) / 100 for n, p in zip(names, parts, strict=True)}


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 10**12),
       allocation=percents(["cadangan", "jasa_modal", "jasa_usaha", "pengurus", "sosial"]),
       split=st.one_of(st.none(), percents(["simpan_pinjam", "toko", "kredit_barang"])),
       rounding=st.sampled_from(["largest_remainder", "truncate"]),
       rounding_pool=st.sampled_from(["cadangan", "pembulatan", "sosial"]),
       pph=st.sampled_from([(0, 0), (10, 0), (10, 240_000), (15, 10**6)]),
       members=members_st)
def test_every_convention_sums_exactly_to_the_shu(total, allocation, split, rounding,
                                                  rounding_pool, pph, members) -> None:
    r = rules(allocation, units=UNITS if split else {}, split=split, rounding=rounding,
              rounding_pool=rounding_pool, pph_rate=Decimal(pph[0]),
              pph_threshold=Decimal(pph[1]))
    bases = [basis(i, c, t) if not split else
             basis(i, c, simpan_pinjam=t, toko=p, kredit_barang=q)
             for i, (c, t, p, q) in enumerate(members)]
    d = compute_distribution(2025, total, r, bases)
    assert sum(d.pools.values()) == total
    assert all(v >= 0 for v in d.pools.values())
    assert sum(m.jasa_modal for m in d.members) == d.pools["jasa_modal"]
    assert sum(m.jasa_usaha for m in d.members) == d.pools["jasa_usaha"]
    assert d.members_total + sum(v for k, v in d.pools.items()
                                 if k not in ("jasa_modal", "jasa_usaha")) == total
    if split:
        assert sum(part for part, _ in d.units.values()) == d.pools["jasa_usaha"]
        for m in d.members:
            assert sum(x for _, x in m.units.values()) == m.jasa_usaha
    if rounding == "truncate":  # fewer than one rupiah per member and pool lost to each
        assert 0 <= d.truncation_leftover < 2 * len(members) * (1 + len(split or {1: 0}))
    else:
        assert d.truncation_leftover == 0
    for m in d.members:
        assert 0 <= m.tax <= m.total and m.net == m.total - m.tax
        assert (m.tax == 0) == (m.total <= pph[1] or not pph[0] or m.total * pph[0] < 100)
        assert m.tax == m.total * pph[0] // 100 or m.total <= pph[1]
    assert distribution_from_dict(distribution_to_dict(d)) == d
    # truncation: each jasa modal is the floor of the exact share of the pool before
    cap = sum(Fraction(c) for c, *_ in members)
    if rounding == "truncate" and cap:
        pool = total * Fraction(allocation["jasa_modal"]) // 100
        for m, (c, *_) in zip(d.members, members, strict=True):
            assert m.jasa_modal == pool * c // cap
