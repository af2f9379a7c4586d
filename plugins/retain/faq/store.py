"""FAQ entries: add, edit, publish, show (counting views), vote, and make one from a ticket.

Answers are Markdown, rendered to HTML with ``markdown-it-py`` with raw HTML
disabled, so an answer can never inject markup or script: ``<script>`` comes
out as text and ``javascript:`` links are not links.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.app import CRM
from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.i18n import N_
from dyncrm.text import clean_text
from dyncrm.values import Actor
from dyncrm_retain.faq import search as faq_search
from dyncrm_retain.faq.models import FaqEntry, FaqVote

if TYPE_CHECKING:
    from markdown_it import MarkdownIt  # imported when an answer is rendered

PLUGIN = "retain.faq"


def _search_mode(instance, attribute, value: str) -> None:
    if value not in ("auto", "fts5", "like"):
        raise ValueError("search must be 'auto', 'fts5' or 'like'")


@attrs.frozen
class FaqSettings:
    """``search``: ``auto`` (FTS5 where SQLite has it, else LIKE), ``fts5`` or ``like``."""

    default_category: str = "general"
    search: str = attrs.field(default="auto", validator=_search_mode)


@attrs.frozen
class FaqResult:
    """What an action did to an entry, and whether it was a replay."""

    id: int
    replayed: bool = False


def settings(crm: CRM) -> FaqSettings:
    """The plugin's parsed settings."""
    return crm.plugin_config(PLUGIN)


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_answer(markdown: str) -> str:
    """The answer as safe HTML (raw HTML escaped, unsafe link schemes refused)."""
    return _markdown().render(markdown or "")


def get(entry_id: int | str) -> FaqEntry:
    """An entry by id, or ``NotFoundError``."""
    try:
        key = int(entry_id)
    except (TypeError, ValueError):
        raise NotFoundError("FAQ entry", entry_id) from None
    row = FaqEntry.get_or_none(FaqEntry.id == key)
    if row is None:
        raise NotFoundError("FAQ entry", entry_id)
    return row


def can_manage(crm: CRM, actor: Actor | None) -> bool:
    """True when ``actor`` may see unpublished entries and change entries."""
    return actor is not None and crm.users.can(actor, "faq.manage")


def _clean(value: str | None, field: str, limit: int) -> str:
    """Question or answer as stored: NFC, lines kept, no control characters."""
    return clean_text(value, field=field, multiline=True, min_length=1, max_length=limit)


def _category(crm: CRM, value: str | None) -> str:
    return fold_category(value or settings(crm).default_category)


def fold_category(value: str) -> str:
    """Categories are stored lower-case and trimmed."""
    text = value.strip().lower()
    if not text:
        raise ValidationError("must not be empty", field="category")
    return text


def add(crm: CRM, actor: Actor, *, question: str, answer: str, category: str | None = None,
        order: int | None = None, published: bool = False, key: str | None = None,
        source_ticket: str | None = None) -> FaqResult:
    """Add an entry (unpublished unless ``published``); ``order`` sorts within the category."""
    question = _clean(question, "question", 500)
    answer = _clean(answer, "answer", 20_000)
    category = _category(crm, category)
    with crm.action("faq.add", actor, key=key, permission="faq.manage") as act:
        if act.replayed:
            return FaqResult(act.previous["id"], replayed=True)
        if order is None:
            last = (FaqEntry.select(FaqEntry.position).where(FaqEntry.category == category)
                    .order_by(FaqEntry.position.desc()).first())
            order = (last.position + 10) if last else 10
        now = crm.now()
        row = FaqEntry.create(question=question, answer=answer, category=category,
                              position=order, published=published, created_by=actor.username,
                              created_at=now, updated_at=now, source_ticket=source_ticket,
                              search_text=faq_search.search_text(question, answer))
        faq_search.index(crm.db, row)
        act.done(id=row.id)
        return FaqResult(row.id)


