"""Plausible, made-up employees of PT XYZ for the demo (deterministic by seed).

Names, KTP NIKs, employee numbers and pay are invented: NIKs follow the real
shape (Jakarta province code, birth date with +40 for women) but belong to no one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import attrs

FIRST_MALE = ("Budi", "Agus", "Joko", "Andi", "Dedi", "Hendra", "Rudi", "Bambang", "Yudi",
              "Eko", "Fajar", "Rizky", "Arif", "Dimas", "Bayu", "Irfan", "Teguh", "Wahyu",
              "Slamet", "Hadi", "Putra", "Gilang", "Reza", "Aditya", "Taufik")
FIRST_FEMALE = ("Siti", "Dewi", "Sri", "Rina", "Ani", "Wati", "Yanti", "Lestari", "Fitri",
                "Ratna", "Indah", "Nur", "Ayu", "Putri", "Maya", "Rini", "Dian", "Lina",
                "Mega", "Novi", "Citra", "Intan", "Wulan", "Sari", "Kartika")
LAST = ("Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kurniawan", "Setiawan",
        "Nugroho", "Siregar", "Nasution", "Lubis", "Simanjuntak", "Sitompul", "Rahman",
        "Hakim", "Susanto", "Gunawan", "Halim", "Purnomo", "Wibowo", "Utami", "Permata",
        "Anggraini", "Rahayu", "Maharani", "Handayani", "Suryani", "Kusuma", "Firmansyah")


@attrs.frozen
class Person:
    """An employee who may apply for membership."""

    full_name: str
    nik: str
    employee_number: str
    department: str
    email: str
    mobile: str
    address: str
    date_of_birth: dt.date
    employment_status: str
    employment_start: dt.date
    take_home_pay: int

    def application(self, referral_code: str | None = None) -> dict[str, object]:
        """The fields of a membership application form."""
        data: dict[str, object] = {
            "full_name": self.full_name, "nik": self.nik,
            "employee_number": self.employee_number, "department": self.department,
            "email": self.email, "mobile": self.mobile, "address": self.address,
            "date_of_birth": self.date_of_birth.isoformat(),
            "employment_status": self.employment_status,
            "employment_start": self.employment_start.isoformat(),
            "take_home_pay": str(self.take_home_pay),
        }
        if referral_code:
            data["referral_code"] = referral_code
        return data


STREETS = ("Jl. Kebon Jeruk", "Jl. Tebet Raya", "Jl. Cempaka Putih", "Jl. Rawamangun",
           "Jl. Pasar Minggu", "Jl. Kemang Raya", "Jl. Cilandak", "Jl. Kelapa Gading")


def people(rng: random.Random, count: int, departments: tuple[str, ...], *,
           before: dt.date) -> Iterator[Person]:
    """``count`` distinct employees, all employed at least four months before ``before``."""
    used_emails: set[str] = set()
    for i in range(count):
        female = rng.random() < 0.45
        first = rng.choice(FIRST_FEMALE if female else FIRST_MALE)
        last = rng.choice(LAST)
        born = dt.date(rng.randint(1968, 2001), rng.randint(1, 12), rng.randint(1, 28))
        day = born.day + (40 if female else 0)
        nik = (f"31{rng.randint(71, 75):02d}{rng.randint(1, 10):02d}"
               f"{day:02d}{born.month:02d}{born.year % 100:02d}{i + 1:04d}")
        email = f"{first}.{last}".lower()
        if email in used_emails:
            email = f"{email}{i + 1}"
        used_emails.add(email)
        start = before - dt.timedelta(days=rng.randint(130, 365 * 15))
        yield Person(
            full_name=f"{first} {last}",
            nik=nik,
            employee_number=f"XYZ{10000 + i * 7 + rng.randint(0, 6)}",
            department=rng.choice(departments),
            email=f"{email}@xyz.co.id",
            mobile=f"08{rng.choice((11, 12, 13, 21, 52, 57, 77))}{rng.randint(10**7, 10**8 - 1)}",
            address=f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, Jakarta",
            date_of_birth=born,
            employment_status="permanent" if rng.random() < 0.8 else "contract",
            employment_start=start,
            take_home_pay=rng.randrange(5_000_000, 22_000_000, 250_000),
        )
