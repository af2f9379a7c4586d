"""The SHU arithmetic, free of any database: pools, then each member's share.

Everything is exact: amounts are integer minor units (whole rupiah in Koperasi
XYZ), percentages are :class:`~fractions.Fraction`, and bases are whole minor
units (``int``) or, for a monthly average, a :class:`~fractions.Fraction`.
The member shares are split in integer arithmetic (no Fraction per member).  The formula
(domain notes §2.3)::

    pool_k      = floor(SHU × pct_k / 100)        every allocation but cadangan
    cadangan    = SHU − Σ other pools             (takes the rounding remainder)
    JM_member   = pool_JM × capital_member / Σ capital      (largest remainder)
    JU_member   = pool_JU × txn_member     / Σ txn          (largest remainder)
    SHU_member  = JM_member + JU_member

Largest remainder: each member gets the floor of the exact share; the rupiah
left over go one each to the largest remainders.  Equal remainders are broken
by the other basis (jasa modal by transactions, jasa usaha by capital), then by
member number, so a member with more capital and the same transactions never
gets less.

Conventions (issue 13): with ``rounding = "truncate"`` each member's jasa
modal and jasa usaha are the floor of the exact share and the rupiah left over
go to the ``rounding_pool`` allocation (the member pools shrink by as much);
with business units the jasa usaha pool is split by the units' percentages
(largest remainder) and each unit's part shared on the unit's own basis; with
a PPh rate, ``tax = floor(share × rate)`` is withheld from every share above the
threshold (the whole share is taxed, as PP 15/2009 and PP 19/2009 tax the
gross amount).

With the ``member_share`` convention the member share is floored once and
split into the jasa modal and jasa usaha pools by largest remainder, so
JM + JU is exactly the announced member share.  A member pool nobody can
claim (no capital, or no loan interest in the year) goes to cadangan.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from fractions import Fraction

import attrs

from dyncrm.errors import ValidationError

from .rules import MEMBER_POOLS, RESERVE, Rules


@attrs.frozen
class MemberBasis:
    """What one eligible member brings: capital and transactions, in minor units."""

    member_id: int
    number: str
    name: str
    capital: int | Fraction
    transactions: int | Fraction
    #: per business unit: the member's transactions on that unit's basis
    units: dict[str, int | Fraction] = attrs.field(factory=dict)


@attrs.frozen
class MemberShare:
    """One member's line of the distribution."""

    member_id: int
    number: str
    name: str
    capital: int | Fraction
    transactions: int | Fraction
    jasa_modal: int
    jasa_usaha: int
    #: per business unit: (transactions, jasa usaha); jasa_usaha is their sum
    units: dict[str, tuple[int | Fraction, int]] = attrs.field(factory=dict)
    #: PPh withheld (minor units)
    tax: int = 0

    @property
    def total(self) -> int:
        """Jasa modal plus jasa usaha (the gross share), in minor units."""
        return self.jasa_modal + self.jasa_usaha

    @property
    def net(self) -> int:
        """The share paid out: gross less the PPh withheld."""
        return self.total - self.tax


@attrs.frozen
class Distribution:
    """A whole year's SHU: pools and member lines (all amounts in minor units)."""

    year: int
    total: int
    pools: dict[str, int]  # every allocation incl. jasa_modal and jasa_usaha
    members: tuple[MemberShare, ...]
    capital_total: int | Fraction
    transactions_total: int | Fraction
    rounding_to_reserve: int
    notes: tuple[str, ...] = ()
    #: per business unit: (its part of the jasa usaha pool, its transactions total)
    units: dict[str, tuple[int, int | Fraction]] = attrs.field(factory=dict)
    #: rupiah left by truncating the member shares, and the allocation they went to
    truncation_leftover: int = 0
    rounding_pool: str = RESERVE

    @functools.cached_property
    def members_total(self) -> int:
        """Sum of the member shares (equals jasa modal + jasa usaha pools); summed once
        (reports read it several times)."""
        return sum(m.jasa_modal + m.jasa_usaha for m in self.members)

    @functools.cached_property
    def tax_total(self) -> int:
        """PPh withheld from all member shares (summed once)."""
        return sum(m.tax for m in self.members)


