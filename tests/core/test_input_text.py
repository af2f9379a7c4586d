"""Stored text: normalised as people type it, control characters refused, odd
characters escaped on a terminal, bytes that are not UTF-8 refused.

Accepted and normalised: ``Ma’ruf`` (stored ``Ma'ruf``), a decomposed ``José``
(stored NFC), runs of spaces.  Refused naming the field, nothing written:
NUL, ESC, C1 controls, bidi overrides, zero-width and private-use characters
in names, addresses, departments, ticket texts and titles; undecodable
command-line bytes; a file or stdin that is not UTF-8.  Shown escaped: a
legacy row holding an escape sequence, in a table and on a real terminal.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import unicodedata
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from input_support import cli, data_dump, make_deployment

from dyncrm import output
from dyncrm.app import open_crm
from dyncrm.db.models import Member
from dyncrm.db.textguard import check_params
from dyncrm.errors import ValidationError
from dyncrm.text import (
    TerminalEscaper,
    clean_text,
    decode_utf8,
    person_name,
    printable,
    read_text_file,
)
from dyncrm.values import Actor

DYNCRM = str(Path(sys.executable).with_name("dyncrm"))

NAMES = {
    "Ma\u2019ruf Amin": "Ma'ruf Amin", "Ma\u2018ruf": "Ma'ruf", "Ma\u02bcruf": "Ma'ruf",
    "Ma`ruf": "Ma'ruf", "Jose\u0301 Rizal": "Jos\u00e9 Rizal",
    "  Siti \t Aminah  ": "Siti Aminah", "I Gusti Ngurah Rai": "I Gusti Ngurah Rai",
    "R.A. Kartini": "R.A. Kartini", "Nguye\u0302\u0303n Va\u0306n A": "Nguy\u1ec5n V\u0103n A",
    "D'Silva-Wijaya": "D'Silva-Wijaya",
}
ODD = {
    "NUL": "\x00", "ESC": "\x1b[2J", "BEL": "\x07", "C1 NEL": "\x85", "DEL": "\x7f",
    "RLO": "\u202e", "LRI": "\u2066", "ALM": "\u061c", "ZWSP": "\u200b", "BOM": "\ufeff",
    "private use": "\ue000", "surrogate (byte 0xFF)": "\udcff",
}


@pytest.mark.parametrize("typed", sorted(NAMES))
def test_names_typed_the_indonesian_way_are_stored_normalised(typed) -> None:
    stored = person_name(typed, field="full_name")
    assert stored == NAMES[typed]
    assert unicodedata.is_normalized("NFC", stored)


@pytest.mark.parametrize("kind", sorted(ODD))
def test_odd_characters_are_refused_in_every_kind_of_text(kind) -> None:
    bad = f"Siti {ODD[kind]}Aminah"
    with pytest.raises(ValidationError, match=r"^full_name: .*(contains|not valid UTF-8)"):
        person_name(bad, field="full_name")
    for multiline in (False, True):
        with pytest.raises(ValidationError, match=r"^text: "):
            clean_text(f"Keluhan:\n{bad}", field="text", multiline=multiline)


def test_multi_line_text_keeps_its_lines_and_tabs() -> None:
    assert clean_text(" a\r\nb  \rc\u2028d\t e ", field="text", multiline=True) == \
        "a\nb\nc\nd\t e"
    assert clean_text(" a\r\nb ", field="subject") == "a b"
    with pytest.raises(ValidationError, match="at most 5"):
        clean_text("123456", field="x", max_length=5)


CONTROL = st.characters(categories=["Cc"]).filter(lambda ch: ch not in "\t\n\r")


@given(st.text(max_size=30), CONTROL, st.text(max_size=30), st.booleans())
@settings(max_examples=300, deadline=None)
def test_any_text_with_a_control_character_is_refused(before, ch, after, multiline) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_text(before + ch + after, field="note", multiline=multiline)
    assert caught.value.field == "note"


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_what_is_accepted_is_nfc_trimmed_and_free_of_odd_characters(text) -> None:
    try:
        stored = clean_text(text, field="note")
    except ValidationError:
        return
    assert unicodedata.is_normalized("NFC", stored) and stored == stored.strip()
    assert printable(stored) == stored  # nothing left for a terminal to act on
    check_params([stored])  # the database's last line agrees


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    assert printable("Eko\x1b[2J\u202eEvil") == "Eko\\x1b[2J\\u202eEvil"
    assert printable("r\udcff1") == "r\\xff1"
    assert printable("Ma'ruf Jos\u00e9 \u5c71\u7530") == "Ma'ruf Jos\u00e9 \u5c71\u7530"
    out = io.StringIO()
    TerminalEscaper(out).write(click.style("bold", bold=True) + " \x1b]0;pwned\x07 \r")
    assert out.getvalue() == "\x1b[1mbold\x1b[0m \\x1b]0;pwned\\x07 \r"


def test_a_table_shows_a_legacy_escape_sequence_escaped() -> None:
    out = io.StringIO()
    output.table([{"name": "Eko\x1b[2J", "note": "\u202eabc"}], out=out)
    assert "Eko\\x1b[2J" in out.getvalue() and "\\u202eabc" in out.getvalue()
    assert "\x1b[2J" not in out.getvalue()


def test_bytes_that_are_not_utf8_are_refused_naming_line_and_byte(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"body_file: is not UTF-8 text: line 3 has "
                                              r"the byte 0xE9 \(byte 10 of the file\)"):
        decode_utf8(b"ok\nok\nJos\xe9\n", source="body_file")
    path = tmp_path / "promo.txt"
    path.write_bytes(b"\xef\xbb\xbfHalo {{ nama }}\n")
    assert read_text_file(path, field="body_file") == "Halo {{ nama }}\n"  # BOM dropped


@pytest.fixture(params=["sqlite", pytest.param("pg_url", marks=pytest.mark.postgres),
                        pytest.param("mysql_url", marks=pytest.mark.mysql)],
                ids=["sqlite", "postgres", "mysql"])
def any_backend(request, make_crm):
    """A core-only CRM on SQLite, PostgreSQL and MariaDB."""
    url = None if request.param == "sqlite" else request.getfixturevalue(request.param)
    return make_crm(database_url=url)


def test_the_database_refuses_odd_text_from_any_plugin(any_backend) -> None:
    crm = any_backend
    before = data_dump(crm)
    for bad in ("Eko\x1b[2J", "\u202eabc", "x\x00", "\udcff"):
        with pytest.raises(ValidationError, match="nothing was saved"), \
                crm.action("test.raw", Actor.operator()):
            Member.create(name=bad, stage="applicant")
    with pytest.raises(ValidationError, match="larger than the database can store"), \
            crm.action("test.raw", Actor.operator()):
        Member.create(name="Big", stage="applicant", id=2**70)
    assert data_dump(crm) == before


# --- through the command line ----------------------------------------------------------


@pytest.fixture
def deployment(tmp_path):
    return make_deployment(tmp_path)


APPLICATION = ["--nik", "3201111505900002", "--date-of-birth", "1990-05-15",
               "--employee-number", "E-00001", "--department", "Produksi",
               "--email", "budi1@example.com", "--mobile", "0812-0001-7890",
               "--address", "Jl. Merdeka 1, Bogor"]


def test_the_cli_refuses_control_characters_and_stores_names_normalised(deployment) -> None:
    with open_crm(deployment) as crm:
        before = data_dump(crm)
    refusals = [
        (("member", "apply", "--full-name", "Siti\x1b[2J Aminah", *APPLICATION),
         "full_name: contains a control character"),
        (("member", "apply", "--full-name", "Siti Aminah", *APPLICATION[:-1],
          "Jl. Merdeka\u202e 1"), "address: contains a bidirectional control character"),
        (("feedback", "submit", "--member", "XYZ-0001", "--category", "layanan", "--subject",
          "Antrean", "--text", "lama sekali\x00"), "text: contains a control character"),
        (("feedback", "submit", "--member", "XYZ-0001", "--category", "layanan", "--subject",
          "Antre\u202ean", "--text", "lama"), "subject: contains a bidirectional control"),
    ]
    for args, message in refusals:
        user = "sekretaris"
        code, out, err = cli(deployment, *args, user=user)
        assert code == 1, (args, out, err)
        assert message in err, (args, err)
    with open_crm(deployment) as crm:
        assert data_dump(crm) == before
    code, out, err = cli(deployment, "member", "apply", "--full-name", "Ma\u2019ruf Jose\u0301",
                         *APPLICATION, user="sekretaris")
    assert code == 0, err
    with open_crm(deployment) as crm:
        names = [r[0] for r in crm.database.execute_sql(
            "SELECT name FROM member WHERE number IS NULL").fetchall()]
    assert names == ["Ma'ruf Jos\u00e9"]


def test_undecodable_arguments_are_refused_before_anything_runs(deployment) -> None:
    with open_crm(deployment) as crm:
        before = data_dump(crm)
    env = {**os.environ, "DYNCRM_USER": "kasir"}
    done = subprocess.run([DYNCRM.encode(), b"-c", str(deployment).encode(), b"--as",
                           b"kasir", b"savings", b"deposit", b"XYZ-0001", b"sukarela",
                           b"1000", b"--method", b"cash", b"--ref", b"KW\xff1"],
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert b"argument 13 (KW\\xff1) is not valid UTF-8 text: the byte 0xFF" in done.stderr
    with open_crm(deployment) as crm:
        assert data_dump(crm) == before


def test_stdin_that_is_not_utf8_is_refused(deployment) -> None:
    code, _, err = cli(deployment, "feedback", "list", user="sekretaris")
    assert code == 0, err  # signs the user in for the run below
    done = subprocess.run([DYNCRM, "-c", str(deployment), "--as", "sekretaris", "feedback",
                           "submit", "--member", "XYZ-0001", "--category", "layanan",
                           "--subject", "Antrean", "--text", "-"],
                          input=b"antre\xfflama\n", capture_output=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert b"text: is not UTF-8 text: line 1 has the byte 0xFF" in done.stderr


def test_a_terminal_sees_legacy_escape_sequences_escaped(deployment) -> None:
    with open_crm(deployment) as crm:  # a row written before names were checked
        crm.database.execute_sql("UPDATE member SET name = 'Eko' || char(27) || '[2J' || "
                                 "char(8238) || 'Evil' WHERE number = 'XYZ-0001'")
    code, _, err = cli(deployment, "member", "timeline", "XYZ-0001", user="sekretaris")
    assert code == 0, err  # signs the user in for the terminal run below
    primary, secondary = pty.openpty()
    env = {**os.environ, "DYNCRM_USER": "sekretaris"}
    proc = subprocess.Popen([DYNCRM, "-c", str(deployment), "--as", "sekretaris", "member",
                             "timeline", "XYZ-0001"], stdout=secondary, stderr=secondary,
                            env=env)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(timeout=60)
    os.close(primary)
    assert proc.returncode == 0, shown
    assert b"Eko\\x1b[2J\\u202eEvil" in shown
    assert b"\x1b[2J" not in shown and "\u202e".encode() not in shown


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_a_name_is_refused_clearly_or_stored_normalised(text) -> None:
    try:
        stored = person_name(text, field="full_name")
    except ValidationError as exc:
        assert exc.field == "full_name"
        return
    assert unicodedata.is_normalized("NFC", stored) and "\u2019" not in stored
    assert printable(stored) == stored
