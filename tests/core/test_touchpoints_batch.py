"""``crm.touch_many`` announces its touchpoints set-based (``dyncrm_touchpoints_recorded``),
and still one by one to plugins that implement only ``dyncrm_touchpoint_recorded``."""

from __future__ import annotations

from dyncrm import hookimpl
from dyncrm.db.models import Member
from dyncrm.values import Actor

SYSTEM = Actor.operator()


class EachOnly:
    def __init__(self):
        self.seen = []

    @hookimpl
    def dyncrm_touchpoint_recorded(self, crm, touchpoint):
        self.seen.append(touchpoint.kind)


class BatchOnly:
    def __init__(self):
        self.batches = []

    @hookimpl
    def dyncrm_touchpoints_recorded(self, crm, touchpoints):
        self.batches.append([t.kind for t in touchpoints])


class Both(EachOnly, BatchOnly):
    def __init__(self):
        EachOnly.__init__(self)
        BatchOnly.__init__(self)


def test_hook_dyncrm_touchpoints_recorded(make_crm) -> None:
    """touch_many: one batch call; the per-touchpoint hook only on the plugin without the
    batch hook.  touch: the per-touchpoint hook, and a list of one for the batch-only one."""
    each, batch, both = EachOnly(), BatchOnly(), Both()
    crm = make_crm(extra_plugins=[("each", each), ("batch", batch), ("both", both)])
    with crm.action("create", SYSTEM):
        ids = [Member.create(name=name).id for name in ("Dewi", "Budi", "Sari")]
        recorded = crm.touch_many(ids, "retain", "for", "promotion.sent", SYSTEM,
                                  [{"n": n} for n in range(3)])
    assert [t.member_id for t in recorded] == ids
    assert each.seen == ["promotion.sent"] * 3
    assert batch.batches == [["promotion.sent"] * 3] and both.batches == batch.batches
    assert both.seen == []
    with crm.action("one", SYSTEM):
        crm.touch(ids[0], "retain", "for", "faq.viewed", SYSTEM, {"entry": 3})
    assert each.seen == ["promotion.sent"] * 3 + ["faq.viewed"]
    assert batch.batches == [["promotion.sent"] * 3, ["faq.viewed"]]
    assert both.seen == ["faq.viewed"] and both.batches == [["promotion.sent"] * 3]
    with crm.action("none", SYSTEM):
        assert crm.touch_many([], "retain", "for", "promotion.sent", SYSTEM) == []
    assert len(batch.batches) == 2
