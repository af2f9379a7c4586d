"""The portal's FAQ: questions and answers for visitors and members, managed by staff.

Everyone (signed in or not) reads the published entries at ``/faq/`` and
searches them with the library's search; signed-in people say whether an
entry helped.  Staff holding ``faq.manage`` write, edit, publish and
unpublish entries (:mod:`dyncrm_retain.faq.store`, as ``dyncrm faq`` does).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.web import MenuEntry, WebExtension
from dyncrm.web.forms import field_error, form_key
from dyncrm.web.guards import actor, crm, signed_in, staff_only
from dyncrm_retain.faq import search as faq_search
from dyncrm_retain.faq import store
from dyncrm_retain.faq.models import FaqEntry

blueprint = Blueprint("faq", __name__, url_prefix="/faq", template_folder="templates")




def _entry(entry_id: int) -> FaqEntry:
    try:
        return store.get(entry_id)
    except NotFoundError:
        abort(404)


@blueprint.route("/")
def index():
    """Published entries by category, or those matching the search words (``?q=``)."""
    c = crm()
    query = request.args.get("q", "").strip()
    if query:
        entries = faq_search.search(c, query, published_only=True)
    else:
        entries = list(FaqEntry.select().where(FaqEntry.published == True)  # noqa: E712
                       .order_by(FaqEntry.category, FaqEntry.position, FaqEntry.id))
    return render_template("web/faq/index.html", query=query, entries=entries,
                           answer=store.render_answer)


@blueprint.route("/<int:entry_id>")
def entry(entry_id: int):
    """One entry (its view is counted); unpublished ones only for staff."""
    row = store.view(crm(), actor(), entry_id)
    return render_template("web/faq/entry.html", entry=row,
                           answer_html=store.render_answer(row.answer),
                           manage=store.can_manage(crm(), actor()))


@blueprint.route("/<int:entry_id>/vote", methods=["POST"])
@signed_in
def vote(entry_id: int):
    """Was this helpful? One vote per person; a changed mind replaces it."""
    c = crm()
    row = _entry(entry_id)
    helpful = request.form.get("helpful")
    if helpful not in ("yes", "no"):
        abort(400)
    try:
        store.vote(c, actor(), row.id, helpful == "yes")
    except IllegalTransition:
        abort(404)
    flash(c.t("Thank you for your answer."))
    return redirect(url_for("faq.entry", entry_id=row.id), 303)


# -- staff ---------------------------------------------------------------------------


@blueprint.route("/manage/")
@staff_only("faq.manage")
def manage():
    """Every entry, published or not, with its views and votes."""
    entries = list(FaqEntry.select().order_by(FaqEntry.category, FaqEntry.position,
                                              FaqEntry.id))
    return render_template("web/faq/manage.html", entries=entries)


def _order(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError(crm().t("Give a whole number."), field="order") from None


def _form_page(entry_row: FaqEntry | None, form: Any, errors: dict[str, str], status: int = 200):
    return render_template("web/faq/form.html", entry=entry_row, form=form, errors=errors,
                           key=form_key(form.get("key"))), status


@blueprint.route("/manage/new", methods=["GET", "POST"])
@staff_only("faq.manage")
def new():
    """Write a new entry (unpublished unless asked)."""
    c = crm()
    if request.method == "GET":
        return _form_page(None, {"category": store.settings(c).default_category}, {})
    form = request.form
    errors: dict[str, str] = {}
    try:
        result = store.add(c, actor(), question=form.get("question", ""),
                           answer=form.get("answer", ""), category=form.get("category") or None,
                           order=_order(form.get("order")), published=form.get("published") == "1",
                           key=form_key(form.get("key")))
    except ValidationError as exc:
        errors.update(field_error(exc))
        return _form_page(None, form, errors, 400)
    flash(c.t("FAQ entry {id} is saved.", id=result.id))
    return redirect(url_for("faq.edit", entry_id=result.id), 303)


@blueprint.route("/manage/<int:entry_id>", methods=["GET", "POST"])
@staff_only("faq.manage")
def edit(entry_id: int):
    """Change an entry's question, answer, category or order."""
    c = crm()
    row = _entry(entry_id)
    if request.method == "GET":
        return _form_page(row, {"question": row.question, "answer": row.answer,
                                "category": row.category, "order": row.position}, {})
    form = request.form
    errors: dict[str, str] = {}
    try:
        store.edit(c, actor(), row.id, question=form.get("question", ""),
                   answer=form.get("answer", ""), category=form.get("category", ""),
                   order=_order(form.get("order")))
    except ValidationError as exc:
        errors.update(field_error(exc))
        return _form_page(row, form, errors, 400)
    flash(c.t("FAQ entry {id} is saved.", id=row.id))
    return redirect(url_for("faq.edit", entry_id=row.id), 303)


@blueprint.route("/manage/<int:entry_id>/publish", methods=["POST"])
@staff_only("faq.manage")
def publish(entry_id: int):
    """Publish (``published=1``) or unpublish (``published=0``) an entry."""
    c = crm()
    row = _entry(entry_id)
    wanted = request.form.get("published")
    if wanted not in ("0", "1"):
        abort(400)
    store.set_published(c, actor(), row.id, wanted == "1")
    flash(c.t("FAQ entry {id} is published.", id=row.id) if wanted == "1"
          else c.t("FAQ entry {id} is no longer published.", id=row.id))
    return redirect(url_for("faq.edit", entry_id=row.id), 303)


@hookimpl
def dyncrm_web(crm):
    """The FAQ pages: reading for everyone, managing for staff."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("Questions and answers", "faq.index", "public", order=90),
              MenuEntry("Questions and answers", "faq.index", "member", order=90),
              MenuEntry("Manage the FAQ", "faq.manage", "staff", permission="faq.manage",
                        order=90)],
    )
