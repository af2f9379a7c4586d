"""retain.reminders: schedules, catch-up, paid items, opt-out, quiet hours, templates,
crash safety and a simulated month delivered through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from retain_support import (
    SYSTEM,
    Dues,
    add_member,
    add_staff,
    counts,
    fixed_clock,
    smtp_notify,
    smtp_server,
)

from dyncrm import hookimpl
from dyncrm.app import CRM
from dyncrm.db.models import OutboxMessage, Touchpoint
from dyncrm.errors import ConfigError, PermissionDenied, ValidationError
from dyncrm.testing import build_config
from dyncrm_retain.reminders import engine, run_job
from dyncrm_retain.reminders.models import Reminder
from dyncrm_retain.reminders.quiet import parse_ranges, release_time

DUE = dt.date(2026, 3, 16)
START = dt.date(2026, 3, 1)


def day_clock(clock, day: dt.date, hour_utc: int = 2) -> None:
    clock.at = dt.datetime.combine(day, dt.time(hour_utc))  # 09:00 in Jakarta


def setup(make_crm, *, plugins=None, notify=None, dues=None, extra=()):
    clock = fixed_clock(dt.datetime.combine(START, dt.time(2)))
    dues = dues or Dues()
    sections = {"notify": notify} if notify else {}
    crm = make_crm(enabled=["retain.reminders"], clock=clock,
                   extra_plugins=[("test.dues", dues), *extra],
                   plugins={"retain.reminders": plugins or {}}, **sections)
    return crm, clock, dues


def run_days(crm, clock, days, *, deliver=False, runs_per_day=1):
    """Run the engine on each day (several times a day if asked); returns the reports."""
    reports = []
    for day in days:
        day_clock(clock, day)
        for _ in range(runs_per_day):
            reports.append(engine.run(crm, day, SYSTEM))
            if deliver:
                crm.outbox.deliver(now=crm.now())
    return reports


def month(start=START, days=31):
    return [start + dt.timedelta(days=i) for i in range(days)]


def sent():
    """``{item key: [(offset, run date), ...]}`` from the reminder log."""
    out: dict[str, list] = {}
    for r in Reminder.select().order_by(Reminder.id):
        out.setdefault(r.item_key, []).append((r.day_offset, r.run_on))
    return out


# --- the schedule -----------------------------------------------------------------------


def test_hook_dyncrm_retain_due_items(make_crm):
    crm, _clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("wajib:A001:2026-03", m, DUE, amount=crm.money("50.000"))
    planned, _ = engine.plan(crm, dt.date(2026, 3, 9))
    assert dues.calls == [dt.date(2026, 3, 9)]
    assert [(p.item.key, p.status, p.offset) for p in planned] == [
        ("wajib:A001:2026-03", "send", -7)]
    results = crm.hook.dyncrm_retain_due_items(crm=crm, on=dt.date(2026, 3, 9))
    assert [i.key for r in results for i in r] == ["wajib:A001:2026-03"]


def test_daily_runs_send_every_offset_once_on_its_day(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("loan:1:inst:1", m, DUE, amount=crm.money("250.000"))
    run_days(crm, clock, month(), runs_per_day=3)
    assert sent() == {"loan:1:inst:1": [
        (-7, dt.date(2026, 3, 9)), (-1, dt.date(2026, 3, 15)), (0, DUE),
        (3, dt.date(2026, 3, 19)), (10, dt.date(2026, 3, 26))]}
    assert OutboxMessage.select().count() == 5
    tps = [t for t in crm.timeline(m) if t.kind == "reminder.test.due"]
    assert len(tps) == 5 and {(t.phase, t.info) for t in tps} == {("retain", "for")}


def test_a_skipped_stretch_is_caught_up_with_the_latest_reminder_only(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    run_days(crm, clock, [dt.date(2026, 3, 9)])  # -7
    run_days(crm, clock, [dt.date(2026, 3, 20)])  # machine off from 10 to 19 March
    run_days(crm, clock, month())
    assert sent() == {"x": [(-7, dt.date(2026, 3, 9)), (3, dt.date(2026, 3, 20)),
                            (10, dt.date(2026, 3, 26))]}


def test_a_paid_item_is_not_reminded_any_more(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    dues.add("y", m, DUE)
    dues.pay("x", dt.date(2026, 3, 15))  # paid before the -1 reminder's day
    run_days(crm, clock, month())
    assert [o for o, _ in sent()["x"]] == [-7]
    assert [o for o, _ in sent()["y"]] == [-7, -1, 0, 3, 10]


def test_catch_up_stops_after_catch_up_days(make_crm):
    crm, clock, dues = setup(make_crm, plugins={"catch_up_days": 5})
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    report = run_days(crm, clock, [dt.date(2026, 4, 1)])[0]  # +10 was on 26 March: 6 days ago
    assert report.count("too_old") == 1 and report.queued == ()
    report = run_days(crm, clock, [dt.date(2026, 3, 31)])[0]  # 5 days: still caught up
    assert [s.offset for s in report.queued] == [10]


def test_schedule_per_kind_from_settings(make_crm):
    crm, clock, dues = setup(make_crm, plugins={
        "default_offsets": [0], "offsets": {"loans.installment": [-3, 1]}})
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("a", m, DUE, kind="loans.installment")
    dues.add("b", m, DUE, kind="savings.wajib")
    run_days(crm, clock, month())
    assert [o for o, _ in sent()["a"]] == [-3, 1]
    assert [o for o, _ in sent()["b"]] == [0]


def test_opted_out_members_get_only_essential_reminders(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Budi Santoso", number="A002", opt_out=True)
    dues.add("promo", m, DUE, essential=False)
    dues.add("installment", m, DUE, essential=True)
    report = run_days(crm, clock, [DUE])[0]
    assert report.count("opted_out") == 1
    assert [s.item_key for s in report.queued] == ["installment"]


def test_staff_items_go_to_their_recipient_and_missing_addresses_are_reported(make_crm):
    crm, clock, dues = setup(make_crm, plugins={"staff_channel": "console"})
    dues.add("staff", None, DUE, recipient="bendahara@example.org")
    dues.add("nobody", None, DUE)
    report = run_days(crm, clock, [DUE])[0]
    assert [(s.item_key, s.channel, s.recipient) for s in report.queued] == [
        ("staff", "console", "bendahara@example.org")]
    assert report.count("no_recipient") == 1
    assert Touchpoint.select().where(Touchpoint.kind.startswith("reminder.")).count() == 0


def test_preferred_channel_and_address(make_crm):
    crm, clock, dues = setup(make_crm)
    phone = add_member(crm, "Ani", phone="+6281234", channel="console")
    unknown = add_member(crm, "Rudi", phone="+6285678", channel="whatsapp")  # no such channel
    dues.add("a", phone, DUE)
    dues.add("b", unknown, DUE)
    report = run_days(crm, clock, [DUE])[0]
    got = {s.item_key: (s.channel, s.recipient) for s in report.queued}
    assert got == {"a": ("console", "ani@example.org"), "b": ("file", "rudi@example.org")}


def test_templates_fall_back_from_kind_and_offset_to_kind_to_default(make_crm, tmp_path):
    tpl = tmp_path / "tpl" / "reminders"
    (tpl / "loans.installment").mkdir(parents=True)
    (tpl / "loans.installment" / "-1.txt").write_text(
        "Subject: Angsuran besok\n\nYth. {{ member.name }}, angsuran {{ amount | money }} "
        "jatuh tempo besok.\n")
    (tpl / "loans.installment.txt").write_text(
        "Subject: Angsuran ({{ offset }})\n\n{{ description }}\n")
    clock = fixed_clock(dt.datetime.combine(START, dt.time(2)))
    dues = Dues()
    crm = make_crm(enabled=["retain.reminders"], clock=clock,
                   extra_plugins=[("test.dues", dues)],
                   plugins={"template_dir": "tpl", "retain.reminders": {}})
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("l", m, DUE, kind="loans.installment", amount=crm.money("1.250.000"))
    dues.add("w", m, DUE, kind="savings.wajib", amount=crm.money("50.000"),
             description="simpanan wajib Maret")
    run_days(crm, clock, [dt.date(2026, 3, 9), dt.date(2026, 3, 15)])
    subjects = [(m.kind, m.subject) for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert subjects == [
        ("remind.loans.installment", "Angsuran (-7)"),
        ("remind.savings.wajib", "Reminder: simpanan wajib Maret due in 7 days"),
        ("remind.loans.installment", "Angsuran besok"),
        ("remind.savings.wajib", "Reminder: simpanan wajib Maret due in 1 day"),
    ]
    body = OutboxMessage.get(OutboxMessage.subject == "Angsuran besok").body
    assert "Yth. Siti Aminah, angsuran Rp 1.250.000 jatuh tempo besok." in body
    default = OutboxMessage.select().where(OutboxMessage.kind == "remind.savings.wajib").first()
    assert "Amount: Rp 50.000" in default.body and "Dear Siti Aminah" in default.body


def test_dry_run_writes_nothing(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    before = counts(Reminder)
    day_clock(clock, DUE)
    report = engine.run(crm, DUE, SYSTEM, dry_run=True)
    assert report.count("send") == 1 and report.queued == ()
    assert "would queue 1" in report.summary()
    assert counts(Reminder) == before


def test_running_needs_the_permission(make_crm):
    crm, _clock, dues = setup(make_crm)
    member = add_member(crm, "Siti Aminah", number="A001", login="siti")
    dues.add("x", member, DUE)
    with pytest.raises(PermissionDenied):
        engine.run(crm, DUE, crm.actor("siti"))
    assert engine.run(crm, DUE, add_staff(crm, "sec", "secretary")).queued


# --- quiet hours --------------------------------------------------------------------------


JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize("values, local, release", [
    (["21:00-07:00"], "2026-03-16 22:30", "2026-03-17 07:00"),
    (["21:00-07:00"], "2026-03-16 06:59", "2026-03-16 07:00"),
    (["21:00-07:00"], "2026-03-16 07:00", None),
    (["21:00", "07:00"], "2026-03-16 23:00", "2026-03-17 07:00"),
    (["12:00-13:00", "21:00-07:00"], "2026-03-16 12:10", "2026-03-16 13:00"),
    (["20:00-22:00", "22:00-06:00"], "2026-03-16 20:30", "2026-03-17 06:00"),
    ([], "2026-03-16 03:00", None),
])
def test_release_time(values, local, release):
    now_local = dt.datetime.fromisoformat(local).replace(tzinfo=JAKARTA)
    now_utc = now_local.astimezone(dt.UTC).replace(tzinfo=None)
    got = release_time(now_utc, parse_ranges(values), JAKARTA)
    if release is None:
        assert got is None
    else:
        want = dt.datetime.fromisoformat(release).replace(tzinfo=JAKARTA)
        assert got == want.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.mark.parametrize("bad", [["21-07"], ["25:00-07:00"], ["07:00-07:00"], ["nonsense"]])
def test_bad_quiet_hours_are_refused(make_crm, bad):
    with pytest.raises(ConfigError):
        make_crm(enabled=["retain.reminders"], plugins={"retain.reminders": {
            "quiet_hours": bad}})


def test_reminders_queued_in_quiet_hours_wait_until_they_end(make_crm):
    crm, clock, dues = setup(make_crm, notify={"default_channel": "file",
                                               "quiet_hours": ["21:00-07:00"]})
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    clock.at = dt.datetime(2026, 3, 16, 15, 0)  # 22:00 in Jakarta
    report = engine.run(crm, DUE, SYSTEM)
    msg = OutboxMessage.get(OutboxMessage.key == report.queued[0].key)
    assert msg.next_attempt_at == dt.datetime(2026, 3, 17, 0, 0)  # 07:00 in Jakarta
    assert crm.outbox.deliver(now=crm.now()).sent == 0
    assert crm.outbox.deliver(now=dt.datetime(2026, 3, 17, 0, 0)).sent == 1


# --- crash safety ---------------------------------------------------------------------------


class Killer:
    """Raises a non-DyncrmError inside the Nth reminder's transaction (a crash, not a refusal)."""

    def __init__(self, after: int) -> None:
        self.after, self.seen, self.armed = after, 0, True

    @hookimpl
    def dyncrm_retain_reminder_queued(self, crm, reminder):
        self.seen += 1
        if self.armed and self.seen == self.after:
            raise RuntimeError("killed half way")


