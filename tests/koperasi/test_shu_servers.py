"""The SHU bases (one grouped query per basis, read as plain rows) on PostgreSQL and MariaDB."""

from __future__ import annotations

from kxyz_helpers import AFTER_RAT, add_member, shu_settings

from koperasi_xyz.shu import service as svc


def test_worked_example_on_postgres(make_crm, pg_url) -> None:
    worked_example(make_crm, pg_url)


def test_worked_example_on_mariadb(make_crm, mysql_url) -> None:
    worked_example(make_crm, mysql_url)


def worked_example(make_crm, url: str) -> None:
    """The worked example of test_shu_calc, to the rupiah, from a server database."""
    crm = make_crm(enabled=["koperasi_xyz.shu"], plugins={"koperasi_xyz.shu": shu_settings()},
                   clock=lambda: AFTER_RAT, database_url=url)
    a = add_member(crm, "XYZ-2024-00001", "Andi", pokok=100_000, wajib=900_000,
                   interest=300_000)
    b = add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000)
    c = add_member(crm, "XYZ-2024-00003", "Citra", pokok=100_000, wajib=900_000,
                   interest=200_000)
    dist = svc.compute(crm, 2025, crm.money("10.000.001")).distribution
    assert dist.pools["cadangan"] == 4_000_001
    assert {m.member_id: m.total for m in dist.members} == {
        a.id: 2_166_667, b.id: 666_666, c.id: 1_666_667}
    assert dist.capital_total == 3_000_000 and dist.transactions_total == 500_000
