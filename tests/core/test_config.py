"""Configuration: every mistake names the file, the key, what was expected and found."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from dyncrm.config import (
    config_from_dict,
    find_config_path,
    load_config,
    secret_value,
    structure,
)
from dyncrm.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dyncrm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[organisation]\nname = "Kop"\n'))
    assert config.organisation.name == "Kop"
    assert config.database_url == f"sqlite:///{tmp_path / 'dyncrm.db'}"
    assert config.currency_exponent == 2  # ISO default for IDR
    assert config.enabled == ()


def test_missing_file_tells_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dyncrm init"):
        load_config(tmp_path / "nope.toml")


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[organisation\n"))


def test_wrong_type_names_file_key_expected_and_found(tmp_path: Path) -> None:
    path = write(tmp_path, '[organisation]\ncurrency_exponent = "zero"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "[organisation.currency_exponent]" in message
    assert "expected an integer, found 'zero'" in message


def test_unknown_section_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[organization\]"):
        load_config(write(tmp_path, '[organization]\nname = "x"\n'))
    with pytest.raises(ConfigError, match="unknown key 'nmae'"):
        load_config(write(tmp_path, '[organisation]\nnmae = "x"\n'))


def test_env_secrets_are_resolved(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "rahasia")
    text = '[organisation]\n[notify.smtp]\npassword = { "$env" = "SMTP_PASSWORD" }\n'
    config = load_config(write(tmp_path, text))
    assert config.notify.smtp.password == "rahasia"
    monkeypatch.delenv("SMTP_PASSWORD")
    # an unset variable loads (other commands keep working); using the value names it
    config = load_config(write(tmp_path, text))
    assert any("SMTP_PASSWORD" in w for w in config.warnings)
    with pytest.raises(ConfigError, match="SMTP_PASSWORD is not set"):
        str(config.notify.smtp.password)
    with pytest.raises(ConfigError, match=r"\[notify.smtp.password\].*SMTP_PASSWORD"):
        secret_value(config.notify.smtp.password)


def test_config_path_precedence(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DYNCRM_CONFIG", str(tmp_path / "env.toml"))
    assert find_config_path("explicit.toml") == Path("explicit.toml")
    assert find_config_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("DYNCRM_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert find_config_path(None) == tmp_path / "dyncrm.toml"


@attrs.frozen
class Product:
    rate: Decimal
    months: tuple[int, ...] = ()


def test_structure_keeps_decimals_exact_and_refuses_float() -> None:
    assert structure(Product, {"rate": "1.5", "months": [12, 24]}, "p").rate == Decimal("1.5")
    with pytest.raises(ConfigError, match="in quotes"):
        structure(Product, {"rate": 1.5}, "p")
    with pytest.raises(ConfigError, match=r"\[p.months\[1\]\]"):
        structure(Product, {"rate": "1", "months": [1, "x"]}, "p")
    with pytest.raises(ConfigError, match="incomplete"):
        structure(Product, {}, "p")


def test_enabled_must_be_a_list_of_names() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.enabled"):
        config_from_dict({"organisation": {}, "plugins": {"enabled": "expand.savings"}})
