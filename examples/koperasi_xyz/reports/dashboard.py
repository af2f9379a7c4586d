"""The numbers a chair asks for, for the portal's dashboard card.

Each figure comes from one grouped query or an existing report builder:
members by stage (one ``GROUP BY``), savings outstanding per product (the
ledger's totals per account kind), loans outstanding and in arrears (the
``pinjaman`` report's rows) and open feedback tickets against their service
level (one grouped query).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import Case, fn

from dyncrm.db.models import Member

if TYPE_CHECKING:
    from dyncrm.app import CRM

STAGES = ("applicant", "active", "leaving", "inactive", "rejected")
SAVINGS = (("pokok", "Simpanan pokok"), ("wajib", "Simpanan wajib"),
           ("sukarela", "Simpanan sukarela"))


def _bars(rows: list[dict[str, Any]], key: str = "value") -> list[dict[str, Any]]:
    """Add ``width`` (0..100, a whole number) to each row: its share of the largest value."""
    top = max((r[key] for r in rows), default=0)
    for r in rows:
        r["width"] = (r[key] * 100 // top) if top else 0
    return rows


def members_by_stage() -> list[dict[str, Any]]:
    """``[{"stage", "value", "width"}]`` for every stage, from one grouped query."""
    counts = dict(Member.select(Member.stage, fn.COUNT(Member.id)).group_by(Member.stage)
                  .tuples())
    stages = list(STAGES) + sorted(set(counts) - set(STAGES))
    return _bars([{"stage": s, "value": int(counts.get(s, 0))} for s in stages])


def savings_outstanding(crm: CRM) -> list[dict[str, Any]]:
    """``[{"product", "label", "value", "width"}]``: the balance of each savings product."""
    totals = crm.ledger.totals_by_kind()
    return _bars([{"product": p, "label": label,
                   "value": totals.get((f"savings.{p}", crm.currency), 0)}
                  for p, label in SAVINGS])


def loans_outstanding(crm: CRM) -> dict[str, Any] | None:
    """Loans outstanding and in arrears today (the ``pinjaman`` report); ``None`` without loans."""
    if not crm.is_enabled("expand.loans"):
        return None
    from .builders import loan_report

    rows = [r for section in loan_report(crm, crm.today()).sections for r in section.raw]
    late = [r for r in rows if r.get("tunggakan")]
    return {"count": len(rows), "outstanding": sum(r["sisa_pokok"] for r in rows),
            "late_count": len(late), "arrears": sum(r["tunggakan"] for r in late),
            "late_outstanding": sum(r["sisa_pokok"] for r in late)}


def open_tickets(crm: CRM) -> dict[str, int] | None:
    """Open feedback tickets: how many, how many past their resolution or acknowledgement date."""
    if not crm.is_enabled("retain.feedback"):
        return None
    from dyncrm_retain.feedback.models import FeedbackTicket
    from dyncrm_retain.feedback.tickets import OPEN_STAGES

    today = crm.today()
    late = Case(None, [(FeedbackTicket.resolve_due_on < today, 1)], 0)
    unanswered = Case(None, [((FeedbackTicket.stage == "new")
                              & (FeedbackTicket.ack_due_on < today), 1)], 0)
    total, overdue, not_acknowledged = (
        FeedbackTicket.select(fn.COUNT(FeedbackTicket.id), fn.SUM(late), fn.SUM(unanswered))
        .where(FeedbackTicket.stage.in_(OPEN_STAGES)).tuples().get())
    total, overdue = int(total or 0), int(overdue or 0)
    return {"open": total, "overdue": overdue, "within": total - overdue,
            "not_acknowledged": int(not_acknowledged or 0)}


def chair_figures(crm: CRM) -> dict[str, Any]:
    """Everything the chair's card shows."""
    return {"stages": members_by_stage(), "savings": savings_outstanding(crm),
            "loans": loans_outstanding(crm), "tickets": open_tickets(crm),
            "today": crm.today()}
