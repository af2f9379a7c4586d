"""Every dyncrm_acquire_* hook, shown being called with what its spec promises."""


from __future__ import annotations

import datetime as dt

import pytest
from acquire_support import ACQUIRE, NOW, SETTINGS, applicant, dump, join, staff

from dyncrm import hookimpl
from dyncrm.errors import ValidationError
from dyncrm.values import MemberInfo, Product
from dyncrm_acquire import promotion as promo
from dyncrm_acquire import registration as reg
from dyncrm_acquire.referrals import referral_code


class Recorder:
    """A plugin that records the acquire events and applies one deployment rule."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    @hookimpl
    def dyncrm_acquire_application_objections(self, crm, application):
        self.calls.append(("objections", application))
        if application.employment_status != "permanent":
            return ["only permanent employees may join"]
        return None

    @hookimpl
    def dyncrm_acquire_application_received(self, crm, application):
        self.calls.append(("received", application))

    @hookimpl
    def dyncrm_acquire_member_joined(self, crm, member, actor):
        self.calls.append(("joined", (member, actor)))

    @hookimpl
    def dyncrm_acquire_products(self, crm):
        return [Product("sukarela", "Simpanan sukarela", "savings", plugin="recorder")]

    @hookimpl
    def dyncrm_acquire_segment(self, crm, name, on):
        self.calls.append(("segment", (name, on)))
        return frozenset({1}) if name in ("without_loan", "payday") else None

    @hookimpl
    def dyncrm_acquire_referral_converted(self, crm, referrer, member):
        self.calls.append(("referral", (referrer, member)))


@pytest.fixture
def rec(make_crm):
    recorder = Recorder()
    crm = make_crm(enabled=ACQUIRE, plugins=SETTINGS, clock=lambda: NOW,
                   extra_plugins=[("recorder", recorder)])

    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    recorder.crm, recorder.people = crm, P
    return recorder


def calls(recorder, name):
    return [arg for n, arg in recorder.calls if n == name]


def test_hook_dyncrm_acquire_application_objections(rec):
    crm, p = rec.crm, rec.people
    before = dump(crm)
    with pytest.raises(ValidationError, match="only permanent employees may join"):
        reg.submit(crm, applicant(employment_status="contract"), p.sec)
    assert dump(crm) == before
    [seen] = calls(rec, "objections")
    assert isinstance(seen, reg.Application) and seen.id is None
    app = reg.submit(crm, applicant(employment_status="permanent"), p.sec).application
    reg.accept(crm, app.id, p.sec)
    # the rule is asked again before approval, with the stored application
    with crm.database.atomic():
        from dyncrm_acquire.models import ApplicationRow

        ApplicationRow.update(employment_status="contract").where(
            ApplicationRow.member == app.id).execute()
    with pytest.raises(ValidationError, match=r"cannot approve application .* only permanent"):
        reg.approve(crm, app.id, p.adm)
    assert calls(rec, "objections")[-1].id == app.id
    # rejecting without a reason tells the applicant the objections
    outcome = reg.reject(crm, app.id, p.adm)
    assert outcome.application.reason == "only permanent employees may join"


def test_hook_dyncrm_acquire_application_received(rec):
    app = reg.submit(rec.crm, applicant(employment_status="permanent"),
                     rec.people.sec).application
    [seen] = calls(rec, "received")
    assert seen == app and seen.id is not None and seen.status == "submitted"


def test_hook_dyncrm_acquire_member_joined(rec):
    approval = join(rec.crm, rec.people, employment_status="permanent")
    [(member, actor)] = calls(rec, "joined")
    assert isinstance(member, MemberInfo) and member.stage == "active"
    assert member.number == approval.member.number and actor == rec.people.adm


def test_hook_dyncrm_acquire_products(rec):
    products = promo.products(rec.crm)
    assert [p.code for p in products] == ["sukarela"]
    p = promo.add(rec.crm, rec.people.sec, title="Simpanan sukarela",
                  body="{{ product.name }} untuk {{ member.name }}", product="sukarela")
    member = join(rec.crm, rec.people, employment_status="permanent").member
    subject, body = promo.render(rec.crm, p, member)
    assert subject == "Simpanan sukarela"
    assert body.startswith(f"Simpanan sukarela untuk {member.name}")


def test_hook_dyncrm_acquire_segment(rec):
    crm, p = rec.crm, rec.people
    first = join(crm, p, employment_status="permanent").member
    join(crm, p, employment_status="permanent")
    payday = promo.add(crm, p.sec, title="Gajian", body="Hi", audience="segment:payday")
    assert promo.audience_ids(crm, payday) == frozenset({first.id})
    without = promo.add(crm, p.sec, title="Pinjaman", body="Hi", audience="without_loan")
    assert promo.audience_ids(crm, without) == frozenset({first.id})
    assert ("without_loan", dt.date(2026, 3, 2)) in calls(rec, "segment")
    with pytest.raises(ValidationError, match="no enabled plugin knows segment 'vip'"):
        promo.add(crm, p.sec, title="VIP", body="Hi", audience="segment:vip")


def test_hook_dyncrm_acquire_referral_converted(rec):
    crm, p = rec.crm, rec.people
    referrer = join(crm, p, employment_status="permanent").member
    app = reg.submit(crm, applicant(employment_status="permanent",
                                    referral_code=referral_code(referrer.id)), p.sec).application
    assert calls(rec, "referral") == []  # credited on joining, not on applying
    reg.accept(crm, app.id, p.sec)
    member = reg.approve(crm, app.id, p.adm).member
    [(seen_referrer, seen_member)] = calls(rec, "referral")
    assert seen_referrer.id == referrer.id and seen_member == member
