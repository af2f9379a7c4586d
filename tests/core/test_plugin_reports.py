"""Hook ``dyncrm_reports``: a plugin's report joins the deployment's report command.

The third-party example (tests/plugins/dyncrm_visits, add-on ``visits.reports``)
offers a ``visits`` report; in the Koperasi XYZ deployment it becomes
``dyncrm laporan visits`` with table, CSV and PDF, and ``laporan semua`` writes it
beside the cooperative's own reports, which come through the same hook.
"""

from __future__ import annotations

import csv
import json
import types
from pathlib import Path

import pytest
from pdfs import pdf_pages

from dyncrm import hookimpl
from dyncrm.app import open_crm
from dyncrm.errors import PluginError
from dyncrm.plugins import get_plugin_manager
from dyncrm.reports import (
    Report,
    ReportBuilder,
    ReportOptions,
    build,
    collect,
)
from dyncrm.testing import run_cli
from dyncrm.values import Actor

ENABLED = ["acquire.registration", "expand.savings", "koperasi_xyz.reports", "visits",
           "visits.reports"]


def write_config(tmp_path: Path, enabled: list[str]) -> str:
    path = tmp_path / "dyncrm.toml"
    path.write_text("\n".join([
        "[organisation]", 'name = "Koperasi Uji"', 'currency = "IDR"', "currency_exponent = 0",
        'locale = "id_ID"', 'timezone = "Asia/Jakarta"', "",
        "[database]", 'url = "sqlite:///crm.db"', "",
        "[notify]", 'default_channel = "file"', 'file_directory = "outbox"', "",
        "[plugins]", "enabled = [" + ", ".join(f'"{n}"' for n in enabled) + "]",
        "", "[plugins.visits]", 'branch = "Cabang Sleman"', 'welcome_visit = false']) + "\n",
        encoding="utf-8")
    return str(path)


def cli_ok(*args: str) -> str:
    code, out, err = run_cli(list(args))
    assert code == 0, f"dyncrm {' '.join(args)} exited {code}: {err}"
    return out


@pytest.fixture
def deployment(tmp_path: Path, visits_installed: str) -> str:
    """Koperasi reports and the visits plugin enabled; two members, three visits."""
    from dyncrm_visits.service import log_visit

    config = write_config(tmp_path, ENABLED)
    cli_ok("-c", config, "db", "upgrade")
    with open_crm(config) as crm:
        with crm.database.atomic():
            crm.users.add("kasir", roles=["cashier"])
            crm.users.add("komite", roles=["credit_committee"])
        operator = Actor.operator()
        sri = crm.lifecycle.enrol(operator, "Sri Wahyuni", number="A-0001")
        tono = crm.lifecycle.enrol(operator, "Tono", number="A-0002")
        clerk = crm.actor("kasir")
        log_visit(crm, sri.id, clerk, note="tanya pinjaman", key="v1")
        log_visit(crm, tono.id, clerk, note="buka tabungan", branch="Kantor Pusat", key="v2")
        log_visit(crm, sri.id, clerk, note="setor", key="v3")
    return config


def test_hook_dyncrm_reports(deployment, tmp_path) -> None:
    """``laporan visits`` prints, writes CSV and PDF; ``--help`` lists it with its options."""
    listing = cli_ok("-c", deployment, "laporan", "--help")
    assert "visits" in listing and "Branch visits in a period" in listing
    assert "simpanan" in listing and "semua" in listing  # the deployment's own, same path
    helptext = cli_ok("-c", deployment, "laporan", "visits", "--help")
    assert "--from" in helptext and "--branch" in helptext and "--pdf" in helptext

    out = cli_ok("-c", deployment, "--as", "kasir", "laporan", "visits",
                 "--csv", str(tmp_path / "v.csv"), "--pdf", str(tmp_path / "v.pdf"))
    assert "Branch visits" in out and "Cabang Sleman" in out and "tanya pinjaman" in out
    rows = list(csv.DictReader((tmp_path / "v.csv").open(encoding="utf-8-sig")))
    visits = [r for r in rows if r["name"]]
    assert [(r["member"], r["note"]) for r in visits] == [
        ("A-0001", "tanya pinjaman"), ("A-0002", "buka tabungan"), ("A-0001", "setor")]
    (page,) = pdf_pages(tmp_path / "v.pdf")
    assert "Koperasi Uji" in page and "Branch visits" in page and "Halaman 1 dari 1" in page
    assert "Kantor Pusat" in page

    data = json.loads(cli_ok("-c", deployment, "--as", "kasir", "laporan", "visits",
                             "--branch", "Kantor Pusat", "--json"))["data"]
    assert data["name"] == "visits" and data["summary"] == [{"label": "Visits", "value": "1"},
                                                            {"label": "Branches", "value": "1"}]
    # a period without visits
    data = json.loads(cli_ok("-c", deployment, "--as", "kasir", "laporan", "visits",
                             "--from", "2020-01-01", "--to", "2020-12-31", "--json"))["data"]
    assert data["summary"][0] == {"label": "Visits", "value": "0"}


