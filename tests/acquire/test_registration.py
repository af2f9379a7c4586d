"""acquire.registration: the application workflow through the library API."""
# ruff: noqa: F811  (pytest fixtures imported from acquire_support)

from __future__ import annotations

import datetime as dt

import pytest
from acquire_support import (  # noqa: F401
    ACQUIRE,
    NOW,
    SETTINGS,
    Clock,
    acq,
    applicant,
    dump,
    join,
    people,
    staff,
)

from dyncrm.db.models import Counter, Member, OutboxMessage, Touchpoint, User
from dyncrm.errors import (
    DuplicateError,
    DyncrmError,
    IllegalTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from dyncrm.values import Actor
from dyncrm_acquire import registration as reg


def kinds(member_id: int) -> list[str]:
    return [t.kind for t in Touchpoint.select().where(Touchpoint.member == member_id)
            .order_by(Touchpoint.id)]


def test_apply_verify_approve_makes_an_active_member(acq, people):
    outcome = reg.submit(acq, applicant(1, take_home_pay="6.500.000",
                                        employment_status="permanent",
                                        employment_start="2019-03-01"), people.sec)
    app = outcome.application
    assert app.status == "submitted" and app.member_number is None
    assert app.mobile == "+6281200017890" and app.email == "budi1@example.com"
    assert app.gender == "male" and app.channel == "desk"
    assert acq.member(app.id).stage == "applicant"
    reg.accept(acq, app.id, people.sec)
    approval = reg.approve(acq, app.id, people.adm)
    member = approval.member
    assert member.stage == "active" and member.number == "XYZ-2026-00001"
    assert member.joined_on == dt.date(2026, 3, 2)
    assert approval.application.status == "approved"
    user = User.get(User.username == approval.username)
    assert user.roles == "member" and user.member_id == member.id
    assert user.password_hash is None and user.activation_token_hash
    assert approval.activation_token not in (user.activation_token_hash or "")
    welcome = OutboxMessage.get_by_id(approval.message_id)
    assert welcome.kind == "acquire.welcome" and welcome.recipient == "budi1@example.com"
    assert member.number in welcome.subject and approval.activation_token in welcome.body
    # the token works once
    acq.users.activate(approval.username, approval.activation_token, "a long new password")
    with pytest.raises(PermissionDenied):
        acq.users.activate(approval.username, approval.activation_token, "another password!")
    assert kinds(member.id) == ["application.submitted", "application.accepted",
                                "stage.approve", "welcome.queued"]
    p = reg.profile(acq, member.id)
    assert p.take_home_pay == acq.money("6500000") and p.employment_status == "permanent"
    assert p.employment_start == dt.date(2019, 3, 1) and p.employee_number == "E-00001"


def test_approving_twice_is_a_replay_that_changes_nothing(acq, people):
    first = join(acq, people)
    before = dump(acq)
    again = reg.approve(acq, first.application.id, people.adm)
    assert again.replayed and again.member.number == first.member.number
    assert again.activation_token is None and again.message_id == first.message_id
    assert dump(acq) == before


def test_member_numbers_follow_the_pattern_and_are_never_reused(acq, people):
    numbers = [join(acq, people).member.number for _ in range(3)]
    assert numbers == ["XYZ-2026-00001", "XYZ-2026-00002", "XYZ-2026-00003"]
    # a refused approval does not burn a number
    app = reg.submit(acq, applicant(), people.sec).application
    reg.accept(acq, app.id, people.sec)
    verifier_as_admin = Actor(username="sec", roles=frozenset({"admin"}))
    with pytest.raises(ValidationError, match="sec verified this application"):
        reg.approve(acq, app.id, verifier_as_admin)
    assert reg.approve(acq, app.id, people.adm).member.number == "XYZ-2026-00004"
    assert Counter.get_by_id("acquire.member_number").value == 4


def test_yearly_sequence_restarts_per_year(make_crm):
    clock = Clock(dt.datetime(2026, 12, 31, 3, 0))
    crm = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.registration": {
        "number_pattern": "{year}/{seq:04d}", "sequence": "yearly"}}, clock=clock)
    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    assert join(crm, P).member.number == "2026/0001"
    clock.now = dt.datetime(2027, 1, 2, 3, 0)
    second = join(crm, P)
    assert second.member.number == "2027/0001"
    assert second.username == "2027-0001"


def test_duplicates_are_refused_naming_the_field_only(acq, people):
    first = reg.submit(acq, applicant(1), people.sec).application
    before = dump(acq)
    for field, label in (("nik", "NIK"), ("employee_number", "employee number"),
                         ("email", "e-mail")):
        data = applicant(2)
        data[field] = applicant(1)[field]
        if field == "email":
            data[field] = data[field].upper()  # e-mail compares case-insensitively
        with pytest.raises(DuplicateError) as err:
            reg.submit(acq, data, people.sec)
        assert f"with this {label} already exists" in str(err.value)
        assert first.full_name not in str(err.value) and str(first.id) not in str(err.value)
    assert dump(acq) == before


