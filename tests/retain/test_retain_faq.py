"""retain.faq: entries, safe Markdown, folded search on FTS5 and on the LIKE fallback,
views, votes and entries made from resolved tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from retain_support import add_member, add_staff, counts, fixed_clock

from dyncrm.config import ConfigError
from dyncrm.errors import IllegalTransition, NotFoundError, PermissionDenied, ValidationError
from dyncrm.values import Actor
from dyncrm_retain.faq import search as faq_search
from dyncrm_retain.faq import store as faq_store
from dyncrm_retain.faq.models import FaqEntry, FaqVote
from dyncrm_retain.feedback import tickets

ENTRIES = [
    ("Bagaimana cara mengajukan pinjaman?",
     "Isi formulir **pengajuan** di kantor atau aplikasi. Simpanan wajib harus lunas.",
     "pinjaman"),
    ("Kapan SHU dibagikan?",
     "Setelah Rapat Anggota Tahunan (RAT), biasanya bulan Maret, lewat rekening sukarela.",
     "shu"),
    ("Jam buka kantor?", "Senin–Jum'at 08.00–15.00; Sabtu tutup. Kafe koperasi: *café* buka "
                         "pukul 07.00.", "umum"),
]


@pytest.fixture(params=["auto", "like"])
def faq(request, make_crm):
    """A CRM with three published entries, searched through FTS5 (auto) or LIKE."""
    crm = make_crm(enabled=["retain.feedback", "retain.faq"],
                   plugins={"retain.faq": {"search": request.param}},
                   clock=fixed_clock(dt.datetime(2026, 3, 2, 3, 0)))
    admin = add_staff(crm, "admin", "admin")
    ids = [faq_store.add(crm, admin, question=q, answer=a, category=c, published=True).id
           for q, a, c in ENTRIES]
    crm._test = {"admin": admin, "ids": ids}  # handy for the tests below
    return crm


def found(crm, query, **kw):
    return [e.id for e in faq_search.search(crm, query, published_only=True, **kw)]


def test_the_backend_is_fts5_on_sqlite_unless_like_is_asked_for(faq):
    wanted = faq.plugin_config("retain.faq").search
    assert faq_search.backend(faq) == ("fts5" if wanted == "auto" else "like")


@pytest.mark.parametrize("query, entry", [
    ("formulir", 0),             # a word of the answer only
    ("SIMPANAN WAJIB", 0),       # case folded
    ("pinjam", 0),               # the start of a word
    ("rekening maret", 1),       # several words, all required
    ("cafe", 2), ("CAFÉ", 2),    # accents folded both ways
    ("jumat", 2), ("Jum'at", 2),  # apostrophes dropped
    ("shu", 1),                  # a word of the question
])
def test_search_finds_entries_by_words_in_question_or_answer(faq, query, entry):
    assert faq._test["ids"][entry] in found(faq, query)


def test_search_needs_every_word_and_ignores_punctuation_only_queries(faq):
    assert found(faq, "formulir maret") == []
    assert found(faq, "?!") == []
    assert found(faq, "nothing-like-this") == []


def test_search_ranks_question_matches_first(faq):
    admin = faq._test["admin"]
    extra = faq_store.add(faq, admin, question="Berapa simpanan pokok?",
                          answer="Rp 100.000, sekali saat masuk.", published=True).id
    assert found(faq, "simpanan")[0] == extra


def test_unpublished_entries_are_found_only_by_those_who_manage_them(faq):
    admin = faq._test["admin"]
    hidden = faq_store.add(faq, admin, question="Draf: denda keterlambatan",
                           answer="Masih dibahas pengurus").id
    assert found(faq, "denda") == []
    assert [e.id for e in faq_search.search(faq, "denda", published_only=False)] == [hidden]
    with pytest.raises(NotFoundError):
        faq_store.view(faq, None, hidden)
    assert faq_store.view(faq, admin, hidden).id == hidden
    assert not faq_store.set_published(faq, admin, hidden, True).replayed
    assert faq_store.set_published(faq, admin, hidden, True).replayed
    assert found(faq, "denda") == [hidden]
    faq_store.set_published(faq, admin, hidden, False)
    assert found(faq, "denda") == []


def test_edits_are_searchable(faq):
    admin, first = faq._test["admin"], faq._test["ids"][0]
    faq_store.edit(faq, admin, first, answer="Datang ke loket tiga dengan KTP.")
    assert first in found(faq, "loket ktp") and first not in found(faq, "formulir")


def test_category_filter(faq):
    assert found(faq, "kantor", category="umum") == [faq._test["ids"][2]]


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x17F), max_size=40))
def test_folding_is_idempotent_and_ignores_case_and_accents(text):
    folded = faq_search.fold(text)
    assert faq_search.fold(folded) == folded
    assert faq_search.fold(text.upper()) == faq_search.fold(text.lower()) or \
        any(len(c.upper()) != 1 for c in text)  # ß and friends change length when upper-cased
    assert all(ch.isalnum() or ch == " " for ch in folded)


WORD = st.text(alphabet="abcdeéèghijklmnoprstuwyz", min_size=3, max_size=9)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # entries may pile up
@given(words=st.lists(WORD, min_size=3, max_size=8), pick=st.integers(0, 7),
       shout=st.booleans())
def test_property_any_word_of_an_answer_finds_its_entry(faq, words, pick, shout):
    admin = faq._test["admin"]
    entry = faq_store.add(faq, admin, question="Pertanyaan uji", answer=" ".join(words),
                          published=True).id
    query = words[pick % len(words)]
    assert entry in found(faq, query.upper() if shout else query, limit=1000)


def test_markdown_is_rendered_safely():
    html = faq_store.render_answer(
        "**Penting**: <script>alert(1)</script> [klik](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> [situs](https://koperasi.example)")
    assert "<strong>Penting</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://koperasi.example">situs</a>' in html


def test_views_are_counted_and_members_get_a_touchpoint(faq):
    member = add_member(faq, "Siti Aminah", number="A001", login="siti")
    first = faq._test["ids"][0]
    faq_store.view(faq, None, first)
    faq_store.view(faq, faq.actor("siti"), first)
    assert FaqEntry.get_by_id(first).views == 2
    assert [t.kind for t in faq.timeline(member)][-1] == "faq.viewed"


def test_one_vote_per_person_which_may_change(faq):
    add_member(faq, "Siti Aminah", number="A001", login="siti")
    add_member(faq, "Budi Santoso", number="A002", login="budi")
    siti, budi, first = faq.actor("siti"), faq.actor("budi"), faq._test["ids"][0]
    assert not faq_store.vote(faq, siti, first, True).replayed
    assert faq_store.vote(faq, siti, first, True).replayed
    faq_store.vote(faq, budi, first, False)
    row = FaqEntry.get_by_id(first)
    assert (row.helpful, row.not_helpful) == (1, 1)
    faq_store.vote(faq, budi, first, True)  # changed mind
    row = FaqEntry.get_by_id(first)
    assert (row.helpful, row.not_helpful) == (2, 0)
    assert FaqVote.select().count() == 2


def test_only_faq_managers_write(faq):
    add_member(faq, "Siti Aminah", number="A001", login="siti")
    before = counts(FaqEntry)
    with pytest.raises(PermissionDenied):
        faq_store.add(faq, faq.actor("siti"), question="q", answer="a")
    with pytest.raises(ValidationError):
        faq_store.add(faq, faq._test["admin"], question=" ", answer="a")
    assert counts(FaqEntry) == before


def test_a_resolved_ticket_becomes_an_unpublished_entry(faq):
    admin = faq._test["admin"]
    add_member(faq, "Siti Aminah", number="A001", login="siti")
    sec = add_staff(faq, "sec", "secretary")
    n = tickets.submit(faq, faq.actor("siti"), category="savings",
                       subject="How do I withdraw sukarela savings?",
                       text="My name is Siti and I need money for school fees.").ticket.number
    with pytest.raises(IllegalTransition):
        faq_store.from_ticket(faq, admin, n)
    tickets.acknowledge(faq, sec, n)
    tickets.resolve(faq, sec, n, resolution="Bring your member card to the cashier; "
                                            "withdrawals are paid the same day.")
    result = faq_store.from_ticket(faq, admin, n)
    entry = FaqEntry.get_by_id(result.id)
    assert (entry.question, entry.category, entry.published) == (
        "How do I withdraw sukarela savings?", "savings", False)
    assert "cashier" in entry.answer and "school fees" not in entry.answer
    assert entry.source_ticket == n
    assert faq_store.from_ticket(faq, admin, n).replayed
    faq_store.set_published(faq, admin, result.id, True)
    assert result.id in found(faq, "withdrawals cashier")
    with pytest.raises(PermissionDenied):
        faq_store.from_ticket(faq, faq.actor("siti"), n)


def test_from_ticket_needs_the_feedback_plugin(make_crm):
    crm = make_crm(enabled=["retain.faq"])
    with pytest.raises(ValidationError, match=r"retain\.feedback"):
        faq_store.from_ticket(crm, Actor.operator(), "FB-2026-00001")


def test_fts5_setting_on_a_database_without_fts5_is_a_config_error(make_crm, pg_url):
    crm = make_crm(enabled=["retain.faq"], database_url=pg_url,
                   plugins={"retain.faq": {"search": "fts5"}})
    with pytest.raises(ConfigError, match="FTS5"):
        faq_search.backend(crm)


def test_search_on_postgresql_uses_the_portable_fallback(make_crm, pg_url):
    crm = make_crm(enabled=["retain.faq"], database_url=pg_url)
    admin = add_staff(crm, "admin", "admin")
    ids = [faq_store.add(crm, admin, question=q, answer=a, category=c, published=True).id
           for q, a, c in ENTRIES]
    assert faq_search.backend(crm) == "like"
    assert found(crm, "FORMULIR") == [ids[0]]
    assert found(crm, "cafe jumat") == [ids[2]]
    assert found(crm, "rekening maret") == [ids[1]]
