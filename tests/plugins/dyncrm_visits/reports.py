"""An add-on plugin of the same distribution that needs ``visits`` to be enabled.

Registered as ``visits.reports``; enabling it alone is an error naming both.
"""

from __future__ import annotations

from dyncrm import hookimpl

DYNCRM_REQUIRES = ("visits",)


@hookimpl
def dyncrm_member_details(crm, member):
    """How many times the member visited."""
    from dyncrm_visits.service import visits

    return {"Visits": len(visits(crm, member.id))}
