"""The core's hooks for backups: the identity table and the daily backup job.

Registered like :mod:`dyncrm.default_hooks` (see ``DEFAULT_PLUGINS`` in
:mod:`dyncrm.plugins`), so every deployment has them whatever it enables.
"""

from __future__ import annotations

from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_register_models():
    """``deployment_identity`` (made by the core's migration 0009)."""
    from dyncrm.identity import DeploymentIdentity

    return [DeploymentIdentity]


@hookimpl
def dyncrm_scheduled_jobs(crm):
    """The daily backup when ``[backup] daily = true`` (:mod:`dyncrm.backup.schedule`)."""
    from dyncrm.backup.schedule import jobs

    return jobs(crm)