def test_laporan_semua_includes_the_plugins_report(deployment, tmp_path) -> None:
    folder = tmp_path / "semua"
    out = cli_ok("-c", deployment, "--as", "kasir", "laporan", "semua", "--dir", str(folder))
    names = sorted(Path(line).name for line in out.split())
    assert "laporan-visits.pdf" in names and "laporan-visits.csv" in names
    assert "laporan-simpanan.pdf" in names and "laporan-anggota.pdf" in names
    assert "laporan-pinjaman.pdf" not in names  # expand.loans is not enabled here
    assert "Branch visits" in pdf_pages(folder / "laporan-visits.pdf")[0]
    # the credit committee may print the cooperative's reports but not see the visit log
    folder2 = tmp_path / "komite"
    out = cli_ok("-c", deployment, "--as", "komite", "laporan", "semua", "--dir",
                 str(folder2))
    assert "laporan-simpanan.pdf" in out and "laporan-visits" not in out


def test_a_plugins_report_keeps_its_own_permission(deployment) -> None:
    code, _, err = run_cli(["-c", deployment, "--as", "komite", "laporan", "visits"])
    assert code == 1 and "visits.view" in err


def test_without_the_plugin_there_is_no_such_report(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, ENABLED[:3])
    cli_ok("-c", config, "db", "upgrade")
    listing = cli_ok("-c", config, "laporan", "--help")
    assert "visits" not in listing and "simpanan" in listing


# --- what the core checks -----------------------------------------------------------------


def _plugin(name: str, reports) -> types.ModuleType:
    module = types.ModuleType(name)

    def dyncrm_reports():
        return reports

    module.dyncrm_reports = hookimpl(dyncrm_reports)
    return module


def _builder(name: str, result=None) -> ReportBuilder:
    return ReportBuilder(name, f"The {name} report.",
                         lambda crm, options: result or Report(name=name, title=name.title()),
                         permission="members.view")


def test_collect_blames_the_plugin() -> None:
    one, two = _plugin("one", [_builder("same")]), _plugin("two", [_builder("same")])
    with pytest.raises(PluginError, match=r"plugin 'two'.*'same'.*plugin 'one'") as info:
        collect(get_plugin_manager([], extra=[("one", one), ("two", two)]))
    assert info.value.plugin == "two"
    wrong = _plugin("wrong", [{"name": "x"}])
    with pytest.raises(PluginError, match=r"plugin 'wrong'.*ReportBuilder") as info:
        collect(get_plugin_manager([], extra=[("wrong", wrong)]))
    found = collect(get_plugin_manager([], extra=[("one", one)]))
    assert list(found) == ["same"] and found["same"].plugin == "one"


def test_build_blames_a_builder_that_returns_something_else(make_crm) -> None:
    crm = make_crm()
    odd = ReportBuilder("odd", "Odd.", lambda crm, options: [{"a": 1}], permission="x.view")
    options = ReportOptions.on(crm.today())
    with pytest.raises(PluginError, match=r"built list, not a dyncrm\.reports\.Report"):
        build(crm, odd, options)
    assert build(crm, _builder("fine"), options).title == "Fine"


@pytest.mark.parametrize("kwargs", [
    {"name": "Bad Name"}, {"name": ""}, {"options": ("sometime",)},
    {"required": {"month"}},  # month is not among its options
])
def test_builder_values_refuse_mistakes(kwargs) -> None:
    base = {"name": "ok", "title": "t", "build": lambda crm, o: None, "permission": "p"}
    with pytest.raises(ValueError):
        ReportBuilder(**{**base, **kwargs})


def test_options_fill_in_dates() -> None:
    import datetime as dt

    o = ReportOptions.on(dt.date(2026, 3, 28), department="Umum")
    assert (o.as_of, o.since, o.until, o.month, o.year) == (
        dt.date(2026, 3, 28), dt.date(2026, 1, 1), dt.date(2026, 3, 28), None, None)
    assert o.get("department") == "Umum" and o.get("missing", "-") == "-"
    o = ReportOptions.on(dt.date(2026, 3, 28), until=dt.date(2025, 6, 30))
    assert o.since == dt.date(2025, 1, 1)
