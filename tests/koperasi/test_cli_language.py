"""Koperasi XYZ's command line speaks Indonesian, from --help to errors; others English.

The texts are found where they are written (:mod:`dyncrm.i18n_tools`): every command
of the deployment walked for its help, the sentences errors are raised with and the
columns of the tables commands show read from the source, click's own sentences.
Every help text, error sentence, table column, line a command prints (``click.echo``,
``output.action``, ``crm.t`` in a command) and click sentence must have an Indonesian
translation: a new one without it fails until its ``.po`` entry is filled in.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

import pytest

from dyncrm.i18n import check_catalogue
from dyncrm.i18n_tools import missing
from dyncrm.testing import run_cli

ROOT = Path(__file__).resolve().parents[2]
KXYZ_CONFIG = ROOT / "examples" / "koperasi_xyz" / "dyncrm.toml"


@pytest.fixture(autouse=True)
def deployments_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployment's own language here (tests/conftest.py has the others in English)."""
    monkeypatch.delenv("DYNCRM_LANGUAGE", raising=False)


@pytest.fixture(scope="module")
def untranslated() -> dict[str, dict[str, str]]:
    return missing(KXYZ_CONFIG, "id_ID")


def _listed(found: dict[str, str]) -> str:
    return "\n".join(f"  {module}: {text!r}" for text, module in sorted(found.items()))


@pytest.mark.parametrize("kind", ["help", "errors", "tables", "messages", "click"])
def test_every_user_facing_text_is_in_indonesian(untranslated, kind):
    assert not untranslated[kind], (
        f"texts without an Indonesian translation ({kind}); add them with "
        f"'python -m dyncrm.i18n_tools update', translate the .po, then compile:\n"
        + _listed(untranslated[kind]))


def catalogues() -> list[Path]:
    return sorted(p for base in ("src", "plugins", "examples")
                  for p in (ROOT / base).rglob("locales/*/LC_MESSAGES/*.po"))


def test_the_catalogues_are_found() -> None:
    names = {p.name for p in catalogues()}
    assert {"dyncrm.po", "click.po", "koperasi_xyz.po", "loans.po", "savings.po"} <= names


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_compiled_catalogue_is_that_of_its_po(po: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    fresh = io.BytesIO()
    write_mo(fresh, catalog)
    fresh.seek(0)
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"compile it: python -m dyncrm.i18n_tools compile ({mo})"
    with mo.open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert shipped._catalog == gettext.GNUTranslations(fresh)._catalog, \
        f"{mo} is older than its .po; run: python -m dyncrm.i18n_tools compile"
    translated = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string}
    assert check_catalogue(translated) == []


# --- what a person sees -------------------------------------------------------------------


def deployment(tmp_path: Path, source: str | None) -> Path:
    args = ["init", str(tmp_path), "--admin-password-stdin"]
    if source:
        args += ["--from", source]
    code, _, err = run_cli(args, input="sangat-rahasia-1\n")
    assert code == 0, err
    return tmp_path / "dyncrm.toml"


@pytest.fixture(scope="module")
def kxyz(tmp_path_factory) -> Path:
    return deployment(tmp_path_factory.mktemp("kxyz"), "koperasi_xyz")


@pytest.fixture(scope="module")
def default(tmp_path_factory) -> Path:
    config = deployment(tmp_path_factory.mktemp("plain"), None)
    config.write_text(config.read_text().replace('locale = "id_ID"', 'locale = "en_GB"'))
    return config


def test_koperasi_xyz_help_is_indonesian(kxyz: Path) -> None:
    code, out, _ = run_cli(["-c", str(kxyz), "--help"])
    assert code == 0
    assert "Cara pakai: dyncrm [OPSI] PERINTAH [ARG]..." in out
    assert "Opsi:" in out and "Perintah:" in out
    assert "Tampilkan pesan ini lalu keluar." in out
    assert "Show this message" not in out and "Usage:" not in out


def test_koperasi_xyz_subcommand_help_is_indonesian(kxyz: Path) -> None:
    code, out, _ = run_cli(["-c", str(kxyz), "savings", "deposit", "--help"])
    assert code == 0
    assert "Catat setoran AMOUNT ke simpanan PRODUCT milik MEMBER" in out
    assert "Tanggal setoran (bawaan: hari ini)." in out
    assert "Record a deposit" not in out


def test_koperasi_xyz_usage_error_is_indonesian(kxyz: Path) -> None:
    code, _, err = run_cli(["-c", str(kxyz), "member", "timeline"])
    assert code == 2
    assert "Kesalahan: Argumen belum diisi 'MEMBER'." in err
    assert "Coba 'dyncrm member timeline --help' untuk bantuan." in err
    code, _, err = run_cli(["-c", str(kxyz), "--bogus"])
    assert code == 2 and "Tidak ada opsi '--bogus'." in err


