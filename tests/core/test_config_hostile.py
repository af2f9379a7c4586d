"""Configuration written sloppily or wrongly: refused with exit 2, or loaded with a warning.

Every refusal names the file, the key, what was expected and what was found, and
happens before anything is written.  Representative cases go through the real
command line; the decimal rule is checked case by case.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from dyncrm.config import load_config, parse_config_decimal
from dyncrm.errors import ConfigError
from dyncrm.testing import run_cli

ORGANISATION = """\
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"
"""

REST = """
[database]
url = "sqlite:///crm.db"

[notify]
default_channel = "file"
"""


def deployment(tmp_path: Path, text: str) -> Path:
    """A config file in ``tmp_path`` and, when it is valid, its upgraded database."""
    path = tmp_path / "dyncrm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path, key: str, *fragments: str) -> str:
    """Run ``db status`` on ``path``: exit 2, the file, the key and ``fragments`` in stderr."""
    code, out, err = run_cli(["-c", str(path), "db", "status"])
    assert code == 2, (code, out, err)
    assert str(path) in err and f"[{key}]" in err, err
    assert "expected" in err and "found" in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err and "bug in dyncrm" not in err
    assert not (path.parent / "crm.db").exists(), "nothing may be written on refusal"
    return err


# --- amounts and decimals -------------------------------------------------------------


def savings(pokok: str) -> str:
    return (ORGANISATION + REST + '\n[plugins]\nenabled = ["expand.savings"]\n'
            f'\n[plugins."expand.savings".pokok]\namount = {pokok}\n')


def test_pokok_100_000_in_quotes_is_refused_as_ambiguous(tmp_path: Path) -> None:
    """The bug: ``pokok = "100.000"`` silently became Rp 100."""
    err = refused(deployment(tmp_path, savings('"100.000"')),
                  "plugins.expand.savings.pokok.amount", "ambiguous", "100000", "Rp 100.000")
    assert "found '100.000'" in err


@pytest.mark.parametrize("written", ['100000', '"100000"', '"Rp 100.000"', '"Rp100.000"',
                                     '"IDR 100.000"', '"Rp 100.000,00"', '"rp. 100.000"'])
def test_pokok_written_unambiguously_is_one_hundred_thousand(tmp_path: Path,
                                                             written: str) -> None:
    path = deployment(tmp_path, savings(written))
    code, _, err = run_cli(["-c", str(path), "db", "upgrade"])
    assert code == 0, err
    from dyncrm.app import open_crm

    with open_crm(path) as crm:
        assert crm.plugin_config("expand.savings").pokok.amount == Decimal(100000)


@pytest.mark.parametrize(("text", "value"), [
    ("7.5", "7.5"), ("2,5", "2.5"), ("0.125", "0.125"), ("-0.250", "-0.25"), ("12", "12"),
    ("100000", "100000"), (" 35 ", "35"), ("1.50", "1.5"), ("1000.5", "1000.5"),
    ("Rp 1.250.000", "1250000"), ("Rp 1.250.000,50", "1250000.50"), ("IDR 50.000", "50000"),
])
def test_decimal_rule_accepts(text: str, value: str) -> None:
    assert parse_config_decimal(text) == Decimal(value)


@pytest.mark.parametrize(("text", "hint"), [
    ("100.000", "ambiguous"), ("1,500", "ambiguous"), ("-2.500", "ambiguous"),
    ("+100.000", "ambiguous"), ("1000.000", "ambiguous"),
    ("1.250.000", "only after Rp"), ("1,250,000", "only after Rp"), ("1.250,50", "only after Rp"),
    ("NaN", "not a number"), ("Infinity", "not a number"), ("1e400", "not a number"),
    ("", "not a number"), ("12%", "not a number"), ("Rp", "not an amount"),
    ("Rp 12.34.5", "not an amount"),
])
def test_decimal_rule_refuses(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_config_decimal(text)


def test_ambiguous_decimal_in_a_percentage_says_what_to_write(tmp_path: Path) -> None:
    text = (ORGANISATION + REST + '\n[plugins]\nenabled = ["acquire.registration", '
            '"expand.savings", "expand.loans", "koperasi_xyz.payroll"]\n'
            '\n[plugins."koperasi_xyz.payroll"]\ncap_percent = "35,000"\n')
    refused(deployment(tmp_path, text), "plugins.koperasi_xyz.payroll.cap_percent",
            "ambiguous", '"35.0"', "35000")


# --- plugins, SHU -------------------------------------------------------------------------


def test_a_plugin_listed_twice_is_refused(tmp_path: Path) -> None:
    text = (ORGANISATION + REST
            + '\n[plugins]\nenabled = ["retain.faq", "expand.savings", "retain.faq"]\n')
    refused(deployment(tmp_path, text), "plugins.enabled", "'retain.faq' more than once")


def test_shu_percentages_not_summing_to_100_are_refused_at_load(tmp_path: Path) -> None:
    """The example deployment's own config with one percentage changed: 97.5%."""
    from importlib.resources import files

    shipped = (files("koperasi_xyz") / "dyncrm.toml").read_text(encoding="utf-8")
    assert shipped.count('pembangunan = "2.5"') == 2
    text = shipped.replace('pembangunan = "2.5"', 'pembangunan = "0"', 1)
    text = text.replace('url = "sqlite:///koperasi-xyz.db"', 'url = "sqlite:///crm.db"')
    refused(deployment(tmp_path, text), 'plugins.koperasi_xyz.shu.years.2025.allocation',
            "sums to 97.5%, 2.5% short", "summing to exactly 100")


