"""acquire.promotion: audiences, pushing exactly once, tracking and the funnel."""


from __future__ import annotations

import datetime as dt

import pytest
from acquire_support import (
    ACQUIRE,
    NOW,
    SETTINGS,
    Clock,
    applicant,
    dump,
    join,
    staff,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyncrm import hookimpl
from dyncrm.db.models import Member, OutboxMessage, Touchpoint
from dyncrm.errors import NotFoundError, PermissionDenied, ValidationError
from dyncrm.values import Actor, Product
from dyncrm_acquire import promotion as promo
from dyncrm_acquire import registration as reg
from dyncrm_acquire.referrals import referral_code


class Segments:
    """A plugin that knows one custom segment: members whose name starts with 'A'."""

    @hookimpl
    def dyncrm_acquire_segment(self, crm, name, on):
        if name == "a_names":
            return frozenset(m.id for m in Member.select().where(Member.name.startswith("A")))
        return None


@pytest.fixture
def world(make_crm):
    """Members who joined at different times, applicants, an opt-out and a rejection."""
    clock = Clock(dt.datetime(2026, 1, 5, 3, 0))
    crm = make_crm(enabled=ACQUIRE, plugins=SETTINGS, clock=clock,
                   extra_plugins=[("segments", Segments())])

    class W:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")
        cashier = staff(crm, "kasir", "cashier")

    W.crm, W.clock = crm, clock
    W.old = [join(crm, W, department="Produksi", full_name=n).member
             for n in ("Agus Salim", "Bambang Irawan")]
    W.finance = join(crm, W, department="Keuangan", full_name="Ani Lestari").member
    W.quiet = join(crm, W, department="Produksi", full_name="Dewi Sartika").member
    Member.update(marketing_opt_out=True).where(Member.id == W.quiet.id).execute()
    clock.now = NOW  # two months later
    W.new = join(crm, W, department="Gudang", full_name="Citra Kirana").member
    W.applicants = [reg.submit(crm, applicant(), W.sec).application for _ in range(2)]
    rejected = reg.submit(crm, applicant(), W.sec).application
    reg.reject(crm, rejected.id, W.adm, "Not employed by PT XYZ")
    W.rejected = rejected
    return W


def add(w, **kw):
    kw.setdefault("title", "Simpanan Sukarela 5%")
    kw.setdefault("body", "Halo {{ member.name }}, kode Anda {{ referral_code }}.")
    return promo.add(w.crm, w.sec, **kw)


def ids(*members):
    return frozenset(m.id for m in members)


def test_audiences_resolve_with_set_queries(world):
    w = world
    active = ids(*w.old, w.finance, w.quiet, w.new)
    applicants = ids(*w.applicants)
    cases = {
        "everyone": active | applicants,
        "applicants": applicants,
        "new_members:30": ids(w.new),
        "new_members:90": active,
        "department:produksi": ids(*w.old, w.quiet),
        "without_loan": active,  # no loans plugin: every active member
        "segment:a_names": ids(w.old[0], w.finance),
    }
    for audience, expected in cases.items():
        p = add(w, audience=audience)
        assert promo.audience_ids(w.crm, p) == expected, audience
        for m in expected:
            assert p in promo.active_for(w.crm, m), (audience, m)
        for m in (active | applicants) - expected:
            assert p not in promo.active_for(w.crm, m), (audience, m)
    assert promo.active_for(w.crm, w.rejected.id) == []


def test_a_push_reaches_exactly_its_audience_once(world):
    w = world
    p = add(w, audience="department:Produksi")
    report = promo.push(w.crm, p.id, w.sec)
    assert (report.reached, report.already, report.opted_out) == (2, 0, 1)
    messages = list(OutboxMessage.select().where(OutboxMessage.kind == "acquire.promotion"))
    assert {m.key for m in messages} == {f"promo:{p.id}:{m.id}" for m in w.old}
    first = messages[0]
    member = w.crm.member(first.member_id)
    assert first.subject == "Simpanan Sukarela 5%" and not first.essential
    assert f"Halo {member.name}, kode Anda {referral_code(member.id)}." in first.body
    before = dump(w.crm)
    again = promo.push(w.crm, p.id, w.sec)
    assert (again.reached, again.already) == (0, 2)
    assert dump(w.crm) == before
    # someone who joins the department later is reached by the next push, once
    newcomer = join(w.crm, w, department="Produksi").member
    assert promo.push(w.crm, p.id, w.sec).reached == 1
    assert OutboxMessage.select().where(OutboxMessage.key == f"promo:{p.id}:{newcomer.id}"
                                        ).count() == 1
    assert promo.funnel(w.crm, p.id)[0].reached == 3
    kinds = [t.kind for t in Touchpoint.select().where(Touchpoint.member == newcomer.id)]
    assert kinds[-1] == "promotion.reached"


def test_channels_follow_the_promotion_then_the_member(world):
    w = world
    Member.update(preferred_channel="console").where(Member.id == w.new.id).execute()
    p = add(w, audience="new_members:30", channels=["file"])
    promo.push(w.crm, p.id, w.sec)
    assert OutboxMessage.get(OutboxMessage.kind == "acquire.promotion").channel == "file"
    q = add(w, audience="new_members:30", channels=["file", "console"])
    promo.push(w.crm, q.id, w.sec)
    assert OutboxMessage.get(OutboxMessage.key == f"promo:{q.id}:{w.new.id}").channel == \
        "console"


def test_progress_is_reported_in_batches(world):
    w = world
    seen = []
    promo.push(w.crm, add(w).id, w.sec, progress=seen.append)
    assert sum(seen) == 7


def test_the_funnel_counts_people_at_each_step(world):
    w = world
    p = add(w, audience="everyone", title="Ayo bergabung")
    promo.push(w.crm, p.id, w.sec)
    me = Actor(username="self", roles=frozenset({"member"}), member_id=w.new.id)
    assert not promo.track(w.crm, p.id, w.new.id, "viewed", me).replayed
    assert promo.track(w.crm, p.id, w.new.id, "viewed", me).replayed
    promo.track(w.crm, p.id, w.old[0].number, "claimed", w.sec)  # a claim is also a view
    # an applicant answering the promotion applies, then joins
    app = reg.submit(w.crm, applicant(promotion=str(p.id)), w.sec).application
    reg.accept(w.crm, app.id, w.sec)
    reg.approve(w.crm, app.id, w.adm)
    [row] = promo.funnel(w.crm, p.id)
    assert (row.reached, row.viewed, row.claimed, row.applied, row.joined) == (6, 2, 1, 1, 1)
    assert promo.funnel(w.crm)[0] == row


def test_tracking_is_refused_when_it_makes_no_sense(world):
    w = world
    p = add(w, audience="applicants")
    before = dump(w.crm)
    with pytest.raises(ValidationError, match="not offered to"):
        promo.track(w.crm, p.id, w.new.id, "viewed", w.sec)
    with pytest.raises(PermissionDenied):
        promo.track(w.crm, p.id, w.applicants[0].id, "viewed", w.cashier)
    someone = Actor(username="self", roles=frozenset({"member"}), member_id=w.new.id)
    with pytest.raises(PermissionDenied):
        promo.track(w.crm, p.id, w.applicants[0].id, "viewed", someone)
    with pytest.raises(ValidationError, match="must be one of"):
        promo.track(w.crm, p.id, w.applicants[0].id, "reached", w.sec)
    newcomer = Actor(username="self", roles=frozenset({"member"}), member_id=w.new.id)
    with pytest.raises(PermissionDenied):  # members record views and claims, not conversions
        promo.track(w.crm, p.id, w.new.id, "joined", newcomer)
    with pytest.raises(NotFoundError):
        promo.track(w.crm, 99, w.applicants[0].id, "viewed", w.sec)
    assert dump(w.crm) == before
    promo.stop(w.crm, p.id, w.sec)
    with pytest.raises(ValidationError, match="not running"):
        promo.track(w.crm, p.id, w.applicants[0].id, "viewed", w.sec)
    with pytest.raises(ValidationError, match="not running"):
        promo.push(w.crm, p.id, w.sec)


def test_the_validity_window(world):
    w = world
    p = add(w, starts_on=dt.date(2026, 3, 10), ends_on=dt.date(2026, 3, 31))
    assert promo.active_for(w.crm, w.new.id) == []
    w.clock.now = dt.datetime(2026, 3, 10, 3, 0)
    assert promo.active_for(w.crm, w.new.id) == [p]
    w.clock.now = dt.datetime(2026, 4, 1, 3, 0)
    assert promo.active_for(w.crm, w.new.id) == []
    assert promo.find(w.crm, running_on=dt.date(2026, 4, 1)) == []


@pytest.mark.parametrize("changes, message", [
    ({"title": "x"}, "title"),
    ({"body": "  "}, "body"),
    ({"body": "Halo {{ member.nama }}"}, "cannot be filled in"),
    ({"body": "Halo {% if %}"}, "template error"),
    ({"body": "{{ member.__class__.__mro__ }}"}, "cannot be filled in"),
    ({"audience": "vip"}, "audience"),
    ({"audience": "new_members:abc"}, "new_members:N"),
    ({"audience": "department:"}, "department:NAME"),
    ({"audience": "everyone:all"}, "takes no argument"),
    ({"audience": "segment:unknown"}, "no enabled plugin knows segment"),
    ({"product": "gold-card"}, "no product"),
    ({"channels": ["pigeon"]}, "unknown channel"),
    ({"starts_on": dt.date(2026, 3, 5), "ends_on": dt.date(2026, 3, 4)}, "ends before"),
])
def test_bad_promotions_are_refused_and_change_nothing(world, changes, message):
    before = dump(world.crm)
    with pytest.raises(ValidationError, match=message):
        add(world, **changes)
    assert dump(world.crm) == before


@pytest.fixture
def one_member(make_crm):
    crm = make_crm(enabled=ACQUIRE, plugins=SETTINGS, clock=lambda: NOW)

    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    P.crm, P.member = crm, join(crm, P).member
    return P


@given(body=st.one_of(st.text(max_size=60), st.sampled_from([
    "{{ member.name }}", "{{ 1/0 }}", "{{ member.number | upper }}", "{% for %}",
    "{{ organisation.name }} {{ today | date }}", "{{ ''.__class__.__mro__ }}",
    "{{ member.joined_on | date }} {{ referral_code }}", "{{ product.name }}"])))
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_promotion_text_is_either_accepted_or_refused_cleanly(one_member, body):
    from dyncrm.errors import DyncrmError

    crm, sec = one_member.crm, one_member.sec
    before = dump(crm)
    try:
        p = promo.add(crm, sec, title="Promo", body=body)
    except DyncrmError:
        assert dump(crm) == before
        return
    assert promo.push(crm, p.id, sec).reached == 1
    message = OutboxMessage.get(OutboxMessage.key == f"promo:{p.id}:{one_member.member.id}")
    assert message.subject == "Promo"


def test_products_come_from_plugins_config_and_staff(make_crm):
    class Savings:
        @hookimpl
        def dyncrm_acquire_products(self, crm):
            return [Product("sukarela", "Simpanan sukarela", "savings", plugin="savings")]

    crm = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.promotion": {
        "products": [{"code": "umroh", "name": "Tabungan umroh", "kind": "savings"}]}},
        extra_plugins=[("savings", Savings())], clock=lambda: NOW)
    sec = staff(crm, "sec", "secretary")
    promo.add_product(crm, "diskon-toko", "Diskon 10% di toko koperasi", sec)
    assert [p.code for p in promo.products(crm)] == ["diskon-toko", "sukarela", "umroh"]
    with pytest.raises(ValidationError, match="already exists"):
        promo.add_product(crm, "sukarela", "Again", sec)
    with pytest.raises(ValidationError):
        promo.add_product(crm, "bad code!", "Name", sec)
    p = promo.add(crm, sec, title="Tabungan umroh", body="{{ product.name }}",
                  product="umroh")
    assert p.product == "umroh"


def test_referral_credit_and_report(world):
    w = world
    referrer = w.old[0]
    code = referral_code(referrer.id)
    joined = join(w.crm, w, referral_code=code.lower()).member
    pending = reg.submit(w.crm, applicant(referral_code=code), w.sec).application
    assert pending.referrer_id == referrer.id
    [row] = promo.referral_report(w.crm)
    assert (row.member_id, row.code, row.referred, row.joined) == (referrer.id, code, 2, 1)
    kinds = [t.kind for t in Touchpoint.select().where(Touchpoint.member == referrer.id)]
    assert kinds.count("referral.credited") == 2 and kinds.count("referral.converted") == 1
    assert joined.id != pending.id
