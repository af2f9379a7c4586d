"""The deployment's identity: one random id made when its database is created.

A backup names the deployment it was taken from, and ``dyncrm restore``
refuses to put a backup of one deployment over another.  The id lives in the
database (table ``deployment_identity``, one row), so it travels with every
copy of the data and is the same for every machine serving the deployment.
It is made by the core migration ``0009_deployment_identity`` (so at
``dyncrm init``, and at ``dyncrm db upgrade`` for a deployment created before),
and by :func:`deployment_id` on first use if the row is missing.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from peewee import CharField, DateTimeField

from dyncrm.db.base import BaseModel
from dyncrm.db.models import utcnow

if TYPE_CHECKING:
    from dyncrm.app import CRM


class DeploymentIdentity(BaseModel):
    """The one row naming this deployment."""

    deployment_id = CharField(max_length=36, primary_key=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "deployment_identity"


def new_id() -> str:
    """A fresh deployment id (a random UUID as text)."""
    return str(uuid.uuid4())


def deployment_id(crm: CRM) -> str:
    """This deployment's id; made (and stored) on first use when missing."""
    row = DeploymentIdentity.select().order_by(DeploymentIdentity.created_at).first()
    if row is not None:
        return row.deployment_id
    with crm.database.atomic():
        row = DeploymentIdentity.select().first()
        if row is None:
            row = DeploymentIdentity.create(deployment_id=new_id())
    return row.deployment_id


def read_deployment_id(database) -> str | None:
    """The id stored in ``database`` (any peewee database), or ``None`` when it has none."""
    if not database.table_exists(DeploymentIdentity._meta.table_name):
        return None
    cursor = database.execute_sql(
        "SELECT deployment_id FROM deployment_identity ORDER BY created_at")
    row = cursor.fetchone()
    return row[0] if row else None


__all__ = ["DeploymentIdentity", "deployment_id", "new_id", "read_deployment_id"]
