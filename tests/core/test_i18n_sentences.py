"""Catalogue.sentence: finished sentences (a refusal's text) in the deployment's language."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dyncrm.i18n import Catalogue

CATALOGUE = Catalogue("id_ID", {
    "{text} is not an amount": "{text} bukan jumlah uang",
    "must not be empty": "wajib diisi",
    "is {length} characters long; at most {maximum}":
        "panjangnya {length} karakter; paling banyak {maximum}",
})


def test_a_sentence_with_its_placeholders_filled_in_is_translated():
    assert CATALOGUE.sentence("'banyak' is not an amount") == "'banyak' bukan jumlah uang"
    assert CATALOGUE.sentence("is 300 characters long; at most 200") == \
        "panjangnya 300 karakter; paling banyak 200"


def test_an_exact_id_and_joined_sentences():
    assert CATALOGUE.sentence("must not be empty") == "wajib diisi"
    assert CATALOGUE.sentence("must not be empty; 'x' is not an amount") == \
        "wajib diisi; 'x' bukan jumlah uang"


def test_an_unknown_sentence_stays_as_it_is():
    assert CATALOGUE.sentence("the moon is made of cheese") == "the moon is made of cheese"
    assert Catalogue("en_US").sentence("'x' is not an amount") == "'x' is not an amount"


def test_a_refusal_naming_its_field_keeps_the_name_and_translates_the_rest():
    catalogue = Catalogue("id_ID", {
        "unknown role {role}; roles are {roles}": "peran tidak dikenal {role}; peran yang "
                                                  "ada: {roles}",
        "{where}: {exc}": "{where}: {exc}"})
    assert catalogue.sentence("roles: unknown role 'x'; roles are admin, member") == \
        "roles: peran tidak dikenal 'x'; peran yang ada: admin, member"
    assert catalogue.sentence("roles: the moon") == "roles: the moon"


def test_an_id_starting_with_a_placeholder_does_not_take_the_field_name_as_its_value():
    catalogue = Catalogue("id_ID", {
        "{product} loans run {low} to {high} months, not {term}":
            "pinjaman {product} berjangka waktu {low} sampai {high} bulan, bukan {term}"})
    assert catalogue.sentence("term: konsumtif loans run 1 to 36 months, not 99") == \
        "term: pinjaman konsumtif berjangka waktu 1 sampai 36 bulan, bukan 99"


def test_a_value_that_is_itself_a_message_id_is_translated():
    catalogue = Catalogue("id_ID", {"{what} {key} not found": "{what} {key} tidak ditemukan",
                                    "loan": "pinjaman"})
    assert catalogue.sentence("loan 5 not found") == "pinjaman 5 tidak ditemukan"
    assert catalogue.sentence("deposit 5 not found") == "deposit 5 tidak ditemukan"


@given(st.text(min_size=1).filter(lambda t: "; " not in t and CATALOGUE.sentence(t) == t))
def test_any_value_comes_back_unchanged_inside_the_translation(value):
    assert CATALOGUE.sentence(f"{value} is not an amount") == f"{value} bukan jumlah uang"


def test_the_reading_that_recognises_more_of_the_text_wins():
    catalogue = Catalogue("id_ID", {
        "{member} is {tier}": "{member} berada di tingkat {tier}",
        "{name} is not signed in here; sign in first: dyncrm login {again}":
            "{name} belum masuk di sini; masuk dulu: dyncrm login {again}",
        "{text} is not an amount": "{text} bukan jumlah uang",
        "must not be empty": "wajib diisi",
        "{where}: {exc}": "{where}: {exc}"})
    said = catalogue.sentence("admin is not signed in here; sign in first: dyncrm login admin")
    assert said == "admin belum masuk di sini; masuk dulu: dyncrm login admin"
    assert catalogue.sentence("must not be empty; 'x' is not an amount") == \
        "wajib diisi; 'x' bukan jumlah uang"
    # "{member} is {tier}" has too few words to be recognised: it would fit any line
    assert catalogue.sentence("budi is gold") == "budi is gold"
    assert catalogue.sentence("a file is in the way") == "a file is in the way"


def test_a_value_that_is_a_sentence_of_the_catalogue_is_translated_inside():
    catalogue = Catalogue("id_ID", {
        "cannot {action} {subject}: it is {stage}{hint}":
            "tidak dapat {action} {subject}: statusnya {stage}{hint}",
        "allowed from {stage}: {actions}": "dari status {stage} yang masih boleh: {actions}",
        "quote a payoff for": "menghitung pelunasan", "approve": "menyetujui",
        "loan {id}": "pinjaman {id}", "member {number}": "anggota {number}",
        "cannot {doing} for {member}: inactive": "tidak dapat {doing} untuk {member}: nonaktif",
        "record a deposit": "mencatat setoran"})
    # the verb of several words and the thing's name, where the line splits between them
    assert catalogue.sentence("cannot quote a payoff for loan 1: it is 'closed'") == \
        "tidak dapat menghitung pelunasan pinjaman 1: statusnya 'closed'"
    assert catalogue.sentence("cannot approve loan 1: it is 'closed'; allowed from "
                              "'closed': reopen") == \
        "tidak dapat menyetujui pinjaman 1: statusnya 'closed'; dari status 'closed' yang " \
        "masih boleh: reopen"
    assert catalogue.sentence("cannot record a deposit for member X-1: inactive") == \
        "tidak dapat mencatat setoran untuk anggota X-1: nonaktif"
    # a value no id fits stays as it is
    assert catalogue.sentence("cannot fly to the moon for Budi: inactive") == \
        "tidak dapat fly to the moon untuk Budi: nonaktif"
