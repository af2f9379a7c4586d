"""No half-English sentences in Koperasi XYZ: refusals and action lines said whole.

A sentence composed from English fragments built in the library (an action such as
"record a deposit" put into the translated frame "cannot {action} for {member}", a
deposit's description "Rp 50.000 to Simpanan Sukarela of ...") used to come out half
translated.  The fragments are message ids now (``dyncrm.i18n.N_``), translated inside
the sentence they are put in.  Here real refusals and action lines of the demo
deployment (``demo_deployment``: ten members, seed 2025) are run in the deployment's
language and their output must not hold common English words; what stays English on
purpose is taken out first: command lines (``dyncrm savings reverse 1 --reason
TEXT``), options, codes with a dot or an underscore (``savings.deposit``), stages
and codes in quotes (``'closed'``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dyncrm.testing import run_cli

#: Common English function words and the verbs and nouns of these commands.
ENGLISH = (
    "cannot", "can", "could", "not", "is", "are", "was", "be", "been", "the", "a", "an",
    "to", "of", "for", "from", "on", "in", "at", "by", "with", "and", "or", "no", "now",
    "it", "its", "only", "already", "nothing", "changed", "allowed", "may", "must",
    "record", "recorded", "deposit", "posted", "member", "members", "loan", "savings",
    "withdraw", "withdrawn", "approve", "reject", "correct", "entry", "quote", "payoff",
    "repay", "leave", "request", "ticket", "closed", "arrears", "overdue", "installments",
    "all", "time", "year", "paid", "ask", "someone", "permission", "roles", "wrong",
    "password", "user", "name", "log", "belongs", "which", "keeps", "books", "active",
    "applicant", "reopen", "acknowledged", "started", "resolved", "rejected", "assigned",
    "statement", "balance", "verify", "waiting", "cashier", "transfer", "reference",
)
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
M = "XYZ-2025-00003"  # Eko Purnomo, active (anggota1); XYZ-2025-00001 left

#: (who, arguments): refusals of the library, everyday in the cooperative.
REFUSALS = [
    ("bendahara", ["savings", "reverse", "1", "--reason", "salah"]),  # member inactive
    ("kasir", ["savings", "deposit", "XYZ-2025-00001", "sukarela", "50000",
               "--method", "cash", "--ref", "T-D1"]),  # member inactive
    ("kasir", ["savings", "deposit", "XYZ-2099-00001", "sukarela", "50000",
               "--method", "cash", "--ref", "T-D2"]),  # unknown member
    ("kasir", ["savings", "deposit", M, "sukarela", "banyak", "--method", "cash",
               "--ref", "T-D3"]),  # not an amount
    ("kasir", ["savings", "deposit", M, "nonexist", "50000", "--method", "cash",
               "--ref", "T-D4"]),  # unknown product
    ("kasir", ["savings", "withdraw", M, "999999999", "--ref", "T-W1"]),  # over balance
    ("anggota1", ["savings", "deposit", M, "sukarela", "50000", "--method", "cash",
                  "--ref", "T-D5"]),  # not allowed
    ("panitia1", ["loan", "approve", "1"]),  # closed loan
    ("panitia1", ["loan", "reject", "1", "--reason", "x"]),
    ("kasir", ["loan", "withdraw", "1"]),
    ("bendahara", ["loan", "payoff-quote", "1"]),
    ("kasir", ["loan", "repay", "1", "10000", "--method", "cash", "--ref", "T-R1"]),
    ("kasir", ["loan", "apply", "XYZ-2025-00001", "konsumtif", "1000000", "--term", "12"]),
    ("bendahara", ["leave", "approve", "1"]),  # paid
    ("bendahara", ["ledger", "reverse", "1", "--reason", "x"]),  # the savings plugin's entry
    ("kasir", ["loan", "apply", M, "konsumtif", "1000000", "--term", "99"]),  # term
]

#: Lines commands print for what they did (a second run: the replay's line).
ACTIONS = [
    ("kasir", ["savings", "deposit", M, "sukarela", "50000", "--method", "cash",
               "--ref", "T-D6"]),
    ("kasir", ["savings", "deposit", M, "sukarela", "50000", "--method", "cash",
               "--ref", "T-D6"]),
    ("kasir", ["savings", "withdraw", M, "10000", "--ref", "T-W2"]),
    ("kasir", ["savings", "balance", M]),
    ("kasir", ["loan", "overdue"]),
    ("sekretaris", ["feedback", "close", "KS-2025-00001"]),
    ("sekretaris", ["feedback", "close", "KS-2025-00001"]),
    ("kasir", ["loan", "products"]),  # "1% per month", "1-36 months"
    ("kasir", ["rewards", "tiers", M]),  # "{member} is {tier}"
]


def english_words(text: str) -> list[str]:
    """The English words of ``text`` outside command lines, options, codes and quotes."""
    found = []
    for line in text.splitlines():
        line = re.sub(r"dyncrm\s.*$", " ", line)  # a command line to type stays English
        line = re.sub(r"'[^']*'", " ", line)  # a stage or code in quotes
        line = re.sub(r"--[\w-]+", " ", line)
        line = re.sub(r"\S*[._/@]\S*", " ", line)  # savings.deposit, expand.savings
        line = re.sub(r"^\s*\w+: ", " ", line)  # the field a refusal names (amount:)
        found += [w for w in _WORD.findall(line) if w.lower() in ENGLISH]
    return found


@pytest.fixture(scope="module")
def demo(demo_deployment, tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the session's demo deployment and a session folder of the module."""
    base = tmp_path_factory.mktemp("sentences")
    return demo_deployment.copy(base), base / "sessions"


