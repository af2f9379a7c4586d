"""SHU settings: per-year AD/ART percentages that must sum to exactly 100."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from dyncrm.errors import ConfigError, ValidationError
from koperasi_xyz.shu.rules import ShuSettings, YearRules, resolve_rules


def settings_for(allocation: dict, **kw) -> ShuSettings:
    alloc = {k: Decimal(v) for k, v in allocation.items()}
    split = {k: Decimal(v) for k, v in kw.pop("member_split", {}).items()}
    return ShuSettings(years={"2025": YearRules(allocation=alloc, member_split=split, **kw)})


def test_the_textbook_list_summing_to_105_is_refused_saying_by_how_much() -> None:
    """The much-copied list: 40 cadangan, 40 jasa anggota, 5 × 5 funds = 105%.

    Refused when the settings are read, not first at ``shu compute``.
    """
    with pytest.raises(ConfigError, match=r"sums to 105%, 5% too much") as info:
        settings_for({"cadangan": "40", "jasa_anggota": "40", "pengurus": "5",
                      "karyawan": "5", "pendidikan": "5", "sosial": "5", "pembangunan": "5"},
                     convention="member_share",
                     member_split={"jasa_modal": "30", "jasa_usaha": "70"})
    assert info.value.key == "years.2025.allocation" and info.value.found == "105%"


def test_short_allocation_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"sums to 92.5%, 7.5% short"):
        settings_for({"cadangan": "25", "jasa_modal": "20", "jasa_usaha": "30",
                      "pengurus": "7.5", "pendidikan": "5", "sosial": "5"})


def test_member_split_must_sum_to_100() -> None:
    with pytest.raises(ConfigError, match=r"member share split for 2025 sums to 90%"):
        settings_for({"cadangan": "60", "jasa_anggota": "40"}, convention="member_share",
                     member_split={"jasa_modal": "30", "jasa_usaha": "60"})


def test_a_year_without_allocation_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"no SHU allocation for 2024"):
        resolve_rules(settings_for({"cadangan": "100", "jasa_modal": "0",
                                    "jasa_usaha": "0"}), 2024)


def test_conventions_are_not_mixed() -> None:
    with pytest.raises(ConfigError, match="member_share"):
        settings_for({"cadangan": "50", "jasa_anggota": "50"})
    with pytest.raises(ConfigError, match="jasa_usaha missing"):
        settings_for({"cadangan": "50", "jasa_modal": "50"})


def test_both_conventions_resolve_to_shares_of_the_whole() -> None:
    a = resolve_rules(settings_for({"cadangan": "40", "jasa_modal": "16", "jasa_usaha": "24",
                                    "sosial": "20"}), 2025)
    b = resolve_rules(settings_for({"cadangan": "40", "jasa_anggota": "40", "sosial": "20"},
                                   convention="member_share",
                                   member_split={"jasa_modal": "40", "jasa_usaha": "60"}), 2025)
    for r in (a, b):
        assert r.member_share == Fraction(2, 5)
        assert r.member_share * r.member_pools["jasa_modal"] == Fraction(16, 100)
        assert r.pools == {"cadangan": Fraction(2, 5), "sosial": Fraction(1, 5)}


def test_year_overrides_the_bases() -> None:
    s = ShuSettings(capital_average="year_end", years={"2025": YearRules(
        allocation={"cadangan": Decimal(50), "jasa_modal": Decimal(25),
                    "jasa_usaha": Decimal(25)}, capital_average="monthly")})
    r = resolve_rules(s, 2025)
    assert r.capital_average == "monthly" and r.transactions == "interest"


def test_config_file_mistakes_are_config_errors(make_crm) -> None:
    with pytest.raises(ConfigError, match="capital_average"):
        make_crm(enabled=["koperasi_xyz.shu"],
                 plugins={"koperasi_xyz.shu": {"capital_average": "weekly"}})
    with pytest.raises(ConfigError, match="quotes"):
        make_crm(enabled=["koperasi_xyz.shu"], plugins={"koperasi_xyz.shu": {
            "years": {"2025": {"allocation": {"cadangan": 7.5}}}}})
    with pytest.raises(ConfigError, match="not a fiscal year"):
        make_crm(enabled=["koperasi_xyz.shu"], plugins={"koperasi_xyz.shu": {
            "years": {"tahun-ini": {"allocation": {"cadangan": "100"}}}}})
