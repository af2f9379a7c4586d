"""acquire.promotion: audiences of promotions and pushing one into the outbox."""

from __future__ import annotations

import datetime as dt

from worlds import Expect, check, department, koperasi_job

from dyncrm.values import Actor

ON = dt.date(2025, 12, 20)


@koperasi_job("promotions.audience_ids", memory_growth="linear")
def audience_ids(crm, world):
    """The audiences everyone, department:Produksi and without_loan (loans' segment)."""
    from dyncrm_acquire.promotion import promotions

    produksi = sum(1 for m in world.member_ids if department(m) == "Produksi")
    expected = {"everyone": world.n, "department:Produksi": produksi,
                "without_loan": world.n - len(Expect(world).loans)}
    for promo in promotions.find(crm):
        check(f"audience {promo.audience_label}", len(promotions.audience_ids(crm, promo, ON)),
              expected[promo.audience_label])


@koperasi_job("promotions.push", memory_growth="linear", writes=True)
def push(crm, world):
    """Queue the department:Produksi promotion for its audience (messages in batches)."""
    from dyncrm_acquire.promotion import promotions

    promo = next(p for p in promotions.find(crm) if p.audience_label == "department:Produksi")
    report = promotions.push(crm, promo.id, Actor.operator("benchmark"))
    check("members reached", report.reached,
          sum(1 for m in world.member_ids if department(m) == "Produksi"))
