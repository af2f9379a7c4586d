"""The ``anggota`` sheet of opening balances: the member register moved into dyncrm.

Each row is a member who is a member already on the cut-over date (``dyncrm
opening import``, :mod:`dyncrm.opening`).  Every cell is checked as a typed
application's is (NIK shape, e-mail, mobile number, a configured department);
member numbers, NIKs and employee numbers must be new, within the sheet and in
the register, and a repeat names both rows.  The members are then written by
:func:`~dyncrm_acquire.registration.importing.import_members` (set-based), so
they get the profile, approved application and touchpoint of any imported member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dyncrm import inputs, text
from dyncrm.db import bulk
from dyncrm.opening import Column, OpeningContext, OpeningSheet, SheetRow, Total, duplicates
from dyncrm_acquire import validate
from dyncrm_acquire.registration.applications import settings
from dyncrm_acquire.registration.importing import MemberImport, import_members

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "acquire.registration"

COLUMNS = (
    Column("number", ("nomor anggota", "no anggota", "no. anggota", "member number",
                      "member no", "nomor"), required=True,
           description="the cooperative's member number, kept as it is"),
    Column("name", ("nama", "nama lengkap", "nama anggota", "full name"), required=True,
           description="full name"),
    Column("nik", ("nik ktp", "no ktp", "nomor ktp", "ktp"), required=True,
           description="the 16-digit KTP number"),
    Column("joined_on", ("tanggal masuk", "tgl masuk", "tanggal bergabung", "tanggal daftar",
                         "joined", "join date", "member since"), required=True,
           description="date the person became a member (on or before the cut-over date)"),
    Column("employee_number", ("nik karyawan", "nomor karyawan", "no karyawan", "nip",
                               "nomor induk karyawan", "employee no"),
           description="employee number at the employer (payroll deduction)"),
    Column("department", ("unit kerja", "departemen", "bagian", "unit", "divisi"),
           description="one of the configured departments"),
    Column("email", ("e-mail", "e mail", "surel", "alamat email"), description="e-mail"),
    Column("phone", ("telepon", "telp", "no hp", "nomor hp", "hp", "no telepon", "ponsel",
                     "mobile", "phone number"), description="mobile number (08…, +62…)"),
    Column("take_home_pay", ("gaji bersih", "thp", "take home pay", "penghasilan bersih"),
           description="take-home pay, an amount"),
    Column("employment_status", ("status kepegawaian", "status karyawan", "status kerja"),
           description="permanent (tetap), contract (kontrak), probation (percobaan), other"),
    Column("address", ("alamat",), description="postal address"),
)

#: Indonesian words for the employment statuses.
STATUS_WORDS = {"tetap": "permanent", "pkwtt": "permanent", "kontrak": "contract",
                "pkwt": "contract", "percobaan": "probation", "masa percobaan": "probation",
                "lainnya": "other", "lain": "other"}


def _check(crm: CRM, ctx: OpeningContext, rows: list[SheetRow]) -> list[tuple[SheetRow,
                                                                                MemberImport]]:
    conf = settings(crm)
    parsed: list[tuple[SheetRow, dict]] = []
    for row in rows:
        before = len(ctx.problems)
        number = ctx.cell(row, "number", lambda v: inputs.identifier(v, field="number",
                                                                       max_length=32),
                          required=True)
        name = ctx.cell(row, "name", lambda v: text.clean_text(v, field="name", min_length=1,
                                                                max_length=200),
                        required=True)
        facts = ctx.cell(row, "nik", lambda v: validate.nik(v, on=ctx.as_of), required=True)
        joined = ctx.date(row, "joined_on", required=True)
        employee = ctx.cell(row, "employee_number", validate.employee_number)
        department = ctx.cell(row, "department",
                              lambda v: validate.department(v, conf.departments))
        email = ctx.cell(row, "email", validate.email)
        phone = ctx.cell(row, "phone", validate.mobile)
        pay = ctx.amount(row, "take_home_pay") if row.get("take_home_pay") else None
        status = ctx.cell(row, "employment_status",
                          lambda v: validate.choice(STATUS_WORDS.get(v.strip().lower(), v),
                                                    conf.employment_statuses,
                                                    "employment_status"),
                          default="permanent")
        address = row.get("address") or ""
        parsed.append((row, {"number": number, "nik": facts.nik if facts else None,
                             "employee_number": employee}))
        if len(ctx.problems) > before:
            continue
        parsed[-1] = (row, {
            "number": number, "nik": facts.nik, "employee_number": employee,
            "person": MemberImport(number=number, name=name, nik=facts.nik, joined_on=joined,
                                   employee_number=employee, department=department,
                                   take_home_pay=pay, email=email,
                                   employment_status=status, address=address, phone=phone)})
    for column, what, table, sql_column in (
            ("number", "member number", "member", "number"),
            ("nik", "NIK", "acquire_application", "nik"),
            ("employee_number", "employee number", "acquire_application", "employee_number")):
        values = [(row, data[column]) for row, data in parsed]
        duplicates(ctx, values, column, what)
        present = [v for _, v in values if v is not None]
        if not present:
            continue
        taken = {found for (found,) in bulk.select_in(
            crm.database, f"SELECT {sql_column} FROM {table} WHERE {sql_column} IN ({{in}})",
            list(dict.fromkeys(present)), size=500)}
        for row, value in values:
            if value in taken:
                ctx.problem(row, column, f"{what} {value} is already in the register")
    plan = [(row, data["person"]) for row, data in parsed if "person" in data]
    for _, data in parsed:  # known to the other sheets, even when the row has a problem
        if data["number"] is not None:
            ctx.members.setdefault(data["number"], None)
    ctx.add_total("anggota", "anggota", len(rows))
    return plan


def _write(crm: CRM, ctx: OpeningContext, plan) -> None:
    if not plan:
        return
    people = [person for _, person in plan]
    ids = import_members(crm, ctx.actor, people)
    for member_id, person in zip(ids, people, strict=True):
        ctx.members[person.number] = member_id
        ctx.new_members[member_id] = person.joined_on


def _ledger_totals(crm: CRM, ctx: OpeningContext, plan) -> dict[str, int]:
    numbers = [person.number for _, person in plan]
    found = bulk.select_in(crm.database, "SELECT id FROM member WHERE number IN ({in}) AND "
                                         "stage = 'active'", numbers, size=500)
    return {"anggota": len(found)}


def opening_sheet() -> OpeningSheet:
    """The ``anggota`` sheet (hook ``dyncrm_opening_sheets``)."""
    return OpeningSheet(
        name="anggota", title="Member register", plugin=PLUGIN, order=10,
        aliases=("members", "member", "daftar anggota", "register"), columns=COLUMNS,
        totals=(Total("anggota", "members", money=False,
                      synonyms=("jumlah anggota", "members", "member count")),),
        check=_check, write=_write, ledger_totals=_ledger_totals)


__all__ = ["COLUMNS", "opening_sheet"]
