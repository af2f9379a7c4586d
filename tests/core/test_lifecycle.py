"""Member stages: the table is enforced in one place; refusals change nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dyncrm.app import CRM
from dyncrm.db.models import Member, Touchpoint
from dyncrm.errors import IllegalTransition, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.lifecycle import MEMBER_STAGES, StateMachine
from dyncrm.testing import build_config
from dyncrm.values import Actor

SYSTEM = Actor.operator()
ACTIONS = sorted({a for actions in MEMBER_STAGES.transitions.values() for a in actions})


def test_state_machine_names_subject_stage_and_action() -> None:
    with pytest.raises(IllegalTransition) as info:
        MEMBER_STAGES.next_stage("member XYZ-1", "rejected", "approve")
    assert str(info.value) == "cannot approve member XYZ-1: it is 'rejected'"
    with pytest.raises(IllegalTransition, match="allowed from 'leaving': cancel_leave"):
        MEMBER_STAGES.next_stage("member XYZ-1", "leaving", "approve")


def test_state_machine_refuses_undeclared_targets() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        StateMachine("broken", {"a": {"go": "b"}})


def test_transition_records_touchpoint_and_dates(crm) -> None:
    with crm.action("create", SYSTEM):
        member = Member.create(name="Andi")
    with crm.action("approve", SYSTEM):
        change = crm.lifecycle.transition(member.id, "approve", SYSTEM, reason="ok")
    assert (change.old_stage, change.new_stage) == ("applicant", "active")
    row = Member.get_by_id(member.id)
    assert row.joined_on == crm.today()
    [tp] = crm.timeline(member.id)
    assert (tp.phase, tp.info, tp.kind) == ("acquire", "of", "stage.approve")


class Objector:
    @hookimpl
    def dyncrm_stage_change_objections(self, crm, change):
        if change.action == "request_leave":
            return ["the member still has a loan"]
        return None


def test_hook_dyncrm_stage_change_objections(make_crm) -> None:
    crm = make_crm(extra_plugins=[("objector", Objector())])
    with crm.action("create", SYSTEM):
        member = Member.create(name="Rina")
        crm.lifecycle.transition(member.id, "approve", SYSTEM)
    with pytest.raises(ValidationError, match="still has a loan"), crm.action("leave", SYSTEM):
        crm.lifecycle.transition(member.id, "request_leave", SYSTEM)
    assert Member.get_by_id(member.id).stage == "active"


class Recorder:
    def __init__(self) -> None:
        self.changes = []

    @hookimpl
    def dyncrm_member_stage_changed(self, crm, change):
        self.changes.append((change.old_stage, change.new_stage))
        if change.reason == "explode":
            raise ValidationError("plugin refused")


def test_hook_dyncrm_member_stage_changed(make_crm) -> None:
    recorder = Recorder()
    crm = make_crm(extra_plugins=[("recorder", recorder)])
    with crm.action("create", SYSTEM):
        member = Member.create(name="Joko")
    with pytest.raises(ValidationError), crm.action("approve", SYSTEM):
        crm.lifecycle.transition(member.id, "approve", SYSTEM, reason="explode")
    assert Member.get_by_id(member.id).stage == "applicant"  # the reaction undid the change
    assert Touchpoint.select().count() == 0
    with crm.action("approve", SYSTEM):
        crm.lifecycle.transition(member.id, "approve", SYSTEM)
    assert recorder.changes[-1] == ("applicant", "active")


class MemberLifecycle(RuleBasedStateMachine):
    """Random actions on random members: only table moves happen; refusals change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.crm = CRM(build_config(Path(self.dir.name)))
        self.crm.upgrade()
        with self.crm.action("setup", SYSTEM):
            self.ids = [Member.create(name=f"m{i}").id for i in range(3)]
        self.model = dict.fromkeys(self.ids, "applicant")

    def teardown(self) -> None:
        self.crm.close()
        self.dir.cleanup()

    @rule(index=st.integers(0, 2), action=st.sampled_from(ACTIONS))
    def act(self, index: int, action: str) -> None:
        member_id = self.ids[index]
        expected = MEMBER_STAGES.transitions[self.model[member_id]].get(action)
        touchpoints = Touchpoint.select().count()
        if expected is None:
            with pytest.raises(IllegalTransition), self.crm.action(action, SYSTEM):
                self.crm.lifecycle.transition(member_id, action, SYSTEM)
            assert Touchpoint.select().count() == touchpoints
        else:
            with self.crm.action(action, SYSTEM):
                self.crm.lifecycle.transition(member_id, action, SYSTEM)
            self.model[member_id] = expected
            assert Touchpoint.select().count() == touchpoints + 1

    @invariant()
    def stages_match_the_model(self) -> None:
        for member_id, stage in self.model.items():
            assert Member.get_by_id(member_id).stage == stage


TestMemberLifecycle = MemberLifecycle.TestCase
TestMemberLifecycle.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