def test_a_run_killed_half_way_then_rerun_sends_nothing_twice(make_crm):
    with smtp_server() as (box, port):
        killer = Killer(after=4)
        crm, clock, dues = setup(make_crm, notify=smtp_notify(port),
                                 extra=[("test.killer", killer)])
        members = [add_member(crm, f"Member{i} Test", number=f"A{i:03d}") for i in range(7)]
        for i, m in enumerate(members):
            dues.add(f"inst:{i}", m, DUE)
        day_clock(clock, DUE)
        with pytest.raises(RuntimeError, match="killed half way"):
            engine.run(crm, DUE, SYSTEM)
        assert Reminder.select().count() == 3  # the 4th rolled back with its transaction
        assert OutboxMessage.select().count() == 3
        killer.armed = False
        report = engine.run(crm, DUE, SYSTEM)
        assert len(report.queued) == 4 and report.count("sent") == 3
        assert engine.run(crm, DUE, SYSTEM).queued == ()
        crm.outbox.deliver(now=crm.now())
        assert sorted(box.subjects()) == sorted([f"Reminder: payment inst:{i} due today"
                                                 for i in range(7)])
        assert Counter(str(m["To"]) for m in box.messages) == Counter(
            f"member{i}@example.org" for i in range(7))


def test_hook_dyncrm_retain_reminder_queued(make_crm):
    seen = []

    class Refuser:
        @hookimpl
        def dyncrm_retain_reminder_queued(self, crm, reminder):
            seen.append(reminder)
            if reminder.item_key == "b" and len(seen) < 3:
                raise ValidationError("the ledger is being closed; try later")

    crm, clock, dues = setup(make_crm, extra=[("test.refuser", Refuser())])
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("a", m, DUE)
    dues.add("b", m, DUE)
    day_clock(clock, DUE)
    report = engine.run(crm, DUE, SYSTEM)
    assert [s.item_key for s in report.queued] == ["a"]
    assert report.failed[0][0] == "remind:b:0" and "ledger is being closed" in report.failed[0][1]
    first = seen[0]
    assert isinstance(first, engine.ReminderSent)
    assert (first.key, first.offset, first.member_id, first.channel, first.template) == (
        "remind:a:0", 0, m, "file", "reminders/default.txt")
    assert OutboxMessage.get_by_id(first.message_id).recipient == "siti@example.org"
    assert Reminder.select().where(Reminder.item_key == "b").count() == 0
    report = engine.run(crm, DUE, SYSTEM)  # tried again: this time it goes
    assert [s.item_key for s in report.queued] == ["b"]