def _integer_weights(weights: list[int | Fraction]) -> list[int]:
    """The same proportions as whole numbers: every weight times the common denominator.

    Year-end balances and loan interest are already whole minor units (the
    common case: no Fraction is built); a monthly average has denominator 12.
    """
    common = 1
    for w in weights:
        if type(w) is not int:
            common = math.lcm(common, Fraction(w).denominator)
    if common == 1:
        return [int(w) for w in weights]
    return [int(w * common) for w in weights]


def _split(units: int, weights: list[int | Fraction],
           tiebreak: list[int | Fraction] | None = None) -> list[int]:
    """Largest-remainder split of whole minor units, in integer arithmetic.

    Each part is ``floor(units × w / W)``; the leftover units go one each to
    the largest remainders ``units × w mod W`` (comparing those integers is
    comparing the exact fractional parts, which share the denominator ``W``).
    Equal remainders go first to the larger ``tiebreak`` value, then to the
    earlier position: for jasa usaha the tie-break is capital and for jasa modal
    transactions, so a member who brings more never receives less.  The result
    is the core's :func:`~dyncrm.money.allocate` with that order, exactly.
    """
    if units == 0 or not weights:
        return [0] * len(weights)
    ws = _integer_weights(weights)
    if any(w < 0 for w in ws):
        raise ValidationError("weights must not be negative")
    total_weight = sum(ws)
    if total_weight == 0:
        raise ValidationError("cannot allocate by weights that are all zero")
    sign = -1 if units < 0 else 1
    units = abs(units)
    parts = []
    remainders = []
    for w in ws:
        q, r = divmod(units * w, total_weight)
        parts.append(q)
        remainders.append(r)
    leftover = units - sum(parts)
    if leftover:
        # largest remainder first, then the larger tie-break, then the earlier position
        ranked = zip([-r for r in remainders], range(len(ws)), strict=True) \
            if tiebreak is None else \
            zip([-r for r in remainders], [-t for t in tiebreak], range(len(ws)), strict=True)
        for entry in sorted(ranked)[:leftover]:
            parts[entry[-1]] += 1
    return [sign * p for p in parts] if sign < 0 else parts


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _truncate(units: int, weights: list[int | Fraction]) -> list[int]:
    """Each part ``floor(units × w / W)``: the textbook convention; the parts may
    sum to less than ``units`` (the caller sends the leftover to a pool)."""
    if units == 0 or not weights:
        return [0] * len(weights)
    ws = _integer_weights(weights)
    total_weight = sum(ws)
    return [units * w // total_weight for w in ws]


def withholding(gross: int, rate_percent: Decimal, threshold: int) -> int:
    """PPh on one member's share: ``floor(gross × rate / 100)`` above ``threshold``,
    nothing at or below it."""
    if gross <= threshold or not rate_percent:
        return 0
    return _floor(gross * Fraction(rate_percent) / 100)


def compute_distribution(year: int, total: int, rules: Rules,
                         bases: list[MemberBasis], *, exponent: int = 0) -> Distribution:
    """Split ``total`` minor units of SHU by ``rules`` among the members in ``bases``.

    Returns pools that sum to ``total`` exactly and member shares that sum to
    the jasa modal and jasa usaha pools exactly.  Negative bases count as zero.
    ``exponent`` converts the PPh threshold (in currency units) to minor units.
    """
    if total < 0:
        raise ValidationError(f"the SHU for {year} is negative (a loss); a loss is not "
                              "distributed to members")
    notes: list[str] = []
    pools: dict[str, int] = {}
    for name, share in rules.pools.items():
        if name != RESERVE:
            pools[name] = _floor(total * share)
    if rules.convention == "member_share":
        member_pool = _floor(total * rules.member_share)
        jm, ju = _split(member_pool, [rules.member_pools[p] for p in MEMBER_POOLS]) \
            if rules.member_share else (0, 0)
    else:
        jm = _floor(total * rules.member_share * rules.member_pools["jasa_modal"])
        ju = _floor(total * rules.member_share * rules.member_pools["jasa_usaha"])
    pools["jasa_modal"], pools["jasa_usaha"] = jm, ju
    reserve_exact = _floor(total * rules.pools[RESERVE])
    reserve = total - sum(pools.values())
    rounding = reserve - reserve_exact

    capital = [b.capital if b.capital > 0 else 0 for b in bases]
    txns = [b.transactions if b.transactions > 0 else 0 for b in bases]
    if any(b.capital < 0 for b in bases) or any(b.transactions < 0 for b in bases) \
            or any(v < 0 for b in bases for v in b.units.values()):
        notes.append("saldo negatif dihitung nol")
    capital_total = sum(capital)
    if pools["jasa_modal"] and capital_total == 0:
        notes.append("tidak ada anggota berhak yang memiliki modal: dana jasa modal "
                     "dimasukkan ke dana cadangan")
        reserve += pools["jasa_modal"]
        pools["jasa_modal"] = 0
    # the jasa usaha pool, whole or one part per business unit: (unit, units, weights)
    if rules.units:
        names = list(rules.units)
        unit_parts = _split(pools["jasa_usaha"], [rules.units[u][1] for u in names])
        ju_pools = [(u, part, [max(b.units.get(u, 0), 0) for b in bases])
                    for u, part in zip(names, unit_parts, strict=True)]
    else:
        ju_pools = [("", pools["jasa_usaha"], txns)]
    truncate = rules.rounding == "truncate"
    leftover = 0
    jm_parts = [0] * len(bases)
    if capital_total:
        jm_parts = _truncate(pools["jasa_modal"], capital) if truncate \
            else _split(pools["jasa_modal"], capital, txns)
        leftover += pools["jasa_modal"] - sum(jm_parts)
        pools["jasa_modal"] = sum(jm_parts)
    ju_parts = [0] * len(bases)
    unit_lines: list[dict[str, tuple[int | Fraction, int]]] = [{} for _ in bases]
    units_out: dict[str, tuple[int, int | Fraction]] = {}
    for unit, part, weights in ju_pools:
        weight_total = sum(weights)
        if part and weight_total == 0:
            where = f" unit {unit}" if unit else ""
            notes.append(f"tidak ada anggota berhak yang bertransaksi{where} dalam tahun buku: "
                         f"dana jasa usaha{where} dimasukkan ke dana cadangan")
            reserve += part
            pools["jasa_usaha"] -= part
            part = 0
        shares = [0] * len(bases)
        if part:
            shares = _truncate(part, weights) if truncate else _split(part, weights, capital)
            leftover += part - sum(shares)
            pools["jasa_usaha"] -= part - sum(shares)
        if unit:
            units_out[unit] = (sum(shares), weight_total)
            for i, (w, x) in enumerate(zip(weights, shares, strict=True)):
                unit_lines[i][unit] = (w, x)
        ju_parts = [a + b for a, b in zip(ju_parts, shares, strict=True)]
    txn_total = sum(txns) if not rules.units else sum(t for _, t in units_out.values())
    pools[RESERVE] = reserve
    if leftover:  # the report and the slip say where it went (truncation_leftover)
        pools[rules.rounding_pool] = pools.get(rules.rounding_pool, 0) + leftover
    threshold = int(rules.pph_threshold * 10 ** exponent)
    members = []
    for i, (b, m, u) in enumerate(zip(bases, jm_parts, ju_parts, strict=True)):
        members.append(MemberShare(
            member_id=b.member_id, number=b.number, name=b.name, capital=b.capital,
            transactions=b.transactions if not rules.units
            else sum((w for w, _ in unit_lines[i].values()), 0),
            jasa_modal=m, jasa_usaha=u, units=unit_lines[i],
            tax=withholding(m + u, rules.pph_rate, threshold)))
    members = tuple(members)
    ordered = {RESERVE: pools.pop(RESERVE), "jasa_modal": pools.pop("jasa_modal"),
               "jasa_usaha": pools.pop("jasa_usaha"), **pools}
    return Distribution(year=year, total=total, pools=ordered, members=members,
                        capital_total=capital_total, transactions_total=txn_total,
                        rounding_to_reserve=rounding, notes=tuple(notes), units=units_out,
                        truncation_leftover=leftover,
                        rounding_pool=rules.rounding_pool if leftover else RESERVE)


def fraction_text(value: int | Fraction) -> str:
    """``"1250000"`` for whole values, ``"1250000/3"`` otherwise (exact, for JSON)."""
    return str(value.numerator) if value.denominator == 1 else \
        f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> int | Fraction:
    """Inverse of :func:`fraction_text` (an ``int`` for a whole value)."""
    return int(text) if "/" not in text else Fraction(text)


def _member_dict(m: MemberShare) -> dict:
    out = {"member_id": m.member_id, "number": m.number, "name": m.name,
           "capital": fraction_text(m.capital), "transactions": fraction_text(m.transactions),
           "jasa_modal": m.jasa_modal, "jasa_usaha": m.jasa_usaha}
    if m.units:
        out["units"] = {u: [fraction_text(w), x] for u, (w, x) in m.units.items()}
    if m.tax:
        out["tax"] = m.tax
    return out


def distribution_to_dict(dist: Distribution) -> dict:
    """A JSON-able form of a distribution (the approved snapshot stores this).

    The keys of issue 13's conventions appear only when used, so a distribution
    on the defaults has the same form (and snapshot digest) as before.
    """
    extra: dict = {}
    if dist.units:
        extra["units"] = {u: [p, fraction_text(t)] for u, (p, t) in dist.units.items()}
    if dist.truncation_leftover:
        extra.update(truncation_leftover=dist.truncation_leftover,
                     rounding_pool=dist.rounding_pool)
    return {
        **extra,
        "year": dist.year, "total": dist.total, "pools": dict(dist.pools),
        "capital_total": fraction_text(dist.capital_total),
        "transactions_total": fraction_text(dist.transactions_total),
        "rounding_to_reserve": dist.rounding_to_reserve, "notes": list(dist.notes),
        "members": [_member_dict(m) for m in dist.members],
    }


def distribution_from_dict(data: dict) -> Distribution:
    """Rebuild a distribution from :func:`distribution_to_dict`."""
    return Distribution(
        year=data["year"], total=data["total"], pools=dict(data["pools"]),
        capital_total=parse_fraction(data["capital_total"]),
        transactions_total=parse_fraction(data["transactions_total"]),
        rounding_to_reserve=data["rounding_to_reserve"], notes=tuple(data["notes"]),
        units={u: (p, parse_fraction(t)) for u, (p, t) in data.get("units", {}).items()},
        truncation_leftover=data.get("truncation_leftover", 0),
        rounding_pool=data.get("rounding_pool", RESERVE),
        members=tuple(_member_from_dict(m) for m in data["members"]),
    )


def _member_from_dict(m: dict) -> MemberShare:
    capital, transactions = m["capital"], m["transactions"]
    return MemberShare(
        m["member_id"], m["number"], m["name"],
        int(capital) if "/" not in capital else Fraction(capital),
        int(transactions) if "/" not in transactions else Fraction(transactions),
        m["jasa_modal"], m["jasa_usaha"],
        {u: (parse_fraction(w), x) for u, (w, x) in m["units"].items()} if "units" in m
        else {},
        m.get("tax", 0))
