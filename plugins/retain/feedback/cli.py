"""``dyncrm feedback ...``: complaints and suggestions on the command line."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor
from dyncrm.errors import ValidationError
from dyncrm.files import atomic_open, write_atomic
from dyncrm.i18n import N_
from dyncrm.text import read_stdin
from dyncrm_retain.feedback import tickets
from dyncrm_retain.feedback.models import FeedbackTicket

if TYPE_CHECKING:
    from dyncrm_retain.feedback import report as feedback_report

DATE = params.DATE  # a business date within plausible bounds


def _member_label(crm, actor, row: FeedbackTicket, members: dict | None = None) -> str:
    if not tickets.sees_identity(crm, actor, row):
        return "(anonymous)"
    m = members.get(row.member_id) if members is not None else None
    if m is None:
        info = crm.member(row.member_id)
        return f"{info.number or '#' + str(info.id)} {info.name}"
    return f"{m.number or '#' + str(m.id)} {m.name}"


def _local(crm, value, *, date_only: bool = False) -> str:
    """A stored (naive UTC) timestamp in the organisation's time, to the minute."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.replace(tzinfo=dt.UTC).astimezone(crm.tz)
    return local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def _done(result: tickets.TicketResult, what: str, as_json: bool = False) -> None:
    t = result.ticket
    if result.replayed:
        message = N_("already recorded: {what} for ticket {number}; nothing changed").format(
            what=what, number=t.number)  # what: a message id too, translated inside
    else:
        message = N_("ticket {number}: {what} (now {stage})").format(
            number=t.number, what=what, stage=t.stage.replace("_", " "))
    output.action(as_json, message, replayed=result.replayed, ticket=t.number, stage=t.stage)


def _text_arg(value: str) -> str:
    """``-`` reads the text from standard input."""
    return read_stdin(field="text") if value == "-" else value


def _write_csv(rep: feedback_report.FeedbackReport, out) -> None:
    """The three tables as CSV, separated by a blank line: volume, service levels, and the
    tickets themselves (anonymous ones naming nobody)."""
    from dyncrm_retain.feedback.report import TICKET_COLUMNS

    volume = rep.volume_rows()
    output.write_csv(volume, out, list(volume[0].keys()))
    out.write("\n")
    summary = rep.summary_rows()
    output.write_csv(summary, out, list(summary[0].keys()))
    out.write("\n")
    output.write_csv(rep.ticket_rows(), out, list(TICKET_COLUMNS))


def _print_tickets(rep: feedback_report.FeedbackReport) -> None:
    """Each ticket as a block: a line of its facts, then its texts indented."""
    import textwrap

    from dyncrm.text import printable

    click.echo(click.style(f"Tickets ({len(rep.tickets)})", bold=True))
    if not rep.tickets:
        click.echo("(no tickets)")

    def say(label: str, text: str) -> None:
        lines = text.splitlines() or [""]
        first = True
        for line in lines:
            for part in textwrap.wrap(printable(line), 96) or [""]:
                click.echo(f"    {label if first else ' ' * len(label)}{part}")
                first = False

    for t in rep.tickets:
        rating = f"  rating {t.rating}/5" if t.rating is not None else ""
        click.echo(f"{t.number}  {t.submitted_on.isoformat()}  {t.kind}  {t.category}  "
                   f"{t.stage.replace('_', ' ')}  {printable(t.member)}{rating}")
        say("", t.subject)
        say("", t.text)
        for on, text in t.replies:
            say(f"reply {on.isoformat()}: ", text)
        if t.outcome:
            say("resolution: " if not t.reject_reason else "", t.outcome)
        if t.rating_comment:
            say("rating comment: ", t.rating_comment)