def edit(crm: CRM, actor: Actor, entry_id: int | str, *, question: str | None = None,
         answer: str | None = None, category: str | None = None, order: int | None = None
         ) -> FaqResult:
    """Change an entry's question, answer, category or order."""
    with crm.action("faq.edit", actor, permission="faq.manage"):
        row = get(entry_id)
        if question is not None:
            row.question = _clean(question, "question", 500)
        if answer is not None:
            row.answer = _clean(answer, "answer", 20_000)
        if category is not None:
            row.category = fold_category(category)
        if order is not None:
            row.position = order
        row.search_text = faq_search.search_text(row.question, row.answer)
        row.updated_at = crm.now()
        row.save()
        faq_search.index(crm.db, row)
        return FaqResult(row.id)


def set_published(crm: CRM, actor: Actor, entry_id: int | str, published: bool) -> FaqResult:
    """Publish or unpublish; doing what is already so is a replay that says so."""
    with crm.action("faq.publish" if published else "faq.unpublish", actor,
                    permission="faq.manage"):
        row = get(entry_id)
        if bool(row.published) == published:
            return FaqResult(row.id, replayed=True)
        row.published = published
        row.updated_at = crm.now()
        row.save()
        return FaqResult(row.id)


def view(crm: CRM, actor: Actor | None, entry_id: int | str) -> FaqEntry:
    """Open an entry for reading: counts the view (and a touchpoint for a member)."""
    row = get(entry_id)
    if not row.published and not can_manage(crm, actor):
        raise NotFoundError("FAQ entry", entry_id)
    with crm.action("faq.view", actor or Actor("anonymous")):
        FaqEntry.update(views=FaqEntry.views + 1).where(FaqEntry.id == row.id).execute()
        if actor is not None and actor.member_id is not None:
            crm.touch(actor.member_id, "retain", "for", "faq.viewed", actor, {"faq": row.id})
    return get(row.id)


def vote(crm: CRM, actor: Actor, entry_id: int | str, helpful: bool) -> FaqResult:
    """Record whether an entry helped; one vote per person (a changed mind replaces it)."""
    with crm.action("faq.vote", actor) as act:
        row = get(entry_id)
        if not row.published:
            raise IllegalTransition(N_("FAQ entry {id}").format(id=row.id), "unpublished",
                                    "vote", ())
        previous = FaqVote.get_or_none(FaqVote.entry == row.id, FaqVote.voter == actor.username)
        if previous is not None and bool(previous.helpful) == helpful:
            act.done(id=row.id)
            return FaqResult(row.id, replayed=True)
        delta: dict[Any, Any] = {}
        if previous is None:
            FaqVote.create(entry=row.id, voter=actor.username, helpful=helpful, at=crm.now())
        else:
            previous.helpful, previous.at = helpful, crm.now()
            previous.save()
            old = FaqEntry.helpful if not helpful else FaqEntry.not_helpful
            delta[old] = old - 1
        new = FaqEntry.helpful if helpful else FaqEntry.not_helpful
        delta[new] = new + 1
        FaqEntry.update(delta).where(FaqEntry.id == row.id).execute()
        if actor.member_id is not None:
            crm.touch(actor.member_id, "retain", "by", "faq.voted", actor,
                      {"faq": row.id, "helpful": helpful})
        return FaqResult(row.id)


def from_ticket(crm: CRM, actor: Actor, number: str, *, question: str | None = None,
                answer: str | None = None, category: str | None = None) -> FaqResult:
    """Turn a resolved feedback ticket into an (unpublished) entry for the admin to review.

    The question defaults to the ticket's subject and the answer to its
    resolution; the member's own text and identity are never copied.  Doing it
    twice for one ticket returns the first entry.
    """
    if not crm.is_enabled("retain.feedback"):
        raise ValidationError("needs the retain.feedback plugin enabled", field="ticket")
    from dyncrm_retain.feedback import tickets

    crm.require(actor, "faq.manage")
    row = tickets.get_row(number)
    existing = FaqEntry.get_or_none(FaqEntry.source_ticket == row.number)
    if existing is not None:
        return FaqResult(existing.id, replayed=True)
    if row.stage not in ("resolved", "closed"):
        raise IllegalTransition(tickets.label(row), row.stage, N_("turn into an FAQ entry"), ())
    return add(crm, actor, question=question or row.subject,
               answer=answer or row.resolution or "", category=category or row.category,
               key=f"faq:from-ticket:{row.number}", source_ticket=row.number)
