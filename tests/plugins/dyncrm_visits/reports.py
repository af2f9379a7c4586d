"""An add-on plugin of the same distribution that needs ``visits`` to be enabled.

Registered as ``visits.reports``; enabling it alone is an error naming both.  It
adds the visit count to member details and the ``visits`` report (hook
``dyncrm_reports``): in a deployment whose report command renders plugins'
reports (Koperasi XYZ: ``dyncrm laporan visits``, ``laporan semua``) it is
printed, written as CSV and PDF like the deployment's own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from dyncrm import hookimpl
from dyncrm.reports import Report, ReportBuilder, ReportColumn, ReportOption, ReportSection

DYNCRM_REQUIRES = ("visits",)


@hookimpl
def dyncrm_member_details(crm, member):
    """How many times the member visited."""
    from dyncrm_visits.service import visits

    return {"Visits": len(visits(crm, member.id))}


def _utc_start(crm, day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the organisation's timezone, as naive UTC."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=crm.tz)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def visits_report(crm, options) -> Report:
    """Visits in the period (one query), newest last, with a count per branch."""
    from dyncrm.db.models import Member
    from dyncrm_visits.models import Visit

    query = (Visit.select(Visit, Member.number, Member.name).join(Member)
             .where((Visit.at >= _utc_start(crm, options.since))
                    & (Visit.at < _utc_start(crm, options.until + dt.timedelta(days=1))))
             .order_by(Visit.at, Visit.id))
    branch = options.get("branch")
    if branch:
        query = query.where(Visit.branch == branch)
    rows, per_branch = [], Counter()
    for visit in query:
        day = visit.at.replace(tzinfo=dt.UTC).astimezone(crm.tz).date()
        rows.append({"date": day.isoformat(), "member": visit.member.number or "",
                     "name": visit.member.name, "branch": visit.branch, "kind": visit.kind,
                     "note": visit.note, "by": visit.actor})
        per_branch[visit.branch] += 1
    return Report(
        name="visits", title="Branch visits",
        subtitle=f"{options.since.isoformat()} to {options.until.isoformat()}",
        columns=(ReportColumn("date", "Date", width=1.0), ReportColumn("member", "Member"),
                 ReportColumn("name", "Name", width=2.0), ReportColumn("branch", "Branch"),
                 ReportColumn("kind", "Kind", width=0.8), ReportColumn("note", "Note", width=2.2),
                 ReportColumn("by", "By", width=0.8)),
        sections=(ReportSection(rows=rows),
                  ReportSection(heading="Per branch",
                                rows=[{"branch": b, "visits": n}
                                      for b, n in sorted(per_branch.items())],
                                columns=(ReportColumn("branch", "Branch", width=3),
                                         ReportColumn("visits", "Visits", "R")),
                                totals={"branch": "Total", "visits": len(rows)})),
        summary=(("Visits", str(len(rows))), ("Branches", str(len(per_branch)))))


@hookimpl
def dyncrm_reports():
    """The ``visits`` report, for people who may see the visit log."""
    return [ReportBuilder("visits", "Branch visits in a period, with a count per branch.",
                          visits_report, permission="visits.view",
                          options=("period", ReportOption("branch", "Only this branch.")))]