def test_the_scheduled_job_runs_the_engine_once_a_day(make_crm):
    crm, clock, dues = setup(make_crm)
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE)
    jobs = [j for js in crm.hook.dyncrm_scheduled_jobs(crm=crm) for j in js or []]
    assert [j.name for j in jobs] == ["reminders"]
    day_clock(clock, DUE)
    assert jobs[0].run is run_job
    first = jobs[0].run(crm, DUE)
    assert "queued 1" in first and "delivered 1" in first
    assert "queued 0, 1 already sent" in jobs[0].run(crm, DUE)
    assert Reminder.select().count() == 1


# --- a month through SMTP -----------------------------------------------------------------


def test_a_month_of_runs_sends_each_reminder_exactly_once_through_smtp(make_crm):
    with smtp_server() as (box, port):
        crm, clock, dues = setup(make_crm, notify=smtp_notify(port))
        siti = add_member(crm, "Siti Aminah", number="A001")
        budi = add_member(crm, "Budi Santoso", number="A002", opt_out=True)
        ani = add_member(crm, "Ani Wulandari", number="A003")
        dues.add("wajib:A001", siti, dt.date(2026, 3, 10), kind="savings.wajib",
                 amount=crm.money("50.000"), description="simpanan wajib")
        dues.add("inst:A002", budi, dt.date(2026, 3, 20), kind="loans.installment",
                 amount=crm.money("300.000"), description="loan installment")
        dues.add("promo:A002", budi, dt.date(2026, 3, 12), essential=False)
        dues.add("inst:A003", ani, dt.date(2026, 3, 14), kind="loans.installment",
                 amount=crm.money("125.000"), description="loan installment")
        dues.pay("inst:A003", dt.date(2026, 3, 14))  # paid on the due date
        days = [d for d in month() if d not in (dt.date(2026, 3, 18), dt.date(2026, 3, 19))]
        run_days(crm, clock, days, deliver=True, runs_per_day=2)

        got = Counter((str(m["To"]), str(m["Subject"])) for m in box.messages)
        assert all(n == 1 for n in got.values()), got
        assert sent() == {
            "wajib:A001": [(-7, dt.date(2026, 3, 3)), (-1, dt.date(2026, 3, 9)),
                           (0, dt.date(2026, 3, 10)), (3, dt.date(2026, 3, 13)),
                           (10, dt.date(2026, 3, 20))],
            "inst:A002": [(-7, dt.date(2026, 3, 13)), (0, dt.date(2026, 3, 20)),
                          (3, dt.date(2026, 3, 23)), (10, dt.date(2026, 3, 30))],
            "inst:A003": [(-7, dt.date(2026, 3, 7)), (-1, dt.date(2026, 3, 13))],
        }
        assert len(box.messages) == 11
        assert not any("promo" in subject for subject in box.subjects())  # opted out
        wajib = box.to("siti@example.org")
        assert str(wajib[0]["Subject"]) == "Reminder: simpanan wajib due in 7 days"
        assert "Amount: Rp 50.000" in wajib[0].get_content()
        assert str(wajib[0]["From"]) == "koperasi@example.org"
        assert all(m.status == "sent" for m in OutboxMessage.select())


