"""koperasi_xyz.shu: a draft of the 2025 SHU for every member."""

from __future__ import annotations

from worlds import Expect, check, koperasi_job

from dyncrm.money import Money

SHU = 500_000_000


@koperasi_job("shu.compute draft", memory_growth="linear")
def compute(crm, world):
    """Capital (year-end pokok + wajib) and loan interest per member, split exactly."""
    from koperasi_xyz.shu import service as shu_service

    draft = shu_service.compute(crm, 2025, Money.of(SHU, crm.currency))
    dist = draft.distribution
    e = Expect(world)
    check("members sharing", len(dist.members), world.n)
    check("pools", sum(dist.pools.values()), SHU)
    check("member shares", dist.members_total, dist.pools["jasa_modal"] + dist.pools["jasa_usaha"])
    check("capital", dist.capital_total, e.capital())
    check("loan interest", dist.transactions_total, e.interest_paid())
