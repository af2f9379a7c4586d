"""``crm.lifecycle.enrol``: the public way for code (plugins, imports, tests) to add an
active member — checked like typed input, permitted, idempotent, hooks fired."""

from __future__ import annotations

import datetime as dt

import pytest
from tables import counts

from dyncrm.db.models import Member
from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.hookspecs import hookimpl
from dyncrm.values import Actor, MemberInfo

SYSTEM = Actor.operator()


class Watcher:
    """Records the stage changes it sees; objects to members named 'Ditolak'."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    @hookimpl
    def dyncrm_stage_change_objections(self, crm, change):
        return ["not this one"] if change.member.name == "Ditolak" else None

    @hookimpl
    def dyncrm_member_stage_changed(self, crm, change):
        self.seen.append((change.member.name, change.old_stage, change.new_stage))


def test_enrol_creates_an_active_member_with_hooks_and_touchpoint(make_crm) -> None:
    watcher = Watcher()
    crm = make_crm(extra_plugins=[("watcher", watcher)])
    member = crm.lifecycle.enrol(SYSTEM, "  Sri Wahyuni ", email="Sri@Example.ORG",
                                 phone="+62 812 3456", number="a-0001",
                                 joined_on=dt.date(2025, 3, 1), preferred_channel="email")
    assert isinstance(member, MemberInfo)
    assert (member.name, member.email, member.number, member.stage, member.joined_on) == (
        "Sri Wahyuni", "sri@example.org", "A-0001", "active", dt.date(2025, 3, 1))
    assert watcher.seen == [("Sri Wahyuni", "applicant", "active")]
    assert [t.kind for t in crm.timeline(member.id)] == ["stage.approve"]
    assert crm.member("A-0001").id == member.id
    # the default day is today
    assert crm.lifecycle.enrol(SYSTEM, "Budi").joined_on == crm.today()


def test_enrol_is_idempotent_by_key(make_crm) -> None:
    crm = make_crm()
    first = crm.lifecycle.enrol(SYSTEM, "Andi", key="import:row-7")
    before = counts()
    again = crm.lifecycle.enrol(SYSTEM, "Andi", key="import:row-7")
    assert again == first
    assert counts() == before


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": ""}, "name"),
    ({"name": "Andi", "email": "not an address"}, "email"),
    ({"name": "Andi", "number": "A 0001\x00"}, "number"),
    ({"name": "Andi", "number": "A-0001"}, "number"),  # taken
    ({"name": "Andi", "phone": "0812\x1b[2J"}, "phone"),
])
def test_bad_input_names_the_field_and_writes_nothing(make_crm, kwargs, field) -> None:
    crm = make_crm()
    crm.lifecycle.enrol(SYSTEM, "Pertama", number="A-0001")
    before = counts()
    with pytest.raises(ValidationError) as info:
        crm.lifecycle.enrol(SYSTEM, **kwargs)
    assert info.value.field == field
    assert counts() == before


def test_objections_and_permissions_refuse_and_write_nothing(make_crm) -> None:
    crm = make_crm(extra_plugins=[("watcher", Watcher())])
    before = counts()
    with pytest.raises(ValidationError, match="not this one"):
        crm.lifecycle.enrol(SYSTEM, "Ditolak")
    with crm.database.atomic():
        crm.users.add("kasir", roles=["cashier"])
        crm.users.add("ketua", roles=["admin"])
    before = counts()
    with pytest.raises(PermissionDenied, match=r"members\.enrol"):
        crm.lifecycle.enrol(crm.actor("kasir"), "Citra")
    with pytest.raises(PermissionDenied):
        crm.lifecycle.enrol(Actor.system(), "Citra")
    assert counts() == before
    assert crm.lifecycle.enrol(crm.actor("ketua"), "Citra").stage == "active"
    assert Member.select().where(Member.name == "Ditolak").count() == 0