# --- a property: whatever days the machine runs, never twice -------------------------------


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run_on=st.lists(st.booleans(), min_size=31, max_size=31),
       due_days=st.lists(st.integers(0, 30), min_size=1, max_size=4),
       paid=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=4, max_size=4),
       repeat=st.integers(1, 2))
def test_property_never_twice_never_backwards_never_after_payment(run_on, due_days, paid,
                                                                  repeat):
    with tempfile.TemporaryDirectory() as tmp:
        clock = fixed_clock(dt.datetime.combine(START, dt.time(2)))
        dues = Dues()
        crm = CRM(build_config(Path(tmp), ["retain.reminders"]), clock=clock,
                  extra_plugins=(("test.dues", dues),))
        try:
            crm.upgrade()
            m = add_member(crm, "Siti Aminah", number="A001")
            for i, d in enumerate(due_days):
                dues.add(f"i{i}", m, START + dt.timedelta(days=d))
                if paid[i] is not None:
                    dues.pay(f"i{i}", START + dt.timedelta(days=paid[i]))
            days = [d for d, on in zip(month(), run_on, strict=True) if on]
            run_days(crm, clock, days, runs_per_day=repeat)
            log = sent()
            schedule = (-7, -1, 0, 3, 10)
            for key, rows in log.items():
                offsets = [o for o, _ in rows]
                item = dues.items[key]
                assert len(offsets) == len(set(offsets))  # never twice
                assert offsets == sorted(offsets)  # never backwards
                assert len({d for _, d in rows}) == len(rows)  # at most one a day
                for o, d in rows:
                    assert item["due_on"] + dt.timedelta(days=o) <= d  # never early
                    assert item["paid_on"] is None or d < item["paid_on"]  # never after paying
                    assert o in schedule
            # when the machine ran every day, every reminder before payment went out
            if all(run_on):
                for key, item in dues.items.items():
                    want = [o for o in schedule
                            if START <= item["due_on"] + dt.timedelta(days=o) <= month()[-1]
                            and (item["paid_on"] is None
                                 or item["due_on"] + dt.timedelta(days=o) < item["paid_on"])]
                    assert [o for o, _ in log.get(key, [])] == want
        finally:
            crm.close()


def test_the_engine_on_postgresql(make_crm, pg_url):
    clock = fixed_clock(dt.datetime.combine(START, dt.time(2)))
    dues = Dues()
    crm = make_crm(enabled=["retain.reminders"], clock=clock, database_url=pg_url,
                   extra_plugins=[("test.dues", dues)])
    m = add_member(crm, "Siti Aminah", number="A001")
    dues.add("x", m, DUE, amount=crm.money("75.000"))
    dues.add("y", m, DUE)
    dues.pay("y", dt.date(2026, 3, 12))
    run_days(crm, clock, [d for d in month() if d.day not in (15, 16)], runs_per_day=2)
    assert sent() == {"x": [(-7, dt.date(2026, 3, 9)), (0, dt.date(2026, 3, 17)),
                            (3, dt.date(2026, 3, 19)), (10, dt.date(2026, 3, 26))],
                      "y": [(-7, dt.date(2026, 3, 9))]}
    history = engine.history(m)
    assert next((r.day_offset, status) for r, status in history) == (10, "pending")
    assert history[0][0].amount == 75000
