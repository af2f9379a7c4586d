"""The SHU floor's hand-written part, shared by ``shu.compute raw`` (benchmarks/jobs/shu.py)
and ``reports.shu raw`` (benchmarks/jobs/reports_books.py).

:func:`member_bases` reads every eligible member's capital (year-end pokok + wajib) and
loan interest paid in the year with one query; :func:`split_pools` splits the jasa modal
and jasa usaha pools over them in integer arithmetic (largest remainder), as the
library's ``shu.calc`` promises to.
"""

from __future__ import annotations

from decimal import Decimal

from worlds import PLUGINS

SHU = 500_000_000
YEAR_START, YEAR_END = "2025-01-01", "2025-12-31"


def member_bases(crm) -> list[tuple[int, str, str, int, int]]:
    """``(id, number, name, capital, interest)`` of the members sharing in the 2025 SHU,
    by member number (bases below zero count as zero)."""
    end, start = YEAR_END, YEAR_START
    rows = crm.database.execute_sql(
        "SELECT m.id, m.number, m.name, COALESCE(c.units, 0), COALESCE(i.units, 0) "
        "FROM member m "
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
    return [(mid, number or f"#{mid}", name, max(int(capital), 0), max(int(interest), 0))
            for mid, number, name, capital, interest in rows]


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


def pools(shu: int = SHU, allocation: dict | None = None) -> dict[str, int]:
    """The allocation pools of ``shu`` (all but the reserve, which takes the rest)."""
    allocation = allocation or PLUGINS["koperasi_xyz.shu"]["years"]["2025"]["allocation"]
    return {name: shu * int(Decimal(pct) * 10) // 1000 for name, pct in allocation.items()
            if name != "cadangan"}


def split_pools(capital: list[int], txns: list[int], shu: int = SHU
                ) -> tuple[dict[str, int], list[int], list[int]]:
    """The pools, and each member's jasa modal and jasa usaha."""
    found = pools(shu)
    return (found, largest_remainder(found["jasa_modal"], capital, txns),
            largest_remainder(found["jasa_usaha"], txns, capital))
