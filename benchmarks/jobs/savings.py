"""expand.savings batch work: every member's wajib arrears and the reminders' due items.

The Koperasi world (``worlds.py``): every member deposited wajib monthly in 2025,
except the gaps (March for ``id % 4 == 0``, also July for ``id % 8 == 0``).
"""

from __future__ import annotations

import datetime as dt

from worlds import WAJIB, Expect, check, koperasi_job, wajib_gaps

YEAR_END = dt.date(2025, 12, 31)
REMIND_ON = dt.date(2025, 12, 26)


@koperasi_job("savings.arrears_by_member", memory_growth="linear")
def arrears_by_member(crm, world):
    """Wajib arrears of every active member at year end (load_states + arithmetic)."""
    from dyncrm_expand import savings

    found = savings.arrears_by_member(crm, YEAR_END)
    check("members in arrears", len(found), sum(1 for m in world.member_ids if wajib_gaps(m)))
    check("arrears total", sum(int(v.amount) for v in found.values()),
          Expect(world).gaps * WAJIB)


@koperasi_job("savings.due_items", memory_growth="linear")
def due_items(crm, world):
    """Savings due items for the reminders on 26 December (unpaid months, oldest first)."""
    from dyncrm_expand import savings

    items = savings.due_items(crm, REMIND_ON)
    # everyone owes January 2026 (due 25 Jan, within the look-ahead); a skipped month
    # leaves the latest months unpaid, since payments cover the oldest first
    expected = world.n + Expect(world).gaps
    check("savings due items", len(items), expected)
    check("savings due total", sum(int(i.amount.amount) for i in items), expected * WAJIB)
