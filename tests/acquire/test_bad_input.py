"""Garbage in, clear refusals out, and the database exactly as it was.

Hypothesis generates applications from valid values, near misses and junk;
every refusal must be a ``DyncrmError`` and leave every table unchanged.  A
stateful test drives applications through the workflow in random orders.
"""
# ruff: noqa: F811  (pytest fixtures imported from acquire_support)

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from acquire_support import ACQUIRE, NOW, SETTINGS, acq, applicant, dump, people, staff  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from dyncrm.app import CRM
from dyncrm.db.models import Member, User
from dyncrm.errors import DuplicateError, DyncrmError, IllegalTransition, PermissionDenied
from dyncrm.testing import build_config
from dyncrm_acquire import registration as reg
from dyncrm_acquire.registration.profile_edit import EDITABLE
from dyncrm_acquire.settings import APPLICATION_FIELDS

JUNK = st.one_of(
    st.none(), st.just(""), st.just("   "), st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=400),
    st.integers(min_value=-(10**30), max_value=10**30), st.booleans(),
    st.sampled_from(["\x00", "٣٢٠١٠١١٥٠٥٩٠٠٠٠١", "9" * 40, "1e9999", "-5", "NaN",
                     "0001-01-01", "9999-12-31", "'; DROP TABLE member; --",
                     "{{ 7*7 }}", "Robert'); --", "ＡＢＣ", "+62", "1.2.3.4"]),
)
NEAR = {
    "nik": st.from_regex(r"\A[0-9]{14,17}\Z"),
    "mobile": st.from_regex(r"\A(\+62|0)?8[0-9]{6,13}\Z"),
    "email": st.from_regex(r"\A[a-z.]{0,5}@?[a-z]{0,5}\.?[a-z]{0,3}\Z"),
    "date_of_birth": st.dates().map(str),
    "employment_start": st.dates().map(str),
    "take_home_pay": st.from_regex(r"\A-?[0-9.,]{1,25}\Z"),
    "referral_code": st.text(alphabet="23456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=5,
                             max_size=7),
    "promotion": st.integers(-3, 5).map(str),
}


@st.composite
def applications(draw):
    base = applicant(draw(st.integers(1, 40)))
    data = {}
    for field in APPLICATION_FIELDS:
        choice = draw(st.sampled_from(["valid", "valid", "junk", "near", "missing"]))
        if choice == "valid" and field in base:
            data[field] = base[field]
        elif choice == "junk":
            data[field] = draw(JUNK)
        elif choice == "near" and field in NEAR:
            data[field] = draw(NEAR[field])
    if draw(st.booleans()) and draw(st.booleans()):
        data[draw(st.sampled_from(["salary", "id", "stage", "__class__"]))] = "x"
    return data


@given(data=applications())
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_garbage_applications_are_refused_and_change_nothing(acq, people, data):
    before = dump(acq)
    members = Member.select().count()
    try:
        outcome = reg.submit(acq, data, people.sec)
    except DyncrmError as exc:
        assert str(exc), "a refusal says why"
        assert dump(acq) == before
        return
    assert Member.select().count() == members + 1
    assert outcome.application.status == "submitted"


@given(data=applications())
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_garbage_amendments_are_refused_and_change_nothing(acq, people, data):
    app = reg.find(acq, "returned")
    if not app:
        first = reg.submit(acq, applicant(100), people.sec).application
        reg.return_to_applicant(acq, first.id, people.sec, "Please check every field")
        app = reg.find(acq, "returned")
    data.pop("promotion", None)
    before = dump(acq)
    try:
        reg.amend(acq, app[0].id, data, people.sec)
    except DyncrmError:
        assert dump(acq) == before
        return
    reg.return_to_applicant(acq, app[0].id, people.sec, "Please check again")


@given(changes=st.dictionaries(st.sampled_from((*EDITABLE, "nik", "stage")),
                               st.one_of(JUNK, *NEAR.values()), max_size=4))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_garbage_profile_updates_are_refused_and_change_nothing(acq, people, changes):
    members = reg.list_members(acq, stage="active")
    if not members:
        first = reg.submit(acq, applicant(200), people.sec).application
        reg.accept(acq, first.id, people.sec)
        reg.approve(acq, first.id, people.adm)
        members = reg.list_members(acq, stage="active")
    before = dump(acq)
    try:
        reg.update_profile(acq, members[0].id, changes, people.sec)
    except DyncrmError:
        assert dump(acq) == before


