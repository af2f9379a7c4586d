"""The integer largest-remainder split gives exactly what the Fraction one gave.

``reference_split`` is the earlier implementation (Fraction weights through the
core's ``allocate``, with the other basis as tie-break); the integer split of
``koperasi_xyz.shu.calc`` must agree with it part for part, including every
tie, on whole and fractional (monthly average) bases alike.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm.money import Money, allocate
from koperasi_xyz.shu.calc import MemberBasis, _split, compute_distribution
from koperasi_xyz.shu.rules import ShuSettings, YearRules, resolve_rules


def reference_split(units: int, weights: list[Fraction],
                    tiebreak: list[Fraction] | None = None) -> list[int]:
    """The Fraction-based split this module replaced (kept as the reference)."""
    if units == 0 or not weights:
        return [0] * len(weights)
    order = list(range(len(weights)))
    if tiebreak is not None:
        order.sort(key=lambda i: (-tiebreak[i], i))
    parts = allocate(Money(Decimal(units), "XXX"), [weights[i] for i in order], 0)
    result = [0] * len(weights)
    for i, part in zip(order, parts, strict=True):
        result[i] = int(part.amount)
    return result


# small values make equal remainders and equal tie-breaks common
weights_st = st.lists(st.integers(0, 6), min_size=1, max_size=30).filter(any)
twelfths = st.integers(0, 40).map(lambda n: Fraction(n, 12))


@settings(max_examples=120, deadline=None)
@given(units=st.integers(-10**6, 10**6), weights=weights_st, data=st.data())
def test_integer_split_matches_fraction_split(units, weights, data) -> None:
    tiebreak = data.draw(st.none() | st.lists(st.integers(0, 3), min_size=len(weights),
                                              max_size=len(weights)))
    expected = reference_split(units, [Fraction(w) for w in weights],
                               None if tiebreak is None else [Fraction(t) for t in tiebreak])
    assert _split(units, weights, tiebreak) == expected


@settings(max_examples=80, deadline=None)
@given(units=st.integers(0, 10**9), data=st.data(),
       weights=st.lists(twelfths, min_size=1, max_size=25).filter(any))
def test_fractional_weights_match(units, weights, data) -> None:
    tiebreak = data.draw(st.lists(twelfths, min_size=len(weights), max_size=len(weights)))
    assert _split(units, weights, tiebreak) == reference_split(units, weights, tiebreak)


@settings(max_examples=60, deadline=None)
@given(units=st.integers(0, 10**12),
       weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=40).filter(any))
def test_large_weights_match(units, weights) -> None:
    assert _split(units, weights) == reference_split(units, [Fraction(w) for w in weights])


def _rules(convention: str):
    if convention == "member_share":
        year = YearRules(allocation={"cadangan": Decimal(40), "jasa_anggota": Decimal(45),
                                     "pengurus": Decimal(15)},
                         convention="member_share",
                         member_split={"jasa_modal": Decimal(40), "jasa_usaha": Decimal(60)})
    else:
        year = YearRules(allocation={"cadangan": Decimal(40), "jasa_modal": Decimal(20),
                                     "jasa_usaha": Decimal(25), "pengurus": Decimal(15)})
    return resolve_rules(ShuSettings(years={"2025": year}), 2025)


@settings(max_examples=80, deadline=None)
@given(total=st.integers(0, 10**10), convention=st.sampled_from(["of_total", "member_share"]),
       members=st.lists(st.tuples(st.integers(-5, 50), st.integers(-2, 8)), min_size=1,
                        max_size=30),
       monthly=st.booleans())
def test_distribution_matches_fraction_bases(total, convention, members, monthly) -> None:
    """Whole bases (ints) and the same bases as Fractions give the same distribution, and
    every member line is what the reference split gives."""
    scale = 12 if monthly else 1

    def capital(c: int) -> int | Fraction:
        return Fraction(c * 1000 + 7, scale) if monthly else c * 1000

    ints = [MemberBasis(i, f"N{i:03d}", f"M{i}", capital(c), t * 100)
            for i, (c, t) in enumerate(members)]
    fracs = [MemberBasis(b.member_id, b.number, b.name, Fraction(b.capital),
                         Fraction(b.transactions)) for b in ints]
    rules = _rules(convention)
    got = compute_distribution(2025, total, rules, ints)
    ref = compute_distribution(2025, total, rules, fracs)
    assert got == ref
    cap = [max(Fraction(b.capital), Fraction(0)) for b in ints]
    txn = [max(Fraction(b.transactions), Fraction(0)) for b in ints]
    if sum(cap):
        assert [m.jasa_modal for m in got.members] == reference_split(
            got.pools["jasa_modal"], cap, txn)
    if sum(txn):
        assert [m.jasa_usaha for m in got.members] == reference_split(
            got.pools["jasa_usaha"], txn, cap)
