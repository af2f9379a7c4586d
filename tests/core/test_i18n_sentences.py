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


@given(st.text(min_size=1).filter(lambda t: "; " not in t))
def test_any_value_comes_back_unchanged_inside_the_translation(value):
    assert CATALOGUE.sentence(f"{value} is not an amount") == f"{value} bukan jumlah uang"