@pytest.fixture
def said(demo, monkeypatch):
    """Run a command in the deployment's language; its stdout and stderr together."""
    config, sessions = demo
    monkeypatch.delenv("DYNCRM_LANGUAGE", raising=False)
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(sessions))
    for name in ("DYNCRM_USER", "DYNCRM_CONFIG", "DYNCRM_TODAY"):
        monkeypatch.delenv(name, raising=False)

    def run(who: str, args: list[str], **kwargs) -> tuple[int, str]:
        code, out, err = run_cli(["-c", str(config), "--as", who, *args], **kwargs)
        return code, out + err

    return run


def test_english_words_are_found_outside_commands_and_codes() -> None:
    assert english_words("tidak dapat record a deposit untuk member XYZ-2025-00001") == \
        ["record", "a", "deposit", "member"]
    assert english_words("Rp 50.000 to Simpanan Sukarela of XYZ-2025-00003") == ["to", "of"]
    assert english_words("Koreksi dengan: dyncrm savings reverse 1 --reason TEXT") == []
    assert english_words("statusnya 'closed'; entri savings.deposit") == []


@pytest.mark.parametrize(("who", "args"), REFUSALS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_a_refusal_is_a_whole_indonesian_sentence(said, who, args) -> None:
    code, text = said(who, args)
    assert code != 0 and "Kesalahan:" in text, text
    assert english_words(text) == [], text


def test_the_lines_of_everyday_actions_are_whole_indonesian_sentences(said) -> None:
    for who, args in ACTIONS:
        code, text = said(who, args)
        assert code == 0, (args, text)
        assert english_words(text) == [], (args, text)


def test_the_examples_of_the_issue(said) -> None:
    _, text = said("kasir", ["savings", "deposit", "XYZ-2025-00001", "sukarela", "50000",
                             "--method", "cash", "--ref", "T-D7"])
    assert "tidak dapat mencatat setoran untuk anggota XYZ-2025-00001" in text
    _, text = said("kasir", ["savings", "deposit", M, "sukarela", "20000",
                             "--method", "cash", "--ref", "T-D8"])
    assert "Rp 20.000 ke Simpanan Sukarela milik XYZ-2025-00003 Eko Purnomo" in text
    _, text = said("bendahara", ["loan", "payoff-quote", "1"])
    assert "tidak dapat menghitung pelunasan pinjaman 1: statusnya 'closed'" in text


def test_a_wrong_password_is_refused_in_indonesian(demo, monkeypatch) -> None:
    config, sessions = demo
    monkeypatch.delenv("DYNCRM_LANGUAGE", raising=False)
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(sessions))
    code, out, err = run_cli(["-c", str(config), "login", "ketua", "--password-stdin"],
                             input="bukan-sandinya\n", signed_in=False)
    assert code != 0
    assert "nama pengguna atau kata sandi salah" in err, err
    assert english_words(out + err) == [], err


#: A payment method's code ("transfer", typed after --method) is an Indonesian word too;
#: a payment's reference (payroll:HR-202505:3:loan1) is a code.
CODES = re.compile(r"\b(payroll|transfer)\b|\S+:\S+")


def test_loan_show_says_its_own_lines_whole(said) -> None:
    """The loan's title, member, terms, decision, the member's loan history and the
    member details other plugins add, its payments' notes and its history's actions."""
    code, text = said("kasir", ["loan", "show", "1"])
    assert code == 0, text
    assert english_words(CODES.sub(" ", text)) == [], text
    assert "Pinjaman 1 — Pinjaman Konsumtif (ditutup)" in text
    assert "1% per bulan, flat, 24 bulan" in text
    assert "pelunasan" in text  # the payoff payment's note
    assert re.search(r"menutup\s+kasir\s+lunas", text), text  # closed: fully repaid


def test_member_show_says_the_plugins_values_whole(said) -> None:
    """The member's stage and the values plugins add (application, employment since,
    months of wajib arrears, the member card) in Indonesian."""
    code, text = said("kasir", ["member", "show", M])
    assert code == 0, text
    assert english_words(text) == [], text
    for line in ("Tahap keanggotaan              aktif", "Pendaftaran                    disetujui",
                 "tetap, sejak 13 Januari 2020", "(11 bulan)", "#1, diterbitkan "):
        assert line in text, text


def test_loan_simulate_says_the_rate_and_the_fees_whole(said) -> None:
    code, text = said("kasir", ["loan", "simulate", "konsumtif", "--amount", "1000000",
                                "--term", "12"])
    assert code == 0, text
    assert english_words(text) == [], text
    assert "Rp 1.000.000 selama 12 bulan, flat, 1% per bulan" in text
    assert "biaya provisi: Rp 10.000 (dipotong)" in text


def test_the_field_a_refusal_names_is_not_taken_into_the_sentence(said) -> None:
    _, text = said("kasir", ["loan", "apply", M, "konsumtif", "1000000", "--term", "99"])
    assert "term: pinjaman konsumtif berjangka waktu 1 sampai 36 bulan, bukan 99" in text