def register(cli: click.Group) -> None:
    """Add the ``feedback`` group to the command line."""

    @cli.group("feedback")
    def feedback() -> None:
        """Complaints and suggestions (kritik dan saran) and their follow-up."""

    @examples("dyncrm --as anggota1 feedback submit --category layanan --subject \"Long "
              "queue\" --text \"I waited two hours at the desk.\"")
    @feedback.command("submit")
    @click.option("--category", required=True, help="One of the configured categories.")
    @click.option("--subject", required=True, help="A short title.")
    @click.option("--text", required=True, help="What happened or what you suggest ('-': stdin).")
    @click.option("--kind", type=click.Choice(tickets.KINDS), default="complaint",
                  show_default=True)
    @click.option("--member", "member_ref", help="File for this member (staff only).")
    @click.option("--anonymous", is_flag=True,
                  help="Hide who wrote it from staff other than the administrator.")
    @click.option("--attach", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  help="A file (PDF or image) to attach.")
    @click.option("--key", help="Idempotency key (e.g. a form submission id).")
    @json_option
    @pass_actor
    def submit(crm, actor, category, subject, text, kind, member_ref, anonymous, attach, key,
               as_json: bool):
        """File a complaint or suggestion; prints the ticket number."""
        attachment = (attach.read_bytes(), attach.name) if attach else None
        result = tickets.submit(crm, actor, category=category, subject=subject,
                                text=_text_arg(text), kind=kind, member=member_ref,
                                anonymous=anonymous, attachment=attachment, key=key)
        t = result.ticket
        if result.replayed:
            message = f"already recorded: ticket {t.number}; nothing changed"
        else:
            message = (f"filed ticket {t.number} ({t.kind}, {t.category}); acknowledgement due "
                       f"by {t.ack_due_on.isoformat()}, resolution by "
                       f"{t.resolve_due_on.isoformat()}")
        output.action(as_json, message, replayed=result.replayed, ticket=t.number,
                      kind=t.kind, category=t.category, ack_due_on=t.ack_due_on,
                      resolve_due_on=t.resolve_due_on)

    @examples("dyncrm --as sekretaris feedback list --stage new")
    @feedback.command("list")
    @click.option("--stage", type=click.Choice(tickets.TICKET_STAGES.stages))
    @click.option("--category")
    @click.option("--mine", is_flag=True, help="Only tickets assigned to me.")
    @click.option("--overdue", is_flag=True, help="Only open tickets past a deadline.")
    @click.option("--published", is_flag=True, help="What came of members' suggestions.")
    @json_option
    @pass_actor
    def list_(crm, actor, stage, category, mine, overdue, published, as_json):
        """List tickets (staff: all; members: their own; --published: for everyone)."""
        from dyncrm.db.models import Member

        today = crm.today()
        if published:
            q = (FeedbackTicket.select().where(FeedbackTicket.published == True)  # noqa: E712
                 .order_by(FeedbackTicket.published_at.desc()))
            rows = [{"ticket": r.number, "category": r.category, "title": r.public_title,
                     "what was done": r.public_text, "published": r.published_at}
                    for r in q]
            output.emit(rows) if as_json else output.table(
                rows, empty="(nothing published yet)")
            return
        if overdue:
            crm.require(actor, "feedback.view")
            late = tickets.overdue_rows(crm, today)
            rows = [{"ticket": r.number, "late to": step, "due": due.isoformat(),
                     "days late": (today - due).days, "stage": r.stage,
                     "category": r.category, "assignee": r.assignee or "",
                     "subject": r.subject} for r, step, due in late]
            output.emit(rows) if as_json else output.table(
                rows, empty="(no overdue tickets)")
            return
        q = FeedbackTicket.select().order_by(FeedbackTicket.id.desc())
        if not crm.users.can(actor, "feedback.view"):
            if actor.member_id is None:
                crm.require(actor, "feedback.view")
            q = q.where(FeedbackTicket.member == actor.member_id)
        if stage:
            q = q.where(FeedbackTicket.stage == stage)
        if category:
            q = q.where(FeedbackTicket.category == category.lower())
        if mine:
            q = q.where(FeedbackTicket.assignee == actor.username)
        found = list(q)
        members = {m.id: m for m in Member.select().where(
            Member.id.in_(sorted({r.member_id for r in found})))} if found else {}
        rows = [{"ticket": r.number, "submitted": r.submitted_on, "kind": r.kind,
                 "category": r.category, "stage": r.stage,
                 "member": _member_label(crm, actor, r, members),
                 "assignee": r.assignee or "", "subject": r.subject,
                 "rating": r.rating or ""} for r in found]
        output.emit(rows) if as_json else output.table(rows, empty="(no tickets)")

    @examples("dyncrm --as sekretaris feedback show KS-2025-00024")
    @feedback.command("show")
    @click.argument("number")
    @json_option
    @pass_actor
    def show(crm, actor, number, as_json):
        """Show a ticket with its history (internal notes only for staff)."""
        row = tickets.get_row(number)
        tickets.require_view(crm, actor, row)
        staff = crm.users.can(actor, "feedback.view")
        # times of anonymous tickets stay vague for those who may not know the writer
        vague = not tickets.sees_identity(crm, actor, row)
        info = {
            "ticket": row.number, "kind": row.kind, "category": row.category,
            "stage": row.stage, "member": _member_label(crm, actor, row),
            "submitted": _local(crm, row.created_at, date_only=vague),
            "acknowledge by": row.ack_due_on,
            "resolve by": row.resolve_due_on, "assignee": row.assignee or "",
            "subject": row.subject, "text": row.text,
        }
        if row.attachment_stored:
            info["attachment"] = (f"{row.attachment_name} ({row.attachment_type}, "
                                  f"{row.attachment_size:,} bytes)")
        if row.resolution:
            info["resolution"] = row.resolution
        if row.reject_reason:
            info["rejected because"] = row.reject_reason
        if row.rating:
            info["rating"] = f"{row.rating}/5" + (f" {row.rating_comment}"
                                                  if row.rating_comment else "")
        if row.published:
            info["published"] = f"{row.public_title}: {row.public_text}"
        hidden: set[str] = set()
        if vague:  # the member's own logins would give the writer away
            from dyncrm.db.models import User

            hidden = {u.username for u in User.select(User.username)
                      .where(User.member == row.member_id)}
        events = [{"at": _local(crm, e.at, date_only=vague),
                   "by": "(member)" if e.actor in hidden else e.actor,
                   "action": e.action + (" (internal)" if e.internal else ""),
                   "stage": e.to_stage or "", "text": e.text or ""}
                  for e in tickets.history(row, internal=staff)]
        if as_json:
            when = (lambda at: output.in_zone(at).date()) if vague else (lambda at: at)
            output.emit({"ticket": {**{k.replace(" ", "_"): v for k, v in info.items()},
                                    "submitted": when(row.created_at)},
                         "history": [{**e, "at": when(h.at)} for e, h in
                                     zip(events, tickets.history(row, internal=staff),
                                         strict=True)]})
            return
        output.kv(info)
        click.echo()
        output.table(events, ["at", "by", "action", "stage", "text"])

    #: The --help examples of the steps: (lines, whether they run on the demo).
    TRANSITION_EXAMPLES = {
        "ack": (["dyncrm --as sekretaris feedback ack KS-2026-00001 "
                 "--message \"We are looking into it.\""], False),
        "start": (["dyncrm --as bendahara feedback start KS-2026-00001"], False),
        "resolve": (["dyncrm --as bendahara feedback resolve KS-2026-00001 "
                     "\"A second counter opens every Monday.\""], False),
        "close": (["dyncrm --as anggota1 feedback close KS-2025-00020"], True),
        "reject": (["dyncrm --as sekretaris feedback reject KS-2026-00001 "
                    "\"This is a matter for the bank.\""], False),
    }

    def _transition_command(name: str, action: str, what: str, needs_text: str | None):
        params = [click.Argument(["number"])]
        if needs_text:
            params.append(click.Argument(["text"], metavar=needs_text.upper()))
        else:
            params.append(click.Option(["--message"], help="A message to the member."))

        @json_option
        @pass_actor
        def command(crm, actor, number, text=None, message=None, as_json=False):
            result = tickets.transition(crm, actor, number, action,
                                        text=_text_arg(text) if text else message)
            _done(result, what, as_json)

        command.__doc__ = {
            "ack": "Acknowledge a new ticket; the member is told.",
            "start": "Mark an acknowledged ticket as in progress.",
            "resolve": "Resolve a ticket, saying what was done (TEXT); the member is told.",
            "close": "Close a resolved ticket (staff, or the member who filed it).",
            "reject": "Reject a ticket, with the REASON sent to the member.",
        }[name]
        params += getattr(command, "__click_params__", [])  # --json
        feedback.add_command(examples(*TRANSITION_EXAMPLES[name][0],
                                      run=TRANSITION_EXAMPLES[name][1])(
            click.Command(name, callback=command, params=params, help=command.__doc__)))

    _transition_command("ack", "acknowledge", N_("acknowledged"), None)
    _transition_command("start", "start", N_("started"), None)
    _transition_command("resolve", "resolve", N_("resolved"), "text")
    _transition_command("close", "close", N_("closed"), None)
    _transition_command("reject", "reject", N_("rejected"), "reason")

    @examples("dyncrm --as sekretaris feedback assign KS-2026-00001 bendahara", run=False)
    @feedback.command("assign")
    @click.argument("number")
    @click.argument("username")
    @json_option
    @pass_actor
    def assign(crm, actor, number, username, as_json: bool):
        """Assign a ticket to a staff member."""
        _done(tickets.assign(crm, actor, number, username),
              N_("assigned to {username}").format(username=username), as_json)

    @examples("dyncrm --as bendahara feedback note KS-2026-00001 \"Queue system was down on "
              "Monday.\"",
              run=False)
    @feedback.command("note")
    @click.argument("number")
    @click.argument("text")
    @click.option("--key", help="Idempotency key.")
    @json_option
    @pass_actor
    def note(crm, actor, number, text, key, as_json: bool):
        """Add an internal note (never shown to the member)."""
        _done(tickets.add_note(crm, actor, number, _text_arg(text), key=key), "note added",
              as_json)

    @examples("dyncrm --as bendahara feedback reply KS-2026-00001 \"We are adding a second "
              "counter.\"",
              run=False)
    @feedback.command("reply")
    @click.argument("number")
    @click.argument("text")
    @click.option("--key", help="Idempotency key.")
    @json_option
    @pass_actor
    def reply(crm, actor, number, text, key, as_json: bool):
        """Reply to the member (they are sent the reply)."""
        _done(tickets.reply(crm, actor, number, _text_arg(text), key=key), "reply sent",
              as_json)

    @examples("dyncrm --as anggota1 feedback rate KS-2025-00020 5 --comment \"Thank you\"")
    @feedback.command("rate")
    @click.argument("number")
    @click.argument("rating", type=int)
    @click.option("--comment", default="", help="What could be better.")
    @json_option
    @pass_actor
    def rate(crm, actor, number, rating, comment, as_json: bool):
        """Rate how a resolved ticket was handled, 1 (bad) to 5 (very good)."""
        _done(tickets.rate(crm, actor, number, rating, comment=comment), f"rated {rating}/5",
              as_json)

    @examples("dyncrm --as ketua feedback publish KS-2025-00021 \"A scholarship fund starts "
              "next year.\" --title \"Beasiswa\"")
    @feedback.command("publish")
    @click.argument("number")
    @click.argument("text")
    @click.option("--title", help="Title shown to members (default: the category).")
    @json_option
    @pass_actor
    def publish(crm, actor, number, text, title, as_json: bool):
        """Publish what came of a resolved ticket, without personal data."""
        _done(tickets.publish(crm, actor, number, text=_text_arg(text), title=title),
              "published", as_json)

    @examples("dyncrm --as sekretaris feedback attachment KS-2026-00001 --out lampiran.png",
              run=False)
    @feedback.command("attachment")
    @click.argument("number")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the file.")
    @json_option
    @pass_actor
    def attachment(crm, actor, number, out, as_json: bool):
        """Save a ticket's attachment to a file."""
        data, name, content_type = tickets.read_attachment(crm, actor, number)
        write_atomic(out, data)
        output.action(as_json, f"wrote {out} ({name}, {content_type}, {len(data):,} bytes)",
                      ticket=number.upper(), path=str(out), name=name,
                      content_type=content_type, size=len(data))

    @examples("dyncrm --as sekretaris feedback report --since 2025-01-01 --until 2025-12-31")
    @feedback.command("report")
    @click.option("--since", type=DATE, help="First submission date (default: 1 January).")
    @click.option("--until", type=DATE, help="Last submission date (default: today).")
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True),
                  help="Write the tables as CSV to this file ('-': stdout).")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write a printable PDF to this file.")
    @json_option
    @pass_actor
    def report(crm, actor, since, until, csv_path, pdf_path, as_json):
        """Volume by category and month, time to acknowledge/resolve, SLA share, CSAT, and
        the tickets themselves (anonymous ones naming nobody)."""
        crm.require(actor, "feedback.report")
        today = crm.today()
        start = since or dt.date(today.year, 1, 1)
        end = until or today
        if end < start:
            raise ValidationError("--until is before --since", field="until")
        from dyncrm_retain.feedback import report as feedback_report

        rep = feedback_report.build(crm, start, end)
        if as_json:
            months = re.compile(r"\d{4}-\d{2}")
            output.emit({
                "since": start, "until": end,
                "volume": [{**{output.snake_key(k): v for k, v in row.items()
                               if not months.fullmatch(str(k))},
                            "months": [{"month": k, "count": v} for k, v in row.items()
                                       if months.fullmatch(str(k))]}
                           for row in rep.volume_rows()],
                "summary": [{output.snake_key(k): v for k, v in row.items()}
                            for row in rep.summary_rows()],
                "tickets": [{output.snake_key(k): v for k, v in row.items()}
                            for row in rep.ticket_rows()]})
        elif csv_path == "-":
            _write_csv(rep, sys.stdout)
        elif csv_path:
            with atomic_open(csv_path, "w", newline="", encoding="utf-8") as out:
                _write_csv(rep, out)
            click.echo(f"wrote {csv_path}")
        else:
            click.echo(f"Feedback report {start.isoformat()} to {end.isoformat()}")
            click.echo()
            volume = rep.volume_rows()
            output.table(volume, list(volume[0].keys()),
                         align_right=[*rep.months, "total"])
            click.echo()
            summary = rep.summary_rows()
            output.table(summary, list(summary[0].keys()),
                         align_right=[k for k in summary[0] if k != "category"])
            click.echo()
            _print_tickets(rep)
        if pdf_path:
            from dyncrm_retain.feedback.pdf import render

            write_atomic(pdf_path, render(crm, rep))
            click.echo(f"wrote {pdf_path}")
