"""``dyncrm faq ...``: the FAQ on the command line.

Reading (list, show, search) works without ``--as`` and then shows published
entries only; staff holding ``faq.manage`` also see unpublished ones.
"""

from __future__ import annotations

import os
import textwrap

import click

from dyncrm import output
from dyncrm.cli import USER_ENV, examples, json_option, pass_actor
from dyncrm.text import read_stdin
from dyncrm_retain.faq import search as faq_search
from dyncrm_retain.faq import store as faq_store
from dyncrm_retain.faq.models import FaqEntry


def _reader(ctx: click.Context):
    """The acting user if one was named, else ``None`` (an anonymous reader)."""
    name = ctx.obj.username or os.environ.get(USER_ENV)
    return ctx.obj.crm.actor(name) if name else None


def _text(value: str) -> str:
    return read_stdin(field="text") if value == "-" else value


def _row(e: FaqEntry) -> dict:
    return {"id": e.id, "category": e.category, "order": e.position,
            "question": e.question, "published": bool(e.published), "views": e.views,
            "helpful": f"{e.helpful}/{e.helpful + e.not_helpful}"}


def _done(result: faq_store.FaqResult, what: str, as_json: bool = False) -> None:
    if result.replayed:
        message = f"already recorded: FAQ entry {result.id} {what}; nothing changed"
    else:
        message = f"FAQ entry {result.id} {what}"
    output.action(as_json, message, replayed=result.replayed, entry_id=result.id)


