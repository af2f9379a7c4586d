"""Helpers of the hostile-input tests: a deployment on disk and a dump of its data.

``data_dump`` reads every row of every table, leaving out what signing in on
the command line writes (sessions, throttles, the password a test sign-in
sets), so "nothing was written" compares what a refused command could have
changed.  ``deployment`` builds a SQLite deployment with savings, loans and
registration enabled, staff and one active member ``XYZ-0001``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dyncrm.testing import snapshot

TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["acquire.registration", "expand.savings", "expand.loans", "retain.feedback"]

[plugins."acquire.registration"]
departments = ["Produksi", "Keuangan"]

[plugins."retain.feedback"]
categories = ["layanan", "lainnya"]

[plugins."expand.loans".products.konsumtif]
name = "Pinjaman Konsumtif"
method = "flat"
rate = "1"
rate_unit = "per_month"
term_max = 36

[notify]
default_channel = "file"
file_directory = "outbox"
"""


def data_dump(crm) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a command could change (see the module docstring):
    :func:`dyncrm.testing.snapshot` with its default exclusions."""
    return snapshot(crm)


def make_deployment(tmp_path: Path) -> Path:
    """Write the config, migrate, add staff and the member ``XYZ-0001``; the config path."""
    from dyncrm.app import open_crm
    from dyncrm.db.models import Member
    from dyncrm.testing import run_cli
    from dyncrm.values import Actor

    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        with crm.database.atomic():
            for name, role in (("kasir", "cashier"), ("sekretaris", "secretary"),
                               ("bendahara", "treasurer"), ("ketua", "admin")):
                crm.users.add(name, roles=[role])
        with crm.action("test.seed", Actor.operator()):
            member = Member.create(number="XYZ-0001", name="Siti Aminah", stage="active",
                                   joined_on=dt.date.today() - dt.timedelta(days=400),
                                   email="siti@example.org")
        assert member.id
    return config


def cli(config: Path, *args: str, user: str = "kasir") -> tuple[int, str, str]:
    """``dyncrm -c CONFIG --as USER ARGS...``: (exit code, stdout, stderr)."""
    from dyncrm.testing import run_cli

    return run_cli(["-c", str(config), "--as", user, *args])
