"""SHU settings: the AD/ART allocation of each fiscal year and the bases of the shares.

The settings live in ``[plugins."koperasi_xyz.shu"]`` of ``dyncrm.toml``.  The
allocation percentages are set by the AD/ART (or a RAT decision) and may change
from year to year, so they are given per fiscal year; there is deliberately no
default set.  Two conventions are accepted:

``of_total``
    ``jasa_modal`` and ``jasa_usaha`` are percentages of the whole SHU, like
    every other allocation (cadangan, pengurus, ...).

``member_share``
    the allocation names one ``jasa_anggota`` share (SHU bagian anggota), which
    ``member_split`` divides again into ``jasa_modal`` and ``jasa_usaha``
    (percentages of the member share, summing to 100).

Money conventions (issue 13; docs/koperasi-xyz.md, "SHU conventions"):

``rounding``
    ``largest_remainder`` (default): member shares floored, the rupiah left go
    one each to the largest remainders, so the shares sum to the pool.
    ``truncate``: each member's jasa modal and jasa usaha truncated to the
    rupiah, as published worked examples do; what is left goes to the
    ``rounding_pool`` allocation (default ``cadangan``; e.g. ``pembulatan`` for
    a *dana pembulatan*).
``units`` and a year's ``jasa_usaha_split``
    several business units, each distributing its part of the jasa usaha pool
    on its own basis: ``interest`` (jasa pinjaman paid), ``principal`` (loan
    principal disbursed) or ``purchases`` (imported with ``dyncrm shu
    purchases import``).
``pph_rate`` and ``pph_threshold``
    PPh on the SHU paid to members (a dividend: PPh final, 10% under PP 19/2009
    — verify the current rules), withheld from every share above the threshold,
    on the whole share, truncated to the rupiah; 0 (the default) withholds none.

Either way the percentages must sum to exactly 100; reading the configuration
refuses otherwise (a :class:`~dyncrm.errors.ConfigError`, so every command
stops before it works with a wrong split) and says by how much they miss.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import attrs

from dyncrm.errors import ConfigError, ValidationError

PLUGIN = "koperasi_xyz.shu"
CONVENTIONS = ("of_total", "member_share")
CAPITAL_AVERAGES = ("year_end", "monthly")
TRANSACTION_BASES = ("interest", "principal")
PAYOUTS = ("sukarela", "cash")
ROUNDINGS = ("largest_remainder", "truncate")
UNIT_BASES = ("interest", "principal", "purchases")
MEMBER_POOLS = ("jasa_modal", "jasa_usaha")
MEMBER_SHARE = "jasa_anggota"
RESERVE = "cadangan"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: Indonesian labels of the usual allocations (others are shown by their key).
POOL_LABELS = {
    "cadangan": "Dana cadangan",
    "jasa_modal": "Jasa modal",
    "jasa_usaha": "Jasa usaha",
    "jasa_anggota": "Jasa anggota",
    "pengurus": "Dana pengurus",
    "pengawas": "Dana pengawas",
    "karyawan": "Dana karyawan",
    "pendidikan": "Dana pendidikan",
    "sosial": "Dana sosial",
    "pembangunan": "Dana pembangunan daerah kerja",
    "pembulatan": "Dana pembulatan",
}


def _choice(options: tuple[str, ...]):
    def check(instance, attribute, value):
        if value is not None and value not in options:
            raise ValueError(f"{attribute.name} must be one of {', '.join(options)}, "
                             f"not {value!r}")
    return check


def _rate_percent(instance, attribute, value):
    if value is not None and not 0 <= value <= 100:
        raise ValueError(f"{attribute.name} is a percentage (0-100), not {value}")


def _not_negative(instance, attribute, value):
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must not be negative, not {value}")


@attrs.frozen
class BusinessUnit:
    """A business unit with its own jasa usaha pool: ``basis`` and an Indonesian label."""

    basis: str = attrs.field(validator=_choice(UNIT_BASES))
    label: str = ""


@attrs.frozen
class YearRules:
    """The AD/ART allocation of one fiscal year, and optional overrides of the bases."""

    allocation: dict[str, Decimal] = attrs.field(factory=dict)
    convention: str = attrs.field(default="of_total", validator=_choice(CONVENTIONS))
    member_split: dict[str, Decimal] = attrs.field(factory=dict)
    decision: str = ""  # e.g. "Keputusan RAT 2026 no. 3", printed on the report
    capital_sukarela: bool | None = None
    capital_average: str | None = attrs.field(default=None,
                                              validator=_choice(CAPITAL_AVERAGES))
    transactions: str | None = attrs.field(default=None, validator=_choice(TRANSACTION_BASES))
    include_applicants: bool | None = None
    include_leavers: bool | None = None
    payout: str | None = attrs.field(default=None, validator=_choice(PAYOUTS))
    #: % of the jasa usaha pool per business unit (keys of ``units``), summing to 100
    jasa_usaha_split: dict[str, Decimal] = attrs.field(factory=dict)
    rounding: str | None = attrs.field(default=None, validator=_choice(ROUNDINGS))
    rounding_pool: str | None = None
    pph_rate: Decimal | None = attrs.field(default=None, validator=_rate_percent)
    pph_threshold: Decimal | None = attrs.field(default=None, validator=_not_negative)


@attrs.frozen
class ShuSettings:
    """``[plugins."koperasi_xyz.shu"]``: the bases of the shares and who approves.

    :ivar capital_sukarela: count simpanan sukarela in the capital (jasa modal) basis.
    :ivar capital_average: ``year_end`` balance (default) or ``monthly``: the
        average of the twelve month-end balances (fairer to mid-year joiners).
    :ivar transactions: jasa usaha basis: ``interest`` (jasa pinjaman paid in the
        year, default) or ``principal`` (loan principal disbursed in the year).
    :ivar include_applicants: also share with applicants (calon anggota) at year end.
    :ivar include_leavers: also share with members who left during the year.
    :ivar payout: ``sukarela`` credits each share to the member's simpanan
        sukarela; ``cash`` makes it payable (``payable.shu``) for payout.
    :ivar chair: user names who approve as the chair (ketua); users with role
        ``admin`` may approve as chair too.
    :ivar years: the allocation per fiscal year, e.g. ``years.2025``.
    :ivar rounding: ``largest_remainder`` (default) or ``truncate`` (each share
        truncated to the rupiah, the leftover to ``rounding_pool``).
    :ivar rounding_pool: the allocation that takes the truncation leftover
        (default ``cadangan``; a name not in the allocation is a new fund).
    :ivar units: business units, each with its jasa usaha basis; a year's
        ``jasa_usaha_split`` divides the jasa usaha pool among them.
    :ivar pph_rate: PPh withheld from members' SHU, percent (default 0: none).
    :ivar pph_threshold: shares up to this amount (rupiah) are not taxed.
    """

    capital_sukarela: bool = False
    capital_average: str = attrs.field(default="year_end", validator=_choice(CAPITAL_AVERAGES))
    transactions: str = attrs.field(default="interest", validator=_choice(TRANSACTION_BASES))
    include_applicants: bool = False
    include_leavers: bool = False
    payout: str = attrs.field(default="sukarela", validator=_choice(PAYOUTS))
    chair: tuple[str, ...] = ()
    years: dict[str, YearRules] = attrs.field(factory=dict)
    rounding: str = attrs.field(default="largest_remainder", validator=_choice(ROUNDINGS))
    rounding_pool: str = RESERVE
    units: dict[str, BusinessUnit] = attrs.field(factory=dict)
    pph_rate: Decimal = attrs.field(default=Decimal(0), validator=_rate_percent)
    pph_threshold: Decimal = attrs.field(default=Decimal(0), validator=_not_negative)

    def __attrs_post_init__(self) -> None:
        for name in self.units:
            if not _NAME_RE.match(name):
                raise ValueError(f"units: {name!r} is not a valid unit name (use lower-case "
                                 "letters, digits and _)")
        for key, rules in self.years.items():
            if not (key.isdigit() and len(key) == 4):
                raise ValueError(f"years: {key!r} is not a fiscal year such as 2025")
            if rules.allocation:
                _check_year(self, key, rules)


def _check_year(settings: ShuSettings, key: str, rules: YearRules) -> None:
    """Refuse a year's allocation when the configuration is read, not at ``shu compute``.

    A year listed without an allocation is allowed here (``shu compute`` says
    what is missing); an allocation that does not sum to 100 or mixes the
    conventions is a :class:`~dyncrm.errors.ConfigError` naming the year.
    """
    total = sum(rules.allocation.values(), Decimal(0))
    if total != 100:
        raise ConfigError(_miss(total, "SHU allocation", int(key)),
                          key=f"years.{key}.allocation",
                          expected="percentages summing to exactly 100",
                          found=f"{total.normalize():f}%")
    try:
        resolve_rules(settings, int(key))
    except ValidationError as exc:
        raise ConfigError(str(exc), key=f"years.{key}") from None


@attrs.frozen
class Rules:
    """The effective rules of one year: allocation as exact fractions, bases resolved."""

    year: int
    convention: str
    percentages: dict[str, Decimal]  # as configured (for the report)
    member_split: dict[str, Decimal]
    pools: dict[str, Fraction]  # share of the whole SHU for each non-member pool
    member_share: Fraction  # share of the whole SHU going to members (JM + JU)
    member_pools: dict[str, Fraction]  # jasa_modal / jasa_usaha as share of member_share
    capital_sukarela: bool
    capital_average: str
    transactions: str
    include_applicants: bool
    include_leavers: bool
    payout: str
    decision: str
    rounding: str = "largest_remainder"
    rounding_pool: str = RESERVE
    #: business unit -> (basis, share of the jasa usaha pool); empty: one pool
    units: dict[str, tuple[str, Fraction]] = attrs.field(factory=dict)
    unit_percentages: dict[str, Decimal] = attrs.field(factory=dict)
    unit_labels: dict[str, str] = attrs.field(factory=dict)
    pph_rate: Decimal = Decimal(0)
    pph_threshold: Decimal = Decimal(0)

    def as_dict(self) -> dict:
        """JSON-able view, stored with an approved snapshot.

        The conventions of issue 13 appear only when set, so a year computed on
        the defaults has the same snapshot (and digest) as before they existed.
        """
        extra: dict = {}
        if self.rounding != "largest_remainder":
            extra.update(rounding=self.rounding, rounding_pool=self.rounding_pool)
        if self.units:
            extra["units"] = {u: {"basis": b, "percent": str(self.unit_percentages[u]),
                                  "label": self.unit_labels.get(u, "")}
                              for u, (b, _) in self.units.items()}
        if self.pph_rate:
            extra.update(pph_rate=str(self.pph_rate), pph_threshold=str(self.pph_threshold))
        return {**extra, **{
            "year": self.year, "convention": self.convention,
            "percentages": {k: str(v) for k, v in self.percentages.items()},
            "member_split": {k: str(v) for k, v in self.member_split.items()},
            "capital_sukarela": self.capital_sukarela,
            "capital_average": self.capital_average, "transactions": self.transactions,
            "include_applicants": self.include_applicants,
            "include_leavers": self.include_leavers, "payout": self.payout,
            "decision": self.decision,
        }}


def _miss(total: Decimal, what: str, year: int) -> str:
    diff = total - 100
    how = f"{diff.normalize():f}% too much" if diff > 0 else f"{(-diff).normalize():f}% short"
    return (f"the {what} for {year} sums to {total.normalize():f}%, {how}; "
            "the AD/ART percentages must sum to exactly 100%")


def _check_names(table: dict[str, Decimal], where: str) -> None:
    for name, pct in table.items():
        if not _NAME_RE.match(name):
            raise ValidationError(f"{name!r} is not a valid allocation name (use lower-case "
                                  "letters, digits and _)", field=where)
        if pct < 0:
            raise ValidationError(f"{name} must not be negative ({pct}%)", field=where)


def resolve_rules(settings: ShuSettings, year: int) -> Rules:
    """The effective rules of ``year``; refuses a missing year or a sum other than 100."""
    rules = settings.years.get(str(year))
    where = f'plugins."{PLUGIN}".years.{year}'
    if rules is None or not rules.allocation:
        raise ValidationError(
            f"no SHU allocation for {year}: add the AD/ART percentages under "
            f"[{where}] allocation in dyncrm.toml")
    allocation = dict(rules.allocation)
    _check_names(allocation, f"{where}.allocation")
    total = sum(allocation.values(), Decimal(0))
    if total != 100:
        raise ValidationError(_miss(total, "SHU allocation", year))
    split = dict(rules.member_split)
    if rules.convention == "of_total":
        if MEMBER_SHARE in allocation or split:
            raise ValidationError(
                f"{where}: convention 'of_total' gives jasa_modal and jasa_usaha as % of the "
                "whole SHU; for a member share split again use convention = 'member_share'")
        missing = [p for p in MEMBER_POOLS if p not in allocation]
        if missing:
            raise ValidationError(f"{where}.allocation: {' and '.join(missing)} missing "
                                  "(write 0 if the AD/ART gives none)")
        member_share_pct = allocation["jasa_modal"] + allocation["jasa_usaha"]
        if member_share_pct:
            member_pools = {p: Fraction(allocation[p]) / Fraction(member_share_pct)
                            for p in MEMBER_POOLS}
        else:
            member_pools = {p: Fraction(0) for p in MEMBER_POOLS}
    else:
        if MEMBER_SHARE not in allocation:
            raise ValidationError(f"{where}.allocation: convention 'member_share' needs "
                                  f"{MEMBER_SHARE} (SHU bagian anggota)")
        if any(p in allocation for p in MEMBER_POOLS):
            raise ValidationError(f"{where}: with convention 'member_share', jasa_modal and "
                                  "jasa_usaha belong in member_split, not in allocation")
        _check_names(split, f"{where}.member_split")
        if set(split) != set(MEMBER_POOLS):
            raise ValidationError(f"{where}.member_split must give exactly jasa_modal and "
                                  "jasa_usaha (% of the member share)")
        split_total = sum(split.values(), Decimal(0))
        if split_total != 100:
            raise ValidationError(_miss(split_total, "member share split", year))
        member_share_pct = allocation[MEMBER_SHARE]
        member_pools = {p: Fraction(split[p]) / 100 for p in MEMBER_POOLS}
    pools = {name: Fraction(pct) / 100 for name, pct in allocation.items()
             if name not in MEMBER_POOLS and name != MEMBER_SHARE}
    pools.setdefault(RESERVE, Fraction(0))

    def pick(override, default):
        return default if override is None else override

    rounding_pool = pick(rules.rounding_pool, settings.rounding_pool)
    if not _NAME_RE.match(rounding_pool) or rounding_pool in MEMBER_POOLS \
            or rounding_pool == MEMBER_SHARE:
        raise ValidationError(f"{where}: rounding_pool {rounding_pool!r} must name a fund such "
                              "as cadangan or pembulatan, not a member pool")
    units: dict[str, tuple[str, Fraction]] = {}
    unit_split = dict(rules.jasa_usaha_split)
    if unit_split:
        unknown = sorted(set(unit_split) - set(settings.units))
        if unknown:
            raise ValidationError(f"{where}.jasa_usaha_split: {', '.join(unknown)} not among "
                                  f'the business units; add [plugins."{PLUGIN}".units.'
                                  f"{unknown[0]}] with its basis")
        if any(v < 0 for v in unit_split.values()):
            raise ValidationError(f"{where}.jasa_usaha_split: percentages must not be negative")
        split_total = sum(unit_split.values(), Decimal(0))
        if split_total != 100:
            raise ValidationError(_miss(split_total, "jasa usaha split", year))
        units = {u: (settings.units[u].basis, Fraction(p) / 100) for u, p in unit_split.items()}

    return Rules(
        rounding=pick(rules.rounding, settings.rounding), rounding_pool=rounding_pool,
        units=units, unit_percentages=unit_split,
        unit_labels={u: settings.units[u].label for u in units},
        pph_rate=pick(rules.pph_rate, settings.pph_rate),
        pph_threshold=pick(rules.pph_threshold, settings.pph_threshold),
        year=year, convention=rules.convention, percentages=allocation, member_split=split,
        pools=pools, member_share=Fraction(member_share_pct) / 100, member_pools=member_pools,
        capital_sukarela=pick(rules.capital_sukarela, settings.capital_sukarela),
        capital_average=pick(rules.capital_average, settings.capital_average),
        transactions=pick(rules.transactions, settings.transactions),
        include_applicants=pick(rules.include_applicants, settings.include_applicants),
        include_leavers=pick(rules.include_leavers, settings.include_leavers),
        payout=pick(rules.payout, settings.payout),
        decision=rules.decision,
    )


def pool_label(name: str) -> str:
    """The Indonesian label of an allocation."""
    return POOL_LABELS.get(name, "Dana " + name.replace("_", " "))
