"""Plugin ``koperasi_xyz.reminders``: Koperasi XYZ's reminders, in Indonesian.

The generic plugins already supply the due items members are reminded of —
``expand.savings`` the simpanan pokok and each month's simpanan wajib,
``expand.loans`` each installment — and ``retain.reminders`` sends them.  This
plugin adds what a payroll-deduction cooperative needs on top:

- Indonesian texts for those items (``templates/reminders/<kind>.txt``, found
  before the generic English ones by name), with a ``bulan`` filter that
  writes ``2026-03`` as ``Maret 2026``;
- a due item for the treasurer: the payroll office's confirmation of a month's
  deductions (kind ``payroll.confirmation``) not imported some days after payday,
  sent to ``staff_recipients`` of ``[plugins."koperasi_xyz.payroll"]``.
"""

from __future__ import annotations

import datetime as dt

from dyncrm import hookimpl
from dyncrm.money import from_minor
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import DueItem

# Every koperasi_xyz plugin brings the deployment's Indonesian catalogue.
from koperasi_xyz.translations import (  # noqa: F401  (the language hooks)
    bulan,
    dyncrm_prepare_jinja2_environment,
    dyncrm_translations,
)

CONFIRMATION = "payroll.confirmation"


spec = PluginSpec(
    "koperasi_xyz.reminders",
    package="koperasi_xyz",
    templates="templates",
    templates_first=True,  # the deployment's Indonesian texts override generic ones
    requires=("retain.reminders",),
)
spec.export(globals())


@hookimpl
def dyncrm_retain_reminder_offsets(crm, kind):
    if kind == CONFIRMATION:
        return (0, 3, 7)
    return None


def _months_to_check(on: dt.date) -> list[dt.date]:
    this = on.replace(day=1)
    previous = (this - dt.timedelta(days=1)).replace(day=1)
    return [previous, this]


def confirmation_items(crm, on: dt.date) -> list[DueItem]:
    """Months whose payroll confirmation is still missing ``confirm_within_days`` after payday.

    One item per month and staff recipient, for the previous and the current
    month, once payday has passed; it stops once a batch of that month is
    imported.  One query for the imported months, one deduction list per month.
    """
    if not crm.is_enabled("koperasi_xyz.payroll"):
        return []
    from ..models import PayrollBatch
    from ..payroll.listing import deduction_list, payday_of, settings_of

    cfg = settings_of(crm)
    if not cfg.staff_recipients:
        return []
    months = [m for m in _months_to_check(on) if payday_of(m, cfg.payday) <= on]
    labels = {f"{m.year:04d}-{m.month:02d}": m for m in months}
    imported = {b.period for b in PayrollBatch.select(PayrollBatch.period)
                .where(PayrollBatch.period.in_(list(labels)))}
    items = []
    exp = crm.ledger.exponent(crm.currency)
    for label, month in labels.items():
        if label in imported:
            continue
        dlist = deduction_list(crm, month)
        if not dlist.total:  # nothing was to be deducted (or it is paid by now)
            continue
        payday = dlist.payday
        for recipient in cfg.staff_recipients:
            items.append(DueItem(
                key=f"payroll:{label}:confirmation:{recipient}", kind=CONFIRMATION,
                member_id=None, due_on=payday + dt.timedelta(days=cfg.confirm_within_days),
                amount=from_minor(dlist.total, crm.currency, exp),
                description=f"konfirmasi potong gaji {bulan(label)}", recipient=recipient,
                context={"month": label, "payday": payday.isoformat(),
                         "members": len(dlist.lines)}))
    return items


@hookimpl
def dyncrm_retain_due_items(crm, on):
    return confirmation_items(crm, on)
