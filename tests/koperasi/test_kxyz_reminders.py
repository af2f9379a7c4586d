"""Koperasi XYZ's reminders: Indonesian texts for the generic due items, and the
treasurer's reminder of a missing payroll confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from kxyz_payroll_setup import ENABLED, cooperative

from dyncrm.db.models import OutboxMessage
from dyncrm.values import Actor
from koperasi_xyz.payroll.importer import import_confirmation
from koperasi_xyz.reminders import bulan, confirmation_items


@pytest.fixture
def coop(make_crm):
    def with_reminders(*, enabled=(), plugins=None, **kw):
        plugins = dict(plugins or {})
        plugins["koperasi_xyz.payroll"] = {"staff_recipients": ["bendahara@xyz.co.id"],
                                           "confirm_within_days": 0}
        return make_crm(enabled=[*enabled, "retain.reminders", "koperasi_xyz.reminders"],
                        plugins=plugins, **kw)
    return cooperative(with_reminders)


def test_bulan_writes_months_in_indonesian() -> None:
    assert bulan("2026-03") == "Maret 2026" and bulan("2025-12") == "Desember 2025"
    assert bulan("soon") == "soon"


def test_members_get_indonesian_reminders_and_the_treasurer_the_missing_file(coop) -> None:
    from dyncrm_retain.reminders.engine import run

    crm, *_ = coop
    on = dt.date(2026, 3, 28)
    report = run(crm, on, Actor.system("reminders"))
    assert not report.failed
    sent = [(m.recipient, m.subject) for m in OutboxMessage.select()
            .where(OutboxMessage.kind.startswith("remind.")).order_by(OutboxMessage.id)]
    subjects = [s for _, s in sent]
    assert "Simpanan wajib Maret 2026: Rp 50.000 belum dibayar" in subjects, sent
    assert "Tunggakan angsuran 2/12 pinjaman 1: Rp 280.000" in subjects, sent
    assert ("bendahara@xyz.co.id", "Konfirmasi potong gaji Maret 2026 belum diimpor") in sent
    body = OutboxMessage.get(OutboxMessage.recipient == "bendahara@xyz.co.id").body
    assert "Rp 1.040.000 untuk 3 anggota" in body
    assert "dyncrm payroll import FILE --batch NOMOR-BATCH --month 2026-03" in body


def test_the_confirmation_reminder_stops_once_imported(coop) -> None:
    crm, people, *_ = coop
    on = dt.date(2026, 3, 28)
    march = "payroll:2026-03:confirmation:bendahara@xyz.co.id"
    assert [i.key for i in confirmation_items(crm, on)] == [
        "payroll:2026-02:confirmation:bendahara@xyz.co.id", march]
    data = b"nik_karyawan,jumlah_dipotong\nE001,660000\nE002,330000\nE003,50000\n"
    import_confirmation(crm, people["bendahara"], data, batch="HR-03", month=on)
    assert march not in [i.key for i in confirmation_items(crm, on)]


def test_hook_dyncrm_retain_due_items(coop) -> None:
    """The payroll confirmation item reaches the engine through the hook."""
    crm, *_ = coop
    items = [i for found in crm.hook.dyncrm_retain_due_items(crm=crm, on=dt.date(2026, 3, 28))
             for i in (found or [])]
    kinds = {i.kind for i in items}
    assert {"payroll.confirmation", "savings.wajib", "loans.installment"} <= kinds


def test_hook_dyncrm_retain_reminder_offsets(coop) -> None:
    crm, *_ = coop
    assert crm.hook.dyncrm_retain_reminder_offsets(crm=crm, kind="payroll.confirmation") \
        == (0, 3, 7)


def test_enabled_list_needs_the_engine(make_crm) -> None:
    from dyncrm.errors import PluginError

    with pytest.raises(PluginError, match=r"retain\.reminders"):
        make_crm(enabled=[*ENABLED, "koperasi_xyz.reminders"])
