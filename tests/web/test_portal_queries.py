"""The work queue and the dashboards read with a fixed number of queries.

However much work is waiting, the staff queue sends the same number of SQL
statements: each kind of work is one query, never one per item.
"""

from __future__ import annotations

from contextlib import contextmanager

from portal import member_login

from dyncrm.testing import web_client
from dyncrm.values import Actor
from dyncrm_acquire.registration import applications as apps
from dyncrm_retain.feedback import tickets


@contextmanager
def counting(crm):
    """The SQL statements the database runs inside the block."""
    seen: list[str] = []
    original = crm.database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    crm.database.execute_sql = execute_sql
    try:
        yield seen
    finally:
        crm.database.execute_sql = original


NAMES = ("Adi", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita", "Hadi", "Indah", "Joko",
         "Kartika", "Lestari")


def add_work(kop, start: int, count: int) -> None:
    """``count`` membership applications and ``count`` complaints, all waiting."""
    for i in range(start, start + count):
        name = NAMES[i]
        apps.submit(kop, {"full_name": f"Pelamar {name}", "nik": f"327501450892{i + 1:04d}",
                          "employee_number": f"E-{i}", "department": "Keuangan",
                          "email": f"p{i}@contoh.id", "mobile": f"0812 5555 {i:04d}",
                          "address": "Jl. Melati 3", "date_of_birth": "1992-08-05",
                          "employment_status": "permanent", "employment_start": "2015-01-05",
                          "take_home_pay": "6.500.000"}, Actor.public())
        _, username = member_login(kop, f"{name} Wijaya", username=f"anggota{i}")
        tickets.submit(kop, kop.users.trusted_actor(username), category="pinjaman",
                       subject=f"Keluhan {name}", text="Potongan ganda bulan ini.")


def queue_queries(client, kop) -> tuple[int, str]:
    with counting(kop) as seen:
        page = client.get("/queue").get_data(as_text=True)
    return len(seen), page


def test_the_staff_queue_costs_the_same_queries_for_2_or_12_items(kop):
    client = web_client(kop, "ketua")
    add_work(kop, 0, 2)
    few, page = queue_queries(client, kop)
    assert "Pelamar Budi" in page and "Keluhan Budi" in page
    add_work(kop, 2, 10)
    many, page = queue_queries(client, kop)
    assert "Pelamar Lestari" in page and "Keluhan Lestari" in page
    assert many == few, f"{few} statements for 2 items of each kind, {many} for 12"


def test_a_members_dashboard_costs_the_same_queries_however_many_members(kop):
    _, username = member_login(kop, "Siti Aminah")
    client = web_client(kop, username)
    with counting(kop) as alone:
        client.get("/")
    add_work(kop, 0, 10)
    with counting(kop) as among_many:
        client.get("/")
    assert len(among_many) == len(alone)