class ApplicationWorkflow(RuleBasedStateMachine):
    """Applications move through submit/accept/return/amend/approve/reject in any order."""

    apps = Bundle("apps")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="dyncrm-acq-"))
        config = build_config(self.dir, ACQUIRE, SETTINGS)
        self.crm = CRM(config, clock=lambda: NOW)
        self.crm.upgrade()
        self.sec = staff(self.crm, "sec", "secretary")
        self.adm = staff(self.crm, "adm", "admin")
        self.status: dict[int, str] = {}
        self.person: dict[int, int] = {}

    def teardown(self) -> None:
        self.crm.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, call, *errors) -> None:
        before = dump(self.crm)
        try:
            call()
        except errors:
            assert dump(self.crm) == before
            return
        raise AssertionError("the action should have been refused")

    @rule(target=apps, person=st.integers(1, 4))
    def submit(self, person):
        open_ = [a for a, p in self.person.items()
                 if p == person and self.status[a] != "rejected"]
        if open_:
            self.refused(lambda: reg.submit(self.crm, applicant(person), self.sec),
                         DuplicateError)
            return open_[0]
        app = reg.submit(self.crm, applicant(person), self.sec).application
        self.status[app.id], self.person[app.id] = "submitted", person
        return app.id

    @rule(app=apps)
    def accept(self, app):
        if self.status[app] == "submitted":
            reg.accept(self.crm, app, self.sec)
            self.status[app] = "verified"
        else:
            self.refused(lambda: reg.accept(self.crm, app, self.sec), IllegalTransition)

    @rule(app=apps)
    def give_back(self, app):
        if self.status[app] == "submitted":
            reg.return_to_applicant(self.crm, app, self.sec, "Please sign the form")
            self.status[app] = "returned"
        else:
            self.refused(lambda: reg.return_to_applicant(self.crm, app, self.sec, "Sign it"),
                         IllegalTransition)

    @rule(app=apps)
    def amend(self, app):
        change = {"address": "Jl. Mawar 10, Bogor"}
        if self.status[app] == "returned":
            reg.amend(self.crm, app, change, self.sec)
            self.status[app] = "submitted"
        else:
            self.refused(lambda: reg.amend(self.crm, app, change, self.sec), IllegalTransition)

    @rule(app=apps, by_secretary=st.booleans())
    def approve(self, app, by_secretary):
        if by_secretary:
            self.refused(lambda: reg.approve(self.crm, app, self.sec), PermissionDenied)
        elif self.status[app] == "verified":
            assert reg.approve(self.crm, app, self.adm).member.stage == "active"
            self.status[app] = "approved"
        elif self.status[app] == "approved":
            assert reg.approve(self.crm, app, self.adm).replayed
        else:
            self.refused(lambda: reg.approve(self.crm, app, self.adm), IllegalTransition)

    @precondition(lambda self: self.status)
    @rule(app=consumes(apps))
    def reject(self, app):
        if self.status[app] in ("submitted", "returned", "verified"):
            reg.reject(self.crm, app, self.adm, "The employer did not confirm employment")
            self.status[app] = "rejected"
        elif self.status[app] == "rejected":
            assert reg.reject(self.crm, app, self.adm, "again").replayed
        else:
            self.refused(lambda: reg.reject(self.crm, app, self.adm, "Too late now"),
                         IllegalTransition)

    @invariant()
    def stages_follow_the_applications(self):
        expected = {"approved": "active", "rejected": "rejected"}
        for app, status in self.status.items():
            member = self.crm.member(app)
            assert reg.get(self.crm, app).status == status
            assert member.stage == expected.get(status, "applicant")
            assert (member.number is not None) == (status == "approved")

    @invariant()
    def numbers_are_unique_and_consecutive(self):
        numbers = sorted(m.number for m in Member.select().where(Member.number.is_null(False)))
        assert numbers == [f"XYZ-2026-{i:05d}" for i in range(1, len(numbers) + 1)]
        assert User.select().where(User.roles == "member").count() == len(numbers)


ApplicationWorkflow.TestCase.settings = settings(max_examples=25, stateful_step_count=15,
                                                 deadline=None)
TestApplicationWorkflow = ApplicationWorkflow.TestCase
