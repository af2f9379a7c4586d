"""Savings obligations of many members at once (a bulk import of existing members).

What the plugin's ``dyncrm_acquire_member_joined`` hook records for one member —
simpanan pokok owed once, the simpanan wajib period from joining — for many
members with one lookup and one multi-row insert text per chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dyncrm.db import bulk
from dyncrm.money import Money, to_minor
from dyncrm_expand.savings.common import settings
from dyncrm_expand.savings.models import SavingsObligation

if TYPE_CHECKING:
    from dyncrm.app import CRM

CHUNK = 500


def open_obligations(crm: CRM, joined: Mapping[int, dt.date]) -> int:
    """Record pokok and the wajib period from ``joined[member_id]`` for each member
    who has none yet; returns how many obligation rows were written.

    Idempotent: a member's existing pokok or wajib obligation is kept as it is, as
    the joining hook does.  Run it inside the caller's action.
    """
    pokok = to_minor(Money.of(settings(crm).pokok.amount, crm.currency),
                     crm.ledger.exponent(crm.currency))
    now = crm.now()
    ids = list(joined)
    written = 0
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        have = set(SavingsObligation.select(SavingsObligation.member,
                                            SavingsObligation.product)
                   .where(SavingsObligation.member.in_(part),
                          SavingsObligation.product.in_(("pokok", "wajib"))).tuples())
        rows = [(m, product, amount, joined[m], None, now)
                for m in part for product, amount in (("pokok", pokok), ("wajib", 0))
                if (m, product) not in have]
        if rows:
            columns = ("member_id", "product", "amount", "start_on", "end_on", "created_at")
            bulk.insert_rows(crm.database, SavingsObligation._meta.table_name, columns,
                             bulk.to_db(rows, bulk.converters(SavingsObligation, columns)))
            written += len(rows)
    return written


__all__ = ["open_obligations"]
