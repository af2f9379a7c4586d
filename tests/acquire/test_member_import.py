"""import_members + open_obligations: existing members moved into dyncrm in bulk."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyncrm.db.models import Member, Touchpoint
from dyncrm.errors import DuplicateError, ValidationError
from dyncrm.values import Actor
from dyncrm_acquire import registration as reg
from dyncrm_acquire.registration.importing import MemberImport, import_members
from dyncrm_expand import savings
from dyncrm_expand.savings.enrolment import open_obligations
from dyncrm_expand.savings.models import SavingsObligation

PLUGINS = {"acquire.registration": {"number_pattern": "XYZ-{year}-{seq:05d}",
                                    "departments": ["Produksi", "Keuangan"]},
           "expand.savings": {"pokok": {"amount": "100000"},
                              "wajib": {"amount": "50000", "due_day": 25}}}
ADMIN = Actor.operator("import")
SERIAL = itertools.count(1)


def _crm(make_crm):
    return make_crm(enabled=["acquire.registration", "expand.savings"], plugins=PLUGINS,
                    clock=dt.date(2025, 12, 20))


def person(i: int, joined: dt.date = dt.date(2023, 4, 3), **changes) -> MemberImport:
    data = {"number": f"XYZ-2023-{i:05d}", "name": f"Anggota {i}",
            "nik": f"3171{i % 90 + 10:02d}550690{i + 1:04d}", "joined_on": joined,
            "employee_number": f"K{i:06d}", "department": "produksi",
            "take_home_pay": 7_500_000, "email": f"a{i}@example.org"}
    return MemberImport(**{**data, **changes})


def _obligations(member_id):
    return sorted((o.product, o.amount, o.start_on, o.end_on) for o in
                  SavingsObligation.select().where(SavingsObligation.member == member_id))


def test_imported_member_has_the_profile_and_obligations_of_one_who_joined(make_crm):
    crm = _crm(make_crm)
    joined = dt.date(2023, 4, 3)
    enrolled = crm.lifecycle.enrol(ADMIN, "Pembanding", joined_on=joined)  # joining hook
    with crm.action("test.import", ADMIN):
        [m] = import_members(crm, ADMIN, [person(1, joined)])
        assert open_obligations(crm, {m: joined}) == 2
        assert open_obligations(crm, {m: joined}) == 0  # idempotent
    member = Member.get_by_id(m)
    assert (member.stage, member.number, member.joined_on) == ("active", "XYZ-2023-00001",
                                                               joined)
    profile = reg.profile(crm, m)
    assert (profile.nik, profile.employee_number, profile.department, profile.gender,
            profile.date_of_birth, int(profile.take_home_pay.amount)) == (
        "3171115506900002", "K000001", "Produksi", "female", dt.date(1990, 6, 15), 7_500_000)
    assert _obligations(m) == _obligations(enrolled.id)
    end = dt.date(2025, 12, 31)
    assert savings.wajib_arrears(crm, m, end) == savings.wajib_arrears(crm, enrolled.id, end)
    assert [t.kind for t in Touchpoint.select().where(Touchpoint.member == m)] == \
        ["member.imported"]


@settings(max_examples=20, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 1200))
def test_many_members_in_order(make_crm, n):
    """Ids come back in the order given, across chunks of 500."""
    crm = make_crm(enabled=["acquire.registration", "expand.savings"], plugins=PLUGINS,
                   clock=dt.date(2025, 12, 20))
    people = []
    for _ in range(n):  # the examples share one database: every one is new
        k = next(SERIAL)
        people.append(person(k, number=f"T{k:06d}", employee_number=f"T{k:06d}", email=None,
                             nik=f"3171{k // 9999 % 90 + 10:02d}550690{k % 9999 + 1:04d}"))
    with crm.action("test.import", ADMIN):
        ids = import_members(crm, ADMIN, people)
    assert [Member.get_by_id(i).number for i in ids] == [p.number for p in people]


def test_refused_imports_write_nothing(make_crm):
    crm = _crm(make_crm)
    with crm.action("test.import", ADMIN):
        import_members(crm, ADMIN, [person(1)])
    count = Member.select().count()
    for bad, error in ((person(1, nik="3171115506900999"), DuplicateError),   # number taken
                       (person(2, nik="3171115506900002"), DuplicateError),   # NIK taken
                       (person(3, nik="12345"), ValidationError),
                       (person(4, department="Gudang"), ValidationError)):
        with pytest.raises(error), crm.action("test.import", ADMIN):
            import_members(crm, ADMIN, [person(9), bad])
    assert Member.select().count() == count
