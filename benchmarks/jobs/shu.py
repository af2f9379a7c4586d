"""koperasi_xyz.shu: a draft of the 2025 SHU for every member, its posting, and their floors.

``shu.compute draft`` goes through the library (``shu.service.compute``);
``shu.compute raw`` computes the same member lines with one hand-written query
and an integer largest-remainder split (both in ``benchmarks/shu_floor.py``).  Both check their
totals against what the world implies (on their first run at a size, so that the
best of the timed runs is the work alone), and every run checks that each member
line (id, jasa modal, jasa usaha) is identical to the other job's.

``shu.post`` posts the approved 2025 SHU (``shu.service.post``: an entry per member's share
to simpanan sukarela, one for the pools, receipts and touchpoints, in one action) in a world
of its own where it was entered and approved by the treasurer and the chair; its floor
``shu.post raw`` stores the very rows the posting writes (taken from an untimed posting that
was rolled back, :mod:`write_floor`) with hand-written SQL in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import write_floor
from harness import job
from shu_floor import SHU, member_bases, split_pools
from worlds import ENABLED, PLUGINS, Expect, check, koperasi_job, prepare_koperasi

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


# --- posting the approved SHU -----------------------------------------------------------------

YEAR = 2025
POSTED_ON = dt.date(2026, 1, 15)
#: Tables whose existing rows the posting changes (the others it only adds to).
UPDATED = ("kxyz_shu_year", "counter")
#: The rows the posting writes, per world size (what ``shu.post raw`` writes).
_WRITES: dict[int, write_floor.Writes] = {}


def _prepare_shu_approved(crm, world) -> None:
    """The Koperasi world with the 2025 SHU entered and approved by the treasurer and the
    chair, not posted; and the rows its posting writes (an untimed posting rolled back)."""
    from dyncrm.values import Actor
    from koperasi_xyz.shu import service

    prepare_koperasi(crm, world)
    service.enter_surplus(crm, YEAR, Money.of(SHU, crm.currency), Actor.operator("benchmark"),
                          reason="benchmark: SHU tahun buku 2025")
    service.approve(crm, YEAR, Actor("bendahara", frozenset({"treasurer"})))
    service.approve(crm, YEAR, Actor("ketua", frozenset({"admin"})))
    _WRITES[world.n] = write_floor.capture(crm, lambda: post(crm, world), updated=UPDATED)


@job("shu.post", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_shu_approved,
     writes=True, memory_growth="linear")
def post(crm, world):
    """The approved SHU of 2025 posted in one action: every member's share and the pools."""
    from dyncrm.values import Actor
    from koperasi_xyz.shu import service

    marks = write_floor.ledger_marks(crm)
    outcome = service.post(crm, YEAR, Actor.operator("benchmark"), on=POSTED_ON)
    entries, postings = write_floor.ledger_written(crm, marks)
    check("members paid", outcome.members, world.n)
    check("entries", entries, world.n + 1)  # a share each, and the pools
    return postings


@job("shu.post raw", enabled=ENABLED, plugins=PLUGINS, prepare=_prepare_shu_approved,
     writes=True, memory_growth="linear")
def post_raw(crm, world):
    """The rows the posting writes, stored with hand-written SQL in one transaction: the
    database's share of the posting alone."""
    return write_floor.replay_checked(crm, _WRITES[world.n])