def test_a_rejected_applicant_may_apply_again(acq, people):
    app = reg.submit(acq, applicant(1), people.sec).application
    reg.reject(acq, app.id, people.adm, "No employment contract was attached")
    again = reg.submit(acq, applicant(1), people.sec).application
    assert again.id != app.id and again.status == "submitted"


def test_bad_fields_are_all_listed(acq, people):
    before = dump(acq)
    with pytest.raises(ValidationError) as err:
        reg.submit(acq, {"full_name": "B", "nik": "1234", "email": "not-mail",
                         "mobile": "12345", "date_of_birth": "2020-01-01"}, people.sec)
    text = str(err.value)
    for part in ("full_name: give the applicant's full name", "nik: a KTP NIK has exactly 16",
                 "email: is not an e-mail address", "mobile: must be a mobile number",
                 "date_of_birth: the applicant must be at least 17",
                 "employee_number: is required", "department: is required"):
        assert part in text
    assert dump(acq) == before


def test_nik_must_match_the_date_of_birth(acq, people):
    with pytest.raises(ValidationError, match="does not match the date of birth 1990-05-16"):
        reg.submit(acq, applicant(date_of_birth="1990-05-16"), people.sec)


def test_unknown_fields_and_referral_codes_are_refused(acq, people):
    with pytest.raises(ValidationError, match="unknown field 'salary'"):
        reg.submit(acq, {**applicant(), "salary": "1"}, people.sec)
    with pytest.raises(ValidationError, match="referral_code: is mistyped"):
        reg.submit(acq, applicant(referral_code="U2KY8S"), people.sec)
    with pytest.raises(ValidationError, match="referral_code: belongs to no active member"):
        reg.submit(acq, applicant(referral_code="U2KY8R"), people.sec)


def test_required_fields_and_departments_are_configurable(make_crm):
    crm = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.registration": {
        "required_fields": ["full_name", "nik", "take_home_pay"],
        "departments": ["Produksi", "Keuangan"]}}, clock=lambda: NOW)
    sec = staff(crm, "sec", "secretary")
    with pytest.raises(ValidationError, match="take_home_pay: is required"):
        reg.submit(crm, {"full_name": "Siti Aminah", "nik": "3201011505900001"}, sec)
    with pytest.raises(ValidationError, match="department: must be one of: Produksi, Keuangan"):
        reg.submit(crm, {"full_name": "Siti Aminah", "nik": "3201011505900001",
                         "take_home_pay": "5000000", "department": "Gudang"}, sec)
    app = reg.submit(crm, {"full_name": "Siti Aminah", "nik": "3201011505900001",
                           "take_home_pay": "5000000", "department": "keuangan"}, sec)
    assert app.application.department == "Keuangan"


def test_roles_are_checked(acq, people):
    app = reg.submit(acq, applicant(), people.sec).application
    before = dump(acq)
    with pytest.raises(PermissionDenied):
        reg.submit(acq, applicant(), people.cashier)
    with pytest.raises(PermissionDenied):
        reg.accept(acq, app.id, people.cashier)
    with pytest.raises(PermissionDenied):
        reg.approve(acq, app.id, people.sec)
    with pytest.raises(PermissionDenied):
        reg.reject(acq, app.id, people.sec, "not allowed anyway")
    assert dump(acq) == before


def test_illegal_steps_name_the_stage(acq, people):
    app = reg.submit(acq, applicant(), people.sec).application
    before = dump(acq)
    with pytest.raises(IllegalTransition, match="cannot approve application #1: it is "
                                                 "'submitted'; allowed from 'submitted': "
                                                 "accept, return, reject"):
        reg.approve(acq, app.id, people.adm)
    with pytest.raises(IllegalTransition):
        reg.amend(acq, app.id, {"address": "Jl. Baru 2, Bogor"}, people.sec)
    with pytest.raises(NotFoundError):
        reg.accept(acq, 99, people.sec)
    assert dump(acq) == before


def test_returning_tells_the_applicant_and_amending_resubmits(acq, people):
    app = reg.submit(acq, applicant(1), people.sec).application
    returned = reg.return_to_applicant(acq, app.id, people.sec, "Please attach a KTP copy")
    assert returned.application.status == "returned"
    message = OutboxMessage.get_by_id(returned.message_id)
    assert "Please attach a KTP copy" in message.body and message.member_id == app.id
    with pytest.raises(ValidationError, match="say why"):
        reg.return_to_applicant(acq, app.id, people.sec, " ")
    amended = reg.amend(acq, app.id, {"address": "Jl. Mawar 10, Bogor",
                                      "email": "budi.new@example.com"}, people.sec)
    assert amended.application.status == "submitted" and amended.application.reason is None
    assert acq.member(app.id).email == "budi.new@example.com"
    with pytest.raises(DuplicateError):  # its own data is no duplicate, another's is
        other = reg.submit(acq, applicant(2), people.sec).application
        reg.return_to_applicant(acq, other.id, people.sec, "Wrong e-mail address")
        reg.amend(acq, other.id, {"email": "budi.new@example.com"}, people.sec)
    assert "application.returned" in kinds(app.id) and "application.amended" in kinds(app.id)