def register(cli: click.Group) -> None:
    """Add the ``faq`` group to the command line."""

    @cli.group("faq")
    def faq() -> None:
        """Frequently asked questions: write, publish, search, read, vote."""

    @examples("dyncrm --as sekretaris faq add --category pinjaman --question \"Bagaimana "
              "cara mengajukan pinjaman?\" --answer \"Isi formulir pengajuan di kantor.\"")
    @faq.command("add")
    @click.option("--question", required=True)
    @click.option("--answer", required=True, help="Markdown ('-': read from stdin).")
    @click.option("--category", help="Default: the 'default_category' setting.")
    @click.option("--order", type=int, help="Position within the category (default: last).")
    @click.option("--publish", "publish_now", is_flag=True, help="Publish at once.")
    @click.option("--key", help="Idempotency key.")
    @json_option
    @pass_actor
    def add(crm, actor, question, answer, category, order, publish_now, key, as_json: bool):
        """Add an entry (unpublished unless --publish)."""
        result = faq_store.add(crm, actor, question=question, answer=_text(answer),
                               category=category, order=order, published=publish_now, key=key)
        _done(result, "added" + (" and published" if publish_now else ""), as_json=as_json)

    @examples("dyncrm --as sekretaris faq edit 1 --order 5")
    @faq.command("edit")
    @click.argument("entry_id", metavar="ID")
    @click.option("--question")
    @click.option("--answer", help="Markdown ('-': read from stdin).")
    @click.option("--category")
    @click.option("--order", type=int)
    @json_option
    @pass_actor
    def edit(crm, actor, entry_id, question, answer, category, order, as_json: bool):
        """Change an entry's question, answer, category or order."""
        result = faq_store.edit(crm, actor, entry_id, question=question,
                                answer=_text(answer) if answer is not None else None,
                                category=category, order=order)
        _done(result, "changed", as_json=as_json)

    @examples("dyncrm faq list --category pinjaman")
    @faq.command("list")
    @click.option("--category")
    @json_option
    @click.pass_context
    def list_(ctx, category, as_json):
        """List entries by category and order."""
        crm, actor = ctx.obj.crm, _reader(ctx)
        q = FaqEntry.select().order_by(FaqEntry.category, FaqEntry.position, FaqEntry.id)
        if not faq_store.can_manage(crm, actor):
            q = q.where(FaqEntry.published == True)  # noqa: E712 (SQL, not Python)
        if category:
            q = q.where(FaqEntry.category == faq_store.fold_category(category))
        rows = [_row(e) for e in q]
        output.emit(rows) if as_json else output.table(rows, empty="(no entries)")

    @examples("dyncrm faq show 1")
    @faq.command("show")
    @click.argument("entry_id", metavar="ID")
    @click.option("--html", is_flag=True, help="Print the answer rendered as safe HTML.")
    @json_option
    @click.pass_context
    def show(ctx, entry_id, html, as_json):
        """Show an entry's question and answer (counts as a view)."""
        crm = ctx.obj.crm
        e = faq_store.view(crm, _reader(ctx), entry_id)
        if as_json:
            output.emit({**_row(e), "answer": e.answer,
                              "answer_html": faq_store.render_answer(e.answer)})
            return
        click.echo(click.style(e.question, bold=True))
        click.echo()
        click.echo(faq_store.render_answer(e.answer) if html else e.answer.rstrip())
        click.echo()
        click.echo(f"[{e.category}] entry {e.id}; was this helpful? "
                   f"dyncrm faq vote {e.id} --yes / --no")

    @examples("dyncrm faq search jasa pinjaman")
    @faq.command("search")
    @click.argument("words", nargs=-1, required=True)
    @click.option("--category")
    @click.option("--limit", type=int, default=20, show_default=True)
    @json_option
    @click.pass_context
    def search(ctx, words, category, limit, as_json):
        """Find entries by words in their question or answer (case and accents ignored)."""
        crm, actor = ctx.obj.crm, _reader(ctx)
        found = faq_search.search(crm, " ".join(words),
                                  published_only=not faq_store.can_manage(crm, actor),
                                  category=faq_store.fold_category(category) if category else None,
                                  limit=limit)
        if as_json:
            output.emit([{**_row(e), "answer": e.answer} for e in found])
            return
        if not found:
            click.echo("no entry matches; try fewer or other words")
            return
        for e in found:
            click.echo(click.style(f"{e.id}. {e.question}", bold=True) + f"  [{e.category}]")
            first = " ".join(e.answer.split())
            click.echo(textwrap.indent(textwrap.shorten(first, 160, placeholder=" ..."), "   "))

    @examples("dyncrm --as sekretaris faq publish 1")
    @faq.command("publish")
    @click.argument("entry_id", metavar="ID")
    @json_option
    @pass_actor
    def publish(crm, actor, entry_id, as_json: bool):
        """Make an entry visible to members."""
        _done(faq_store.set_published(crm, actor, entry_id, True), "published",
              as_json=as_json)

    @examples("dyncrm --as sekretaris faq unpublish 1")
    @faq.command("unpublish")
    @click.argument("entry_id", metavar="ID")
    @json_option
    @pass_actor
    def unpublish(crm, actor, entry_id, as_json: bool):
        """Hide an entry from members."""
        _done(faq_store.set_published(crm, actor, entry_id, False), "unpublished",
              as_json=as_json)

    @examples("dyncrm --as anggota1 faq vote 1 --yes", run=False)
    @faq.command("vote")
    @click.argument("entry_id", metavar="ID")
    @click.option("--yes/--no", "helpful", required=True, help="Did the answer help?")
    @json_option
    @pass_actor
    def vote(crm, actor, entry_id, helpful, as_json: bool):
        """Say whether an entry helped you (one vote each; voting again changes it)."""
        _done(faq_store.vote(crm, actor, entry_id, helpful),
              "marked helpful" if helpful else "marked not helpful", as_json=as_json)

    @examples("dyncrm --as sekretaris faq from-ticket KS-2025-00024")
    @faq.command("from-ticket")
    @click.argument("number")
    @click.option("--question", help="Default: the ticket's subject.")
    @click.option("--answer", help="Default: the ticket's resolution ('-': stdin).")
    @click.option("--category", help="Default: the ticket's category.")
    @json_option
    @pass_actor
    def from_ticket(crm, actor, number, question, answer, category, as_json: bool):
        """Turn a resolved feedback ticket into an unpublished entry to review."""
        result = faq_store.from_ticket(crm, actor, number, question=question,
                                       answer=_text(answer) if answer else None,
                                       category=category)
        _done(result, f"made from ticket {number.upper()} (unpublished: review it, then "
                      f"dyncrm faq publish {result.id})", as_json=as_json)
