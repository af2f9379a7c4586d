"""retain.feedback: tickets, workflow, anonymity, attachments, SLA, overdue items, report."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from decimal import Decimal
from types import SimpleNamespace

import pytest
from retain_support import SYSTEM, add_member, add_staff, counts, fixed_clock

from dyncrm import hookimpl
from dyncrm.config import ConfigError
from dyncrm.db.models import OutboxMessage, Touchpoint
from dyncrm.errors import (
    DyncrmError,
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm_retain.feedback import report as feedback_report
from dyncrm_retain.feedback import tickets
from dyncrm_retain.feedback.models import FeedbackEvent, FeedbackTicket


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=100, height=100)
    writer.write(out)
    return out.getvalue()


#: attachments that parse (attachments are checked by parsing, not by their first bytes)
PNG = _png()
PDF = _pdf()
FRIDAY = dt.datetime(2026, 3, 6, 3, 0)  # 10:00 in Jakarta


def build(make_crm, *, extra_plugins=(), feedback=None, enabled=("retain.feedback",)):
    clock = fixed_clock(FRIDAY)
    crm = make_crm(enabled=list(enabled), clock=clock, extra_plugins=extra_plugins,
                   plugins={"retain.feedback": {"escalate_to": "pengurus@example.org",
                                                "staff_contacts": {"sec": "sec@example.org"},
                                                **(feedback or {})}})
    siti_id = add_member(crm, "Siti Aminah", number="A001", login="siti")
    budi_id = add_member(crm, "Budi Santoso", number="A002", login="budi")
    return SimpleNamespace(
        crm=crm, clock=clock, siti_id=siti_id, budi_id=budi_id,
        siti=crm.actor("siti"), budi=crm.actor("budi"),
        admin=add_staff(crm, "admin", "admin"), sec=add_staff(crm, "sec", "secretary"),
        treasurer=add_staff(crm, "bendahara", "treasurer"),
    )


@pytest.fixture
def env(make_crm):
    return build(make_crm)


def file_one(env, **kw):
    args = dict(category="service", subject="Long queue", text="I waited two hours at the desk.")
    args.update(kw)
    return tickets.submit(env.crm, kw.pop("actor", env.siti), **{k: v for k, v in args.items()
                                                                  if k != "actor"}).ticket


def ticket_state(number):
    row = FeedbackTicket.get(FeedbackTicket.number == number)
    return {f: getattr(row, f) for f in row.__data__}


# --- submitting ---------------------------------------------------------------------


def test_submit_numbers_the_ticket_tells_the_member_and_records_a_touchpoint(env):
    t = file_one(env)
    assert t.number == "FB-2026-00001" and t.stage == "new" and t.member_id == env.siti_id
    assert file_one(env).number == "FB-2026-00002"
    msg = OutboxMessage.get(OutboxMessage.key == "feedback:FB-2026-00001:received")
    assert msg.recipient == "siti@example.org" and "FB-2026-00001" in msg.subject
    assert "acknowledge it by 10 Maret 2026" in msg.body
    tp = next(t for t in env.crm.timeline(env.siti_id) if t.kind == "feedback.submitted")
    assert (tp.phase, tp.info, tp.payload["ticket"]) == ("retain", "by", "FB-2026-00001")


def test_sla_deadlines_skip_weekends_and_holidays(make_crm):
    env = build(make_crm, feedback={"holidays": ["2026-03-09"], "resolve_days": 10,
                                    "resolve_in_working_days": True})
    t = file_one(env)  # Friday; Monday 9 March is a holiday
    assert t.ack_due_on == dt.date(2026, 3, 11)
    assert t.resolve_due_on == dt.date(2026, 3, 23)  # 10 working days, holiday skipped


def test_calendar_day_resolution_deadline(env):
    t = file_one(env)
    assert (t.ack_due_on, t.resolve_due_on) == (dt.date(2026, 3, 10), dt.date(2026, 3, 20))


def test_number_pattern_and_categories_come_from_config(make_crm):
    env = build(make_crm, feedback={"number_pattern": "KS/{year}/{seq:04d}",
                                    "categories": ["layanan", "simpanan"]})
    assert file_one(env, category="Layanan").number == "KS/2026/0001"
    with pytest.raises(ValidationError, match="categories: layanan, simpanan"):
        file_one(env, category="service")


@pytest.mark.parametrize("section, message", [
    ({"number_pattern": "FB-{year}"}, "must contain {seq}"),
    ({"number_pattern": "FB-{seq}-{branch}"}, "cannot be used"),
    ({"holidays": ["25-12-2026"]}, "not a date"),
    ({"attachment_types": ["exe"]}, "unknown type 'exe'"),
    ({"ack_working_days": -1}, "must not be negative"),
    ({"colour": "red"}, "unknown key 'colour'"),
])
def test_bad_settings_are_refused_naming_the_key(make_crm, section, message):
    with pytest.raises(ConfigError, match=message):
        make_crm(enabled=["retain.feedback"], plugins={"retain.feedback": section})


@pytest.mark.parametrize("kw, field", [
    ({"category": "weather"}, "category"),
    ({"subject": "  "}, "subject"),
    ({"text": ""}, "text"),
    ({"kind": "praise"}, "kind"),
    ({"attachment": (b"MZ\x90\x00 not an accepted file", "report.pdf")}, "attachment"),
    ({"attachment": (b"", "empty.png")}, "attachment"),
    ({"attachment": (b"%PDF-1.7\n<html><script>alert(1)</script></html>", "a.pdf")},
     "attachment"),
    ({"attachment": (PNG[:60], "cut.png")}, "attachment"),
    ({"attachment": (PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction "
                                 b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"), "js.pdf")},
     "attachment"),
])
def test_bad_input_is_refused_and_changes_nothing(env, kw, field):
    before = counts(FeedbackTicket, FeedbackEvent)
    with pytest.raises(ValidationError) as err:
        file_one(env, **kw)
    assert err.value.field == field
    assert counts(FeedbackTicket, FeedbackEvent) == before
    assert not (env.crm.config.data_dir / "feedback-attachments").exists() or \
        not any((env.crm.config.data_dir / "feedback-attachments").iterdir())


def test_only_members_file_for_themselves_staff_for_others(env):
    with pytest.raises(ValidationError, match="which member"):
        tickets.submit(env.crm, env.sec, category="service", subject="s", text="t")
    with pytest.raises(PermissionDenied):
        tickets.submit(env.crm, env.siti, category="service", subject="s", text="t",
                       member="A002")
    t = tickets.submit(env.crm, env.sec, category="service", subject="By letter",
                       text="Letter received at the office", member="A002").ticket
    assert t.member_id == env.budi_id
    with pytest.raises(PermissionDenied):
        tickets.submit(env.crm, env.treasurer, category="service", subject="s", text="t",
                       member="A002")


def test_resubmitting_with_the_same_key_is_a_replay(env):
    first = tickets.submit(env.crm, env.siti, category="app", subject="Login", text="Fails",
                           key="form-77")
    before = counts(FeedbackTicket)
    again = tickets.submit(env.crm, env.siti, category="app", subject="Login", text="Fails",
                           key="form-77")
    assert again.replayed and again.ticket.number == first.ticket.number
    assert counts(FeedbackTicket) == before


# --- attachments --------------------------------------------------------------------


def test_attachment_type_is_judged_by_content_and_stored_outside_under_a_random_name(env):
    t = file_one(env, attachment=(PNG, "../../etc/passwd.pdf"))
    row = FeedbackTicket.get(FeedbackTicket.number == t.number)
    assert row.attachment_type == "image/png" and row.attachment_size == len(PNG)
    assert row.attachment_name == "passwd.pdf"  # shown only; never used as a path
    folder = env.crm.config.data_dir / "feedback-attachments"
    stored = folder / row.attachment_stored
    assert stored.read_bytes() == PNG and stored.suffix == ".png"
    assert len(row.attachment_stored) == 32 + 4
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    data, name, ctype = tickets.read_attachment(env.crm, env.sec, t.number)
    assert (data, name, ctype) == (PNG, "passwd.pdf", "image/png")
    with pytest.raises(PermissionDenied):
        tickets.read_attachment(env.crm, env.budi, t.number)


def test_attachment_size_is_limited(make_crm):
    env = build(make_crm, feedback={"max_attachment_bytes": 50, "attachment_types": ["pdf"]})
    with pytest.raises(ValidationError, match="at most 50"):
        file_one(env, attachment=(PDF, "big.pdf"))
    with pytest.raises(ValidationError, match="accepted types"):
        file_one(env, attachment=(PNG[:40], "small.png"))  # png not allowed here


def test_hook_dyncrm_retain_feedback_received(make_crm):
    seen = []

    class Watcher:
        @hookimpl
        def dyncrm_retain_feedback_received(self, crm, ticket):
            seen.append(ticket)
            if ticket.subject == "refuse me":
                raise ValidationError("refused by a plugin")

    env = build(make_crm, extra_plugins=[("test.watcher", Watcher())])
    t = file_one(env)
    assert seen == [t] and isinstance(t, tickets.Ticket)
    before = counts(FeedbackTicket, FeedbackEvent)
    with pytest.raises(ValidationError, match="refused by a plugin"):
        file_one(env, subject="refuse me", attachment=(PNG, "photo.png"))
    assert counts(FeedbackTicket, FeedbackEvent) == before
    assert len(list((env.crm.config.data_dir / "feedback-attachments").iterdir())) == 0


# --- workflow -----------------------------------------------------------------------


def test_whole_workflow_with_touchpoints_notes_and_replies(env):
    crm = env.crm
    n = file_one(env).number
    tickets.acknowledge(crm, env.sec, n, text="Thank you, we are on it.")
    tickets.assign(crm, env.sec, n, "bendahara")
    tickets.add_note(crm, env.treasurer, n, "Member is A001; the queue system was down.")
    tickets.reply(crm, env.treasurer, n, "We are fixing the queue system.")
    tickets.start(crm, env.treasurer, n)
    tickets.resolve(crm, env.treasurer, n, resolution="A second counter is open on Mondays.")
    tickets.rate(crm, env.siti, n, 4, comment="Better now")
    tickets.close(crm, env.siti, n)

    row = FeedbackTicket.get(FeedbackTicket.number == n)
    assert row.stage == "closed" and row.assignee == "bendahara" and row.rating == 4
    kinds = [t.kind for t in crm.timeline(env.siti_id) if t.kind.startswith("feedback.")]
    assert kinds == ["feedback.submitted", "feedback.acknowledged", "feedback.assigned",
                     "feedback.noted", "feedback.replied", "feedback.started",
                     "feedback.resolved", "feedback.rated", "feedback.closed"]
    infos = {t.kind: t.info for t in crm.timeline(env.siti_id)}
    assert infos["feedback.submitted"] == infos["feedback.rated"] == "by"
    assert infos["feedback.replied"] == "for"
    # the member is sent replies and stage news, never the internal note
    bodies = [m.body for m in OutboxMessage.select().where(OutboxMessage.member == env.siti_id)]
    assert any("We are fixing the queue system." in b for b in bodies)
    assert any("A second counter is open on Mondays." in b for b in bodies)
    assert not any("queue system was down" in b for b in bodies)
    assert all("queue system was down" not in str(t.payload) for t in crm.timeline(env.siti_id))
    member_view = [e.action for e in tickets.history(row, internal=False)]
    assert "note" not in member_view and "assign" not in member_view and "reply" in member_view
    assert "note" in [e.action for e in tickets.history(row, internal=True)]


def test_repeating_a_stage_change_is_a_replay_that_changes_nothing(env):
    n = file_one(env).number
    tickets.acknowledge(env.crm, env.sec, n)
    before, state = counts(FeedbackEvent), ticket_state(n)
    again = tickets.acknowledge(env.crm, env.sec, n)
    assert again.replayed and again.ticket.stage == "acknowledged"
    assert counts(FeedbackEvent) == before and ticket_state(n) == state
    assert tickets.assign(env.crm, env.sec, n, "sec").replayed is False
    assert tickets.assign(env.crm, env.sec, n, "sec").replayed is True


@pytest.mark.parametrize("action", ["start", "resolve", "close"])
def test_illegal_transitions_are_refused_and_change_nothing(env, action):
    n = file_one(env).number
    before, state = counts(FeedbackTicket, FeedbackEvent), ticket_state(n)
    with pytest.raises(IllegalTransition, match=f"cannot {action} ticket {n}: it is 'new'"):
        tickets.transition(env.crm, env.sec, n, action, text="done")
    assert counts(FeedbackTicket, FeedbackEvent) == before and ticket_state(n) == state


def test_reject_needs_a_reason_and_tells_the_member(env):
    n = file_one(env).number
    with pytest.raises(ValidationError, match="reason"):
        tickets.reject(env.crm, env.sec, n, reason=" ")
    tickets.reject(env.crm, env.sec, n, reason="This is a matter for the bank, not for us.")
    msg = OutboxMessage.get(OutboxMessage.key == f"feedback:{n}:reject")
    assert "matter for the bank" in msg.body
    with pytest.raises(IllegalTransition):
        tickets.acknowledge(env.crm, env.sec, n)


def test_who_may_handle_a_ticket(env):
    n = file_one(env).number
    with pytest.raises(PermissionDenied):
        tickets.acknowledge(env.crm, env.siti, n)
    with pytest.raises(PermissionDenied):  # staff, but not assigned
        tickets.reply(env.crm, env.treasurer, n, "hello")
    tickets.assign(env.crm, env.sec, n, "bendahara")
    tickets.reply(env.crm, env.treasurer, n, "hello")  # the assignee may
    with pytest.raises(PermissionDenied):
        tickets.reject(env.crm, env.treasurer, n, reason="no")
    with pytest.raises(ValidationError, match="cannot see feedback"):
        tickets.assign(env.crm, env.sec, n, "siti")
    with pytest.raises(PermissionDenied):
        tickets.require_view(env.crm, env.budi, FeedbackTicket.get(FeedbackTicket.number == n))
    with pytest.raises(NotFoundError):
        tickets.acknowledge(env.crm, env.sec, "FB-1999-00001")


def test_rating_rules(env):
    n = file_one(env).number
    tickets.acknowledge(env.crm, env.sec, n)
    with pytest.raises(IllegalTransition, match="rate"):
        tickets.rate(env.crm, env.siti, n, 5)
    tickets.resolve(env.crm, env.sec, n, resolution="Fixed")
    with pytest.raises(PermissionDenied):
        tickets.rate(env.crm, env.budi, n, 5)
    for bad in (0, 6, True):
        with pytest.raises(ValidationError, match="1 to 5"):
            tickets.rate(env.crm, env.siti, n, bad)
    assert not tickets.rate(env.crm, env.siti, n, 3).replayed
    assert tickets.rate(env.crm, env.siti, n, 3).replayed
    with pytest.raises(ValidationError, match="already rated 3"):
        tickets.rate(env.crm, env.siti, n, 5)


def test_hook_dyncrm_retain_feedback_changed(make_crm):
    seen = []

    class Watcher:
        @hookimpl
        def dyncrm_retain_feedback_changed(self, crm, ticket, action, actor):
            seen.append((action, ticket.stage, actor.username))
            if action == "start" and ticket.category == "loans":
                raise ValidationError("loans tickets go straight to resolution")

    env = build(make_crm, extra_plugins=[("test.watcher", Watcher())])
    n = file_one(env).number
    tickets.acknowledge(env.crm, env.sec, n)
    tickets.reply(env.crm, env.sec, n, "On it")
    tickets.resolve(env.crm, env.sec, n, resolution="Done")
    assert seen == [("acknowledge", "acknowledged", "sec"), ("reply", "acknowledged", "sec"),
                    ("resolve", "resolved", "sec")]
    m = file_one(env, category="loans").number
    tickets.acknowledge(env.crm, env.sec, m)
    with pytest.raises(ValidationError, match="straight to resolution"):
        tickets.start(env.crm, env.sec, m)
    assert ticket_state(m)["stage"] == "acknowledged"


# --- anonymity and publishing ---------------------------------------------------------


def test_anonymous_tickets_hide_the_member_from_staff_other_than_the_admin(env):
    n = file_one(env, anonymous=True, category="loans").number
    row = FeedbackTicket.get(FeedbackTicket.number == n)
    assert not tickets.sees_identity(env.crm, env.sec, row)
    assert not tickets.sees_identity(env.crm, env.treasurer, row)
    assert tickets.sees_identity(env.crm, env.admin, row)
    assert tickets.sees_identity(env.crm, env.siti, row)
    # the timeline and the message subject do not give the ticket away
    tp = next(t for t in env.crm.timeline(env.siti_id) if t.kind == "feedback.submitted")
    assert tp.payload == {"anonymous": True}
    msg = OutboxMessage.get(OutboxMessage.key == f"feedback:{n}:received")
    assert n not in msg.subject and "only the administrator" in msg.body


def test_publish_shows_what_was_done_without_personal_data(env):
    n = file_one(env, kind="suggestion", subject="Open on Saturday").number
    with pytest.raises(IllegalTransition):
        tickets.publish(env.crm, env.admin, n, text="We now open on Saturdays.")
    tickets.acknowledge(env.crm, env.sec, n)
    tickets.resolve(env.crm, env.sec, n, resolution="Saturday opening from April")
    with pytest.raises(PermissionDenied):
        tickets.publish(env.crm, env.sec, n, text="We now open on Saturdays.")
    for leak in ("Thanks to Siti Aminah we open on Saturdays.", "Suggested by a001.",
                 "Write to siti@example.org"):
        with pytest.raises(ValidationError, match="personal data"):
            tickets.publish(env.crm, env.admin, n, text=leak)
    t = tickets.publish(env.crm, env.admin, n, text="From April the office opens on "
                        "Saturday mornings.", title="Saturday opening").ticket
    assert t.published
    assert tickets.publish(env.crm, env.admin, n, text="again").replayed


# --- overdue tickets and reminders ----------------------------------------------------


def test_overdue_tickets_are_listed_and_supplied_as_due_items_for_staff(make_crm):
    env = build(make_crm, enabled=("retain.feedback", "retain.reminders"))
    crm = env.crm
    late_ack = file_one(env).number
    assigned = file_one(env, category="app").number
    tickets.assign(crm, env.sec, assigned, "sec")
    tickets.acknowledge(crm, env.sec, assigned)
    assert tickets.overdue_rows(crm, dt.date(2026, 3, 10)) == []
    late = tickets.overdue_rows(crm, dt.date(2026, 3, 11))
    assert [(r.number, step) for r, step, _ in late] == [(late_ack, "acknowledge")]
    late = tickets.overdue_rows(crm, dt.date(2026, 3, 21))
    assert sorted((r.number, step) for r, step, _ in late) == sorted(
        [(late_ack, "acknowledge"), (late_ack, "resolve"), (assigned, "resolve")])

    items = {i.key: i for r in crm.hook.dyncrm_retain_due_items(crm=crm, on=dt.date(2026, 3, 11))
             for i in r or []}
    assert set(items) == {f"feedback:{late_ack}:acknowledge", f"feedback:{late_ack}:resolve",
                          f"feedback:{assigned}:resolve"}
    assert items[f"feedback:{late_ack}:acknowledge"].recipient == "pengurus@example.org"
    assert items[f"feedback:{assigned}:resolve"].recipient == "sec@example.org"
    assert all(i.member_id is None for i in items.values())

    from dyncrm_retain.reminders import engine as remind_engine

    report = remind_engine.run(crm, dt.date(2026, 3, 11), SYSTEM)  # 1 day after the deadline
    assert [s.key for s in report.queued] == [f"remind:feedback:{late_ack}:acknowledge:1"]
    msg = OutboxMessage.get(OutboxMessage.key == report.queued[0].key)
    assert msg.recipient == "pengurus@example.org"
    assert msg.subject == f"Overdue: acknowledge feedback ticket {late_ack}"
    assert "Siti" not in msg.body  # staff reminders do not name the member
    tickets.acknowledge(crm, env.sec, late_ack)  # acknowledged: no more escalation
    report = remind_engine.run(crm, dt.date(2026, 3, 13), SYSTEM)
    assert report.queued == ()


def test_hook_dyncrm_retain_reminder_offsets(make_crm):
    env = build(make_crm, enabled=("retain.feedback", "retain.reminders"))
    from dyncrm_retain.reminders.engine import schedule_for

    assert env.crm.hook.dyncrm_retain_reminder_offsets(
        crm=env.crm, kind="feedback.resolve") == (1, 3, 7)
    assert env.crm.hook.dyncrm_retain_reminder_offsets(crm=env.crm, kind="loans.x") is None
    assert schedule_for(env.crm, "feedback.resolve") == (1, 3, 7)
    assert schedule_for(env.crm, "loans.x") == (-7, -1, 0, 3, 10)


def test_configured_offsets_beat_what_the_source_suggests(make_crm):
    crm = make_crm(enabled=["retain.feedback", "retain.reminders"], plugins={
        "retain.reminders": {"offsets": {"feedback.resolve": [0, 2]}}})
    from dyncrm_retain.reminders.engine import schedule_for

    assert schedule_for(crm, "feedback.resolve") == (0, 2)
    assert schedule_for(crm, "feedback.acknowledge") == (1, 3, 7)


# --- the report -----------------------------------------------------------------------


def _at(env, day: dt.date, hour_utc: int = 3):
    env.clock.at = dt.datetime.combine(day, dt.time(hour_utc))


def make_history(env):
    """Four tickets in March and April with known times, deadlines and ratings."""
    crm, d = env.crm, dt.date
    _at(env, d(2026, 3, 2))  # Monday; ack due Wed 4, resolve due 16
    a = file_one(env, category="service").number
    _at(env, d(2026, 3, 3))  # acknowledged after 1 day: within SLA
    tickets.acknowledge(crm, env.sec, a)
    _at(env, d(2026, 3, 5))  # resolved after 3 days
    tickets.resolve(crm, env.sec, a, resolution="ok")
    tickets.rate(crm, env.siti, a, 5)

    _at(env, d(2026, 3, 2))
    b = file_one(env, category="savings", actor=env.budi).number
    _at(env, d(2026, 3, 9))  # acknowledged after 7 days: late
    tickets.acknowledge(crm, env.sec, b)
    _at(env, d(2026, 3, 22))  # resolved after 20 days: late
    tickets.resolve(crm, env.sec, b, resolution="ok")
    tickets.rate(crm, env.budi, b, 2)

    _at(env, d(2026, 4, 1))  # never acknowledged; ack due Fri 3 April
    c = file_one(env, category="service").number

    _at(env, d(2026, 4, 2))
    e = file_one(env, category="service", kind="suggestion").number
    tickets.reject(crm, env.sec, e, reason="out of scope")
    return a, b, c, e


def test_report_volume_medians_sla_share_and_csat(env):
    make_history(env)
    _at(env, dt.date(2026, 4, 30))
    rep = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    assert rep.months == ("2026-03", "2026-04")
    assert rep.volume == {("service", "2026-03"): 1, ("savings", "2026-03"): 1,
                          ("service", "2026-04"): 2}
    vol = {r["category"]: r for r in rep.volume_rows()}
    assert vol["total"] == {"category": "total", "2026-03": 2, "2026-04": 2, "total": 4}
    total = rep.total
    assert (total.tickets, total.acknowledged, total.resolved) == (4, 2, 2)
    assert total.median_ack_days == Decimal("4.0")  # 1 and 7 days
    assert total.median_resolve_days == Decimal("11.5")  # 3 and 20 days
    assert (total.ack_in_sla, total.ack_due) == (1, 3)  # c is late and still unacknowledged
    assert (total.resolve_in_sla, total.resolve_due) == (1, 3)  # c is late too
    assert total.ack_sla_share == Decimal("33.3") and total.resolve_sla_share == Decimal("33.3")
    assert (total.rated, total.average_rating, total.csat) == (2, Decimal("3.50"),
                                                               Decimal("50.0"))
    lines = {ln.category: ln for ln in rep.lines}
    assert lines["service"].median_ack_days == Decimal("1.0")
    assert lines["savings"].csat == Decimal("0.0") and lines["app"].tickets == 0
    # the same report for March alone
    march = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert march.total.tickets == 2 and march.months == ("2026-03",)


def test_report_pdf_has_header_period_and_page_numbers(env):
    make_history(env)
    rep = feedback_report.build(env.crm, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    from pdfs import page_lines

    from dyncrm_retain.feedback.pdf import render

    pdf = render(env.crm, rep, compress=False)
    assert pdf.startswith(b"%PDF-")
    pages = page_lines(pdf)
    text = "\n".join("\n".join(page) for page in pages)
    for expected in ("Koperasi Uji", "Feedback report (kritik dan saran)",
                     "1 Januari 2026 – 31 Desember 2026", f"Page 1 of {len(pages)}",
                     "Generated 2 April 2026 by dyncrm", "2026-12", "CSAT"):
        assert expected in text, expected
    assert render(env.crm, rep).startswith(b"%PDF-")


def test_report_csv(env):
    make_history(env)
    _at(env, dt.date(2026, 5, 2))
    rep = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    from dyncrm_retain.feedback.cli import _write_csv

    out = io.StringIO()
    _write_csv(rep, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "category,2026-03,2026-04,total"
    assert "total,2,2,4" in lines
    assert any(line.startswith("total,4,4.0,33.3% (1/3),11.5,33.3% (1/3),2,3.50,50.0%")
               for line in lines)


def test_report_on_postgresql(make_crm, pg_url):
    env = SimpleNamespace()
    clock = fixed_clock(FRIDAY)
    crm = make_crm(enabled=["retain.feedback"], clock=clock, database_url=pg_url)
    env = SimpleNamespace(crm=crm, clock=clock,
                          siti_id=add_member(crm, "Siti Aminah", number="A001", login="siti"),
                          budi_id=add_member(crm, "Budi Santoso", number="A002", login="budi"))
    env.siti, env.budi = crm.actor("siti"), crm.actor("budi")
    env.sec = add_staff(crm, "sec", "secretary")
    make_history(env)
    _at(env, dt.date(2026, 4, 30))
    rep = feedback_report.build(crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    assert rep.volume[("service", "2026-04")] == 2
    assert rep.total.median_resolve_days == Decimal("11.5")
    assert (rep.total.ack_in_sla, rep.total.ack_due, rep.total.csat) == (1, 3, Decimal("50.0"))


def test_errors_are_dyncrm_errors(env):
    with pytest.raises(DyncrmError):
        tickets.get_row("nope")
    assert Touchpoint.select().count() >= 2