def test_koperasi_xyz_refusal_is_indonesian(kxyz: Path) -> None:
    code, _, err = run_cli(["-c", str(kxyz), "user", "list"], env={"DYNCRM_USER": ""})
    assert code == 1
    assert err.strip() == "Kesalahan: Anda belum masuk; masuk dulu: dyncrm login"


def test_a_table_in_koperasi_xyz_has_indonesian_columns(kxyz: Path) -> None:
    code, out, err = run_cli(["-c", str(kxyz), "--as", "admin", "user", "list"])
    assert code == 0, err
    header = out.splitlines()[0]
    assert "nama pengguna" in header and "peran" in header and "username" not in header


def test_a_default_deployment_speaks_english(default: Path) -> None:
    code, out, _ = run_cli(["-c", str(default), "--help"])
    assert code == 0 and "Usage: dyncrm [OPTIONS] COMMAND [ARGS]..." in out
    assert "Show this message and exit." in out
    code, _, err = run_cli(["-c", str(default), "member", "timeline"])
    assert code == 2 and "Error: Missing argument 'MEMBER'." in err
    code, _, err = run_cli(["-c", str(default), "user", "list"], env={"DYNCRM_USER": ""})
    assert code == 1
    assert err.strip() == "Error: you are not signed in; sign in first: dyncrm login"


def test_a_command_says_what_it_did_in_indonesian(kxyz: Path) -> None:
    code, out, err = run_cli(["-c", str(kxyz), "--as", "admin", "user", "add", "kasir9",
                              "--role", "cashier"])
    assert code == 0, err
    assert "pengguna kasir9 ditambahkan (cashier)" in out
    assert "kode aktivasi sekali pakai (berikan kepada orangnya):" in out
    assert "ia memilih kata sandi dengan: dyncrm user activate kasir9" in out
    assert "added user" not in out and "one-time" not in out


def test_a_refusal_naming_its_field_is_indonesian(kxyz: Path) -> None:
    code, _, err = run_cli(["-c", str(kxyz), "--as", "admin", "user", "add", "kasir7",
                            "--role", "kasir"])
    assert code == 1
    assert err.startswith("Kesalahan: roles: peran tidak dikenal 'kasir'; peran yang ada: "), err


def test_a_json_result_keeps_its_message_as_written(kxyz: Path) -> None:
    import json

    code, out, err = run_cli(["-c", str(kxyz), "--as", "admin", "user", "add", "kasir8",
                              "--role", "cashier", "--json"])
    assert code == 0, err
    assert json.loads(out)["message"] == "added user kasir8"


def test_a_person_may_ask_for_english(kxyz: Path) -> None:
    code, _, err = run_cli(["-c", str(kxyz), "user", "list"],
                           env={"DYNCRM_USER": "", "DYNCRM_LANGUAGE": "en"})
    assert code == 1
    assert err.strip() == "Error: you are not signed in; sign in first: dyncrm login"
    code, out, _ = run_cli(["-c", str(kxyz), "--help"], env={"DYNCRM_LANGUAGE": "en"})
    assert code == 0 and "Usage: dyncrm [OPTIONS] COMMAND [ARGS]..." in out
    code, _, err = run_cli(["-c", str(kxyz), "user", "list"],
                           env={"DYNCRM_USER": "", "DYNCRM_LANGUAGE": "id"})
    assert err.strip() == "Kesalahan: Anda belum masuk; masuk dulu: dyncrm login"


def test_a_default_deployment_says_what_it_did_in_english(default: Path) -> None:
    code, out, err = run_cli(["-c", str(default), "--as", "admin", "user", "add", "kasir9",
                              "--role", "cashier"])
    assert code == 0, err
    assert "added user kasir9 (cashier)" in out and "ditambahkan" not in out


def test_a_printed_line_is_matched_to_its_message_id() -> None:
    from dyncrm.i18n import Catalogue, activate, echo_as_written, install_echo

    install_echo()
    catalogue = Catalogue("id", {"added user {name} ({roles})":
                                 "pengguna {name} ditambahkan ({roles})"})
    buffer = io.StringIO()
    activate(catalogue)
    try:
        import click

        click.echo("added user budi (kasir)", file=buffer)
        click.echo("added user budi", file=buffer)  # no id: as written
        echo_as_written("added user siti (kasir)", file=buffer)  # data: never translated
    finally:
        activate(None)
    click.echo("added user budi (kasir)", file=buffer)  # no catalogue: English
    assert buffer.getvalue().splitlines() == [
        "pengguna budi ditambahkan (kasir)", "added user budi", "added user siti (kasir)",
        "added user budi (kasir)"]