def test_the_shipped_example_config_loads_without_warnings() -> None:
    from importlib.resources import files

    path = Path(str(files("koperasi_xyz") / "dyncrm.toml"))
    assert load_config(path).warnings == ()


# --- organisation -------------------------------------------------------------------------


def org(**changes: str) -> str:
    text = ORGANISATION
    for key, value in changes.items():
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key} =")]
        text = "\n".join([*lines, f"{key} = {value}"]) + "\n"
    return text + REST


@pytest.mark.parametrize(("tz", "suggestion"), [
    ('"WIB"', "'Asia/Jakarta'"), ('"wita"', "'Asia/Makassar'"), ('"WIT"', "'Asia/Jayapura'"),
    ('"Asia/Jakrta"', "'Asia/Jakarta'"), ('"UTC+7"', "'Asia/Jakarta'"),
    ('"../../etc/passwd"', "Asia/Jakarta"), ('""', "Asia/Jakarta"),
])
def test_timezone_abbreviation_is_refused_with_the_name_meant(tmp_path: Path, tz: str,
                                                              suggestion: str) -> None:
    """``timezone = "WIB"`` crashed with exit 4; now exit 2 suggesting the IANA name."""
    refused(deployment(tmp_path, org(timezone=tz)), "organisation.timezone",
            "not a timezone name", suggestion, "IANA")


@pytest.mark.parametrize(("currency", "fragment"), [
    ('"RPH"', "unknown currency"), ('"idr"', "unknown currency"), ('"Rupiah"', "IDR"),
    ('"POINTS"', "unknown currency"),
])
def test_unknown_currency_is_refused_with_the_known_ones(tmp_path: Path, currency: str,
                                                         fragment: str) -> None:
    refused(deployment(tmp_path, org(currency=currency).replace("currency_exponent = 0\n", "")),
            "organisation.currency", fragment, "IDR, JPY")


def test_another_iso_currency_loads_when_its_exponent_is_given(tmp_path: Path) -> None:
    config = load_config(deployment(tmp_path, org(currency='"THB"', currency_exponent="2")))
    assert config.organisation.currency == "THB" and config.currency_exponent == 2


@pytest.mark.parametrize("locale", ['"id-ID"', '"Indonesia"', '"fr_FR"', '"id"'])
def test_unknown_locale_is_refused_with_the_known_ones(tmp_path: Path, locale: str) -> None:
    err = refused(deployment(tmp_path, org(locale=locale)), "organisation.locale",
                  "unknown locale", "id_ID, en_US, en_GB")
    if locale == '"id-ID"':
        assert "did you mean 'id_ID'" in err


def test_a_missing_organisation_section_is_refused(tmp_path: Path) -> None:
    refused(deployment(tmp_path, REST), "organisation", "is missing", "currency, locale")


# --- secrets ------------------------------------------------------------------------------


def test_an_inline_smtp_password_loads_with_a_warning(tmp_path: Path) -> None:
    secret = "rahasia-kop-123"
    text = (org() + '\n[notify.smtp]\nhost = "smtp.example.id"\n'
            f'password = "{secret}"\n')
    path = deployment(tmp_path, text)
    assert load_config(path).notify.smtp.password == secret
    code, out, err = run_cli(["-c", str(path), "db", "upgrade"])
    assert code == 0, err
    assert "warning:" in err and "[notify.smtp.password]" in err
    assert '{ "$env" = "DYNCRM_NOTIFY_SMTP_PASSWORD" }' in err
    assert secret not in err and secret not in out, "the warning must not show the secret"


def test_a_password_from_the_environment_gives_no_warning(tmp_path: Path) -> None:
    text = org() + '\n[notify.smtp]\npassword = { "$env" = "KOP_SMTP_PW" }\n'
    path = deployment(tmp_path, text)
    code, _, err = run_cli(["-c", str(path), "db", "upgrade"], env={"KOP_SMTP_PW": "x"})
    assert code == 0, err
    assert "warning" not in err


def test_an_inline_gateway_token_warns_too(tmp_path: Path) -> None:
    text = (org() + '\n[plugins]\nenabled = ["retain.http_gateway"]\n'
            '\n[plugins."retain.http_gateway"]\nurl = "https://wa.example.id/send"\n'
            'token = "abc123"\n')
    warnings = load_config(deployment(tmp_path, text)).warnings
    assert len(warnings) == 1 and "[plugins.retain.http_gateway.token]" in warnings[0]


def test_config_error_keeps_its_parts_for_programs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(deployment(tmp_path, org(timezone='"WIB"')))
    assert info.value.key == "organisation.timezone" and info.value.found == "WIB"
    assert info.value.exit_code == 2
