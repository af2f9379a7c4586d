"""The deployment's own dyncrm.toml loads with every plugin it enables."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from dyncrm.app import open_crm
from koperasi_xyz import config_path
from koperasi_xyz.shu.service import rules_for


def test_the_shipped_config_loads_with_all_plugins(tmp_path: Path) -> None:
    target = tmp_path / "dyncrm.toml"
    shutil.copy(config_path(), target)
    with open_crm(target) as crm:
        crm.upgrade()
        org = crm.config.organisation
        assert org.name == "Koperasi Karyawan XYZ" and org.currency == "IDR"
        assert crm.config.currency_exponent == 0 and org.timezone == "Asia/Jakarta"
        assert crm.format_money(crm.money("1250000")) == "Rp 1.250.000"
        for name in crm.config.enabled:
            assert crm.is_enabled(name), name
        assert crm.plugin_config("acquire.registration").number_pattern == \
            "XYZ-{year}-{seq:05d}"
        savings = crm.plugin_config("expand.savings")
        assert savings.pokok.amount == 100_000 and savings.wajib.amount == 50_000
        products = crm.plugin_config("expand.loans").products
        konsumtif = products["konsumtif"]
        assert (konsumtif.method, konsumtif.rate, konsumtif.rate_unit) == \
            ("flat", Decimal(1), "per_month")
        assert (konsumtif.term_min, konsumtif.term_max) == (1, 36)
        assert konsumtif.limits.max_savings_multiple == 3
        assert konsumtif.limits.max_deduction_share == 35
        assert products["multiguna"].method == "annuity"
        assert sum(rules_for(crm, 2025).percentages.values()) == 100
        assert crm.plugin_config("koperasi_xyz.payroll").cap_percent == 35