def test_rejection_tells_the_reason_and_ends_the_application(acq, people):
    app = reg.submit(acq, applicant(1), people.sec).application
    with pytest.raises(ValidationError, match="give the reason"):
        reg.reject(acq, app.id, people.adm)
    outcome = reg.reject(acq, app.id, people.adm, "Not an employee of PT XYZ")
    assert outcome.application.status == "rejected"
    assert acq.member(app.id).stage == "rejected"
    assert "Not an employee of PT XYZ" in OutboxMessage.get_by_id(outcome.message_id).body
    assert reg.reject(acq, app.id, people.adm, "again").replayed
    with pytest.raises(IllegalTransition):
        reg.accept(acq, app.id, people.sec)


def test_the_web_form_applies_as_the_web_system_actor(acq):
    app = reg.submit(acq, applicant(), Actor.public()).application
    assert app.channel == "web" and app.submitted_by == "web"
    assert Touchpoint.get(Touchpoint.member == app.id).actor == "web"


def test_submit_with_a_key_is_idempotent(acq, people):
    first = reg.submit(acq, applicant(7), people.sec, key="form-0007")
    before = dump(acq)
    again = reg.submit(acq, applicant(7), people.sec, key="form-0007")
    assert again.replayed and again.application.id == first.application.id
    assert dump(acq) == before


def test_without_e_mail_or_mobile_the_approver_gets_the_token(make_crm):
    crm = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.registration": {
        "required_fields": ["full_name", "nik"]}}, clock=lambda: NOW)

    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    approval = join(crm, P, email="", mobile="")
    assert approval.message_id is None and approval.activation_token
    assert crm.users.activate(approval.username, approval.activation_token,
                              "a long new password").member_id == approval.member.id


def test_profile_update_keeps_employment_current(acq, people):
    member = join(acq, people, take_home_pay="4.000.000").member
    p = reg.update_profile(acq, member.number, {"take_home_pay": "5.250.000",
                                                "department": "Gudang"}, people.sec)
    assert p.take_home_pay == acq.money("5250000") and p.department == "Gudang"
    if hasattr(acq.hook, "dyncrm_expand_take_home_pay"):  # the loans plugin's question
        assert acq.hook.dyncrm_expand_take_home_pay(crm=acq, member_id=member.id) \
            == acq.money("5250000")
    other = join(acq, people).member
    before = dump(acq)
    with pytest.raises(DuplicateError, match="e-mail"):
        reg.update_profile(acq, other.id, {"email": member.email}, people.sec)
    with pytest.raises(ValidationError, match="cannot change 'nik'"):
        reg.update_profile(acq, other.id, {"nik": "3201011505900001"}, people.sec)
    with pytest.raises(PermissionDenied):
        reg.update_profile(acq, other.id, {"department": "Gudang"}, people.cashier)
    assert dump(acq) == before


def test_profiles_are_read_in_one_query_for_batch_work(acq, people):
    members = [join(acq, people, take_home_pay=f"{4 + i}.000.000").member for i in range(3)]
    found = reg.profiles(acq, [m.id for m in members])
    assert [found[m.id].take_home_pay for m in members] == [
        acq.money("4000000"), acq.money("5000000"), acq.money("6000000")]
    assert reg.profile(acq, 999) is None


def test_member_list_filters(acq, people):
    join(acq, people, department="Produksi")
    join(acq, people, department="Keuangan")
    reg.submit(acq, applicant(department="Keuangan"), people.sec)
    assert len(reg.list_members(acq)) == 3
    assert [m.stage for m in reg.list_members(acq, stage="applicant")] == ["applicant"]
    assert len(reg.list_members(acq, department="keuangan")) == 2
    assert len(reg.list_members(acq, joined_from=dt.date(2026, 3, 2),
                                joined_to=dt.date(2026, 3, 2))) == 2
    assert reg.list_members(acq, joined_to=dt.date(2026, 3, 1)) == []
    with pytest.raises(ValidationError):
        reg.list_members(acq, stage="gold")


def test_every_error_is_a_dyncrm_error(acq, people):
    for bad in ({"full_name": "\x00\x01"}, {"nik": "٣٢٠١٠١١٥٠٥٩٠٠٠٠١"},
                {"take_home_pay": "9" * 40}, {"date_of_birth": "0001-01-01"},
                {"employment_start": "2990-01-01"}, {"promotion": "#12"}):
        with pytest.raises(DyncrmError):
            reg.submit(acq, applicant(**bad), people.sec)
    assert Member.select().count() == 0
