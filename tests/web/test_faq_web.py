"""The FAQ pages: everyone reads and searches published entries; staff write and publish."""

from __future__ import annotations

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, web_client
from dyncrm.values import Actor
from dyncrm_retain.faq import store
from dyncrm_retain.faq.models import FaqEntry


def entry(kop, question="Bagaimana cara menabung?", answer="Datang ke **kasir**.",
          published=True) -> int:
    with kop.database.atomic():
        return store.add(kop, Actor.operator(), question=question, answer=answer,
                         published=published).id


def test_visitors_read_and_search_published_entries(kop):
    shown = entry(kop)
    hidden = entry(kop, question="Rahasia pengurus?", answer="Belum terbit.", published=False)
    client = web_client(kop)
    page = client.get("/faq/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bagaimana cara menabung?" in text and "Rahasia pengurus?" not in text
    found = client.get("/faq/?q=menabung").get_data(as_text=True)
    assert "Bagaimana cara menabung?" in found
    assert "Bagaimana" not in client.get("/faq/?q=pinjaman").get_data(as_text=True)
    one = client.get(f"/faq/{shown}")
    assert one.status_code == 200 and "<strong>kasir</strong>" in one.get_data(as_text=True)
    assert client.get(f"/faq/{hidden}").status_code == 404
    assert client.get("/faq/99999").status_code == 404


def test_member_votes_once(kop):
    shown = entry(kop)
    _, user = member_login(kop)
    client = web_client(kop, user)
    assert client.get("/faq/").status_code == 200
    assert client.post(f"/faq/{shown}/vote", {"helpful": "yes"}).status_code == 303
    assert client.post(f"/faq/{shown}/vote", {"helpful": "yes"}).status_code == 303
    assert store.get(shown).helpful == 1
    before = snapshot(kop)
    assert client.post(f"/faq/{shown}/vote", {"helpful": "maybe"}).status_code == 400
    assert client.post_without_csrf(f"/faq/{shown}/vote", {"helpful": "no"}).status_code == 400
    assert snapshot(kop) == before


def test_visitor_vote_goes_to_sign_in(kop):
    shown = entry(kop)
    response = web_client(kop).post_without_csrf(f"/faq/{shown}/vote", {"helpful": "yes"})
    assert response.status_code in (302, 400)
    assert store.get(shown).helpful == 0


@pytest.mark.parametrize("url", ["/faq/manage/", "/faq/manage/new"])
def test_anonymous_manager_pages_go_to_sign_in(kop, url):
    response = web_client(kop).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_manage_permission_matrix(kop, role):
    entry_id = entry(kop, published=False)
    _, user = member_login(kop)
    allowed = role in {"admin", "secretary"}
    client = web_client(kop, user if role == "member" else USER_OF[role])
    for url in ("/faq/manage/", "/faq/manage/new", f"/faq/manage/{entry_id}"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    response = client.post(f"/faq/manage/{entry_id}/publish", {"published": "1"})
    assert response.status_code == (303 if allowed else 403)
    assert store.get(entry_id).published == allowed


def test_secretary_writes_edits_and_publishes(kop):
    client = web_client(kop, "sekretaris")
    made = client.post("/faq/manage/new", {"question": "Kapan SHU dibagi?",
                                           "answer": "Setelah RAT.", "category": "shu"})
    assert made.status_code == 303
    row = FaqEntry.get(FaqEntry.question == "Kapan SHU dibagi?")
    assert not row.published
    assert "Kapan SHU" not in web_client(kop).get("/faq/").get_data(as_text=True)
    edited = client.post(f"/faq/manage/{row.id}", {"question": "Kapan SHU dibagikan?",
                                                   "answer": "Setelah RAT tahunan.",
                                                   "category": "shu", "order": "5"})
    assert edited.status_code == 303
    client.post(f"/faq/manage/{row.id}/publish", {"published": "1"})
    page = web_client(kop).get("/faq/?q=SHU").get_data(as_text=True)
    assert "Kapan SHU dibagikan?" in page


def test_bad_entry_is_refused_and_writes_nothing(kop):
    entry_id = entry(kop)
    client = web_client(kop, "sekretaris")
    before = snapshot(kop)
    empty = client.post("/faq/manage/new", {"question": "", "answer": "x"})
    assert empty.status_code == 400 and 'id="e-question"' in empty.get_data(as_text=True)
    order = client.post(f"/faq/manage/{entry_id}", {"question": "q", "answer": "a",
                                                    "category": "umum", "order": "dua"})
    assert order.status_code == 400 and 'id="e-order"' in order.get_data(as_text=True)
    assert client.post_without_csrf("/faq/manage/new", {"question": "q", "answer": "a"}
                                    ).status_code == 400
    assert snapshot(kop) == before
