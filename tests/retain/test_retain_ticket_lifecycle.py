"""The ticket lifecycle as a hypothesis state machine: every sequence of actions either
follows the workflow, is a replay that changes nothing, or is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from retain_support import add_member, add_staff, fixed_clock

from dyncrm.app import CRM
from dyncrm.db.models import ActionKey, OutboxMessage, Touchpoint
from dyncrm.errors import IllegalTransition, ValidationError
from dyncrm.testing import build_config
from dyncrm_retain.feedback import tickets
from dyncrm_retain.feedback.models import FeedbackEvent, FeedbackTicket

ACTIONS = ("acknowledge", "start", "resolve", "close", "reject")
STAMP = {"acknowledge": "acknowledged_at", "start": "started_at", "resolve": "resolved_at",
         "close": "closed_at", "reject": "rejected_at"}


def snapshot(number: str) -> tuple:
    row = FeedbackTicket.get(FeedbackTicket.number == number)
    return (tuple(sorted(row.__data__.items())), FeedbackEvent.select().count(),
            Touchpoint.select().count(), OutboxMessage.select().count(),
            ActionKey.select().count())


class TicketLifecycle(RuleBasedStateMachine):
    """Model: the stage, which stage changes were done, the rating, the assignee."""

    env: dict = {}

    @initialize()
    def file_ticket(self):
        e = self.env
        e["clock"].at += dt.timedelta(minutes=1)
        self.number = tickets.submit(e["crm"], e["member"], category="service", subject="Queue",
                                     text="Too long").ticket.number
        self.stage, self.done, self.rating, self.assignee = "new", set(), None, None

    def _refused(self, call, error=IllegalTransition):
        before = snapshot(self.number)
        with pytest.raises(error):
            call()
        assert snapshot(self.number) == before

    @rule(action=st.sampled_from(ACTIONS))
    def stage_change(self, action):
        e = self.env
        call = lambda: tickets.transition(e["crm"], e["staff"], self.number, action,  # noqa: E731
                                          text="because")
        if action in self.done:
            before = snapshot(self.number)
            assert call().replayed
            assert snapshot(self.number) == before
        elif action in tickets.TICKET_STAGES.allowed(self.stage):
            result = call()
            assert not result.replayed
            self.stage = tickets.TICKET_STAGES.next_stage("t", self.stage, action)
            self.done.add(action)
        else:
            self._refused(call)

    @rule(internal=st.booleans())
    def message(self, internal):
        e = self.env
        fn = tickets.add_note if internal else tickets.reply

        def call():
            return fn(e["crm"], e["staff"], self.number, "a message")

        if self.stage in tickets.ACTIVE_STAGES:
            assert call().event_id is not None
        else:
            self._refused(call)

    @rule(rating=st.integers(1, 5))
    def rate(self, rating):
        e = self.env

        def call():
            return tickets.rate(e["crm"], e["member"], self.number, rating)

        if self.rating is not None:
            if rating == self.rating:
                assert call().replayed
            else:
                self._refused(call, ValidationError)
        elif self.stage in ("resolved", "closed"):
            call()
            self.rating = rating
        else:
            self._refused(call)

    @rule(who=st.sampled_from(["sec", "ketua"]))
    def assign(self, who):
        e = self.env

        def call():
            return tickets.assign(e["crm"], e["staff"], self.number, who)

        if self.stage in tickets.OPEN_STAGES:
            assert call().replayed == (self.assignee == who)
            self.assignee = who
        else:
            self._refused(call)

    @invariant()
    def database_matches_the_model(self):
        row = FeedbackTicket.get(FeedbackTicket.number == self.number)
        assert row.stage == self.stage and row.rating == self.rating
        assert row.assignee == self.assignee
        for action, field in STAMP.items():
            assert (getattr(row, field) is not None) == (action in self.done), field
        changes = [e.action for e in FeedbackEvent.select().where(FeedbackEvent.ticket == row.id)
                   if e.action in ACTIONS]
        assert sorted(changes) == sorted(self.done)  # each stage change recorded exactly once


def test_ticket_lifecycle_state_machine():
    with tempfile.TemporaryDirectory() as tmp:
        clock = fixed_clock(dt.datetime(2026, 3, 2, 3, 0))
        crm = CRM(build_config(Path(tmp), ["retain.feedback"]), clock=clock)
        try:
            crm.upgrade()
            add_member(crm, "Siti Aminah", number="A001", login="siti")
            TicketLifecycle.env = {"crm": crm, "clock": clock, "member": crm.actor("siti"),
                                   "staff": add_staff(crm, "sec", "secretary")}
            add_staff(crm, "ketua", "admin")
            run_state_machine_as_test(
                TicketLifecycle,
                settings=settings(max_examples=40, stateful_step_count=15, deadline=None))
        finally:
            crm.close()
