"""koperasi_xyz.shu: a draft of the 2025 SHU for every member, and its raw-SQL floor.

``shu.compute draft`` goes through the library (``shu.service.compute``);
``shu.compute raw`` computes the same member lines with one hand-written query
and an integer largest-remainder split written out here.  Both check their
totals against what the world implies (on their first run at a size, so that the
best of the timed runs is the work alone), and every run checks that each member
line (id, jasa modal, jasa usaha) is identical to the other job's.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from worlds import PLUGINS, Expect, check, koperasi_job

from dyncrm.money import Money

SHU = 500_000_000
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


def largest_remainder(units: int, weights: list[int], tiebreak: list[int]) -> list[int]:
    """Floors of ``units × w / Σw``; leftover units to the largest remainders, ties to the
    larger ``tiebreak``, then the earlier position."""
    total = sum(weights)
    parts, rems = [], []
    for w in weights:
        q, r = divmod(units * w, total)
        parts.append(q)
        rems.append(r)
    leftover = units - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-rems[i], -tiebreak[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


@koperasi_job("shu.compute raw", memory_growth="linear")
def compute_raw(crm, world):
    """The same member lines from one hand-written query (the floor)."""
    end, start = "2025-12-31", "2025-01-01"
    rows = crm.database.execute_sql(
        "SELECT m.id, COALESCE(c.units, 0), COALESCE(i.units, 0) FROM member m "
        "LEFT JOIN (SELECT a.member_id, -SUM(p.amount) AS units FROM posting p "
        "  JOIN account a ON a.id = p.account_id JOIN journal_entry e ON e.id = p.entry_id "
        "  WHERE a.kind IN ('savings.pokok', 'savings.wajib') AND a.member_id IS NOT NULL "
        "  AND e.effective_date <= ? GROUP BY a.member_id) c ON c.member_id = m.id "
        "LEFT JOIN (SELECT a.member_id, -SUM(p.amount) AS units FROM posting p "
        "  JOIN account a ON a.id = p.account_id JOIN journal_entry e ON e.id = p.entry_id "
        "  WHERE a.kind = 'income.loan_interest' AND a.member_id IS NOT NULL "
        "  AND e.effective_date >= ? AND e.effective_date <= ? GROUP BY a.member_id) i "
        "  ON i.member_id = m.id "
        "WHERE m.joined_on IS NOT NULL AND m.joined_on <= ? "
        "AND (m.left_on IS NULL OR m.left_on > ?) AND m.stage NOT IN ('applicant', 'rejected') "
        "ORDER BY m.number, m.id", [end, start, end, end, end]).fetchall()
    ids = [r[0] for r in rows]
    capital = [max(int(r[1]), 0) for r in rows]
    txns = [max(int(r[2]), 0) for r in rows]
    allocation = PLUGINS["koperasi_xyz.shu"]["years"]["2025"]["allocation"]
    pools = {name: SHU * int(Decimal(pct) * 10) // 1000 for name, pct in allocation.items()
             if name != "cadangan"}
    jm = largest_remainder(pools["jasa_modal"], capital, txns)
    ju = largest_remainder(pools["jasa_usaha"], txns, capital)
    same_lines(world, zip(ids, jm, ju, strict=True))
    if not first_time("raw", world):
        return
    e = Expect(world)
    check("members sharing (raw)", len(ids), world.n)
    check("capital (raw)", sum(capital), e.capital())
    check("loan interest (raw)", sum(txns), e.interest_paid())
    check("member shares (raw)", sum(jm) + sum(ju), pools["jasa_modal"] + pools["jasa_usaha"])
