"""koperasi_xyz.shu: a draft of the 2025 SHU for every member, and its raw-SQL floor.

``shu.compute draft`` goes through the library (``shu.service.compute``);
``shu.compute raw`` computes the same member lines with one hand-written query
and an integer largest-remainder split (both in ``benchmarks/shu_floor.py``).  Both check their
totals against what the world implies (on their first run at a size, so that the
best of the timed runs is the work alone), and every run checks that each member
line (id, jasa modal, jasa usaha) is identical to the other job's.
"""

from __future__ import annotations

import hashlib

from shu_floor import SHU, member_bases, split_pools
from worlds import Expect, check, koperasi_job

from dyncrm.money import Money

#: Digest of the member lines per world size, from whichever job ran first.
LINES: dict[int, str] = {}
CHECKED: set[tuple[str, int]] = set()


def first_time(job: str, world) -> bool:
    """True the first time ``job`` runs at this size: the checks against what the world
    implies run then, so that both jobs' best times measure the work alone."""
    if (job, world.n) in CHECKED:
        return False
    CHECKED.add((job, world.n))
    return True


def same_lines(world, lines) -> None:
    """The member lines of both jobs are identical (compared through a digest)."""
    digest = hashlib.sha256(repr(list(lines)).encode()).hexdigest()
    check("member lines identical to the other SHU job", LINES.setdefault(world.n, digest),
          digest)


@koperasi_job("shu.compute draft", memory_growth="linear")
def compute(crm, world):
    """Capital (year-end pokok + wajib) and loan interest per member, split exactly."""
    from koperasi_xyz.shu import service as shu_service

    draft = shu_service.compute(crm, 2025, Money.of(SHU, crm.currency))
    dist = draft.distribution
    same_lines(world, ((m.member_id, m.jasa_modal, m.jasa_usaha) for m in dist.members))
    if not first_time("draft", world):
        return
    e = Expect(world)
    check("members sharing", len(dist.members), world.n)
    check("pools", sum(dist.pools.values()), SHU)
    check("member shares", dist.members_total, dist.pools["jasa_modal"] + dist.pools["jasa_usaha"])
    check("capital", dist.capital_total, e.capital())
    check("loan interest", dist.transactions_total, e.interest_paid())


@koperasi_job("shu.compute raw", memory_growth="linear")
def compute_raw(crm, world):
    """The same member lines from one hand-written query (the floor)."""
    rows = member_bases(crm)
    ids = [r[0] for r in rows]
    capital = [r[3] for r in rows]
    txns = [r[4] for r in rows]
    pools, jm, ju = split_pools(capital, txns)
    same_lines(world, zip(ids, jm, ju, strict=True))
    if not first_time("raw", world):
        return
    e = Expect(world)
    check("members sharing (raw)", len(ids), world.n)
    check("capital (raw)", sum(capital), e.capital())
    check("loan interest (raw)", sum(txns), e.interest_paid())
    check("member shares (raw)", sum(jm) + sum(ju), pools["jasa_modal"] + pools["jasa_usaha"])
