"""``dyncrm.testing``: the fixtures and helpers installed with dyncrm for plugins' tests.

A fresh project with only dyncrm installed gets the fixtures from a plain ``pytest``
(the ``pytest11`` entry point); ``snapshot`` sees every change that matters and
leaves out what signing in writes, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dyncrm.db.models import Member
from dyncrm.testing import (
    DEFAULT_EXCLUDE,
    TEST_PASSWORD,
    Clock,
    active_member,
    messages_for,
    run_cli,
    snapshot,
    staff,
    touchpoints,
)
from dyncrm.values import Actor

#: A plugin author's test file, as docs/plugins.md section 8 shows it.
FRESH_TEST = '''
import datetime as dt

from dyncrm.testing import (Clock, active_member, messages_for, run_cli, snapshot, staff,
                            touchpoints)


def test_kit(make_crm, tmp_path):
    clock = Clock(dt.datetime(2026, 3, 2, 9, 0))
    crm = make_crm(enabled=["expand.savings"], clock=clock)
    staff(crm, "kasir", "cashier")
    member = active_member(crm, "Siti Aminah", email="siti@example.org")
    assert [t.kind for t in touchpoints(crm, member)] == ["stage.approve"]
    assert messages_for(crm, member) == []
    clock.advance(days=31)
    assert crm.today() == dt.date(2026, 4, 2)
    crm.close()

    config = tmp_path / "dyncrm.toml"
    config.write_text(
        '[organisation]\\nname = "K"\\ncurrency = "IDR"\\ncurrency_exponent = 0\\n'
        'timezone = "Asia/Jakarta"\\n[database]\\nurl = "sqlite:///crm.db"\\n'
        '[plugins]\\nenabled = ["expand.savings"]\\n', encoding="utf-8")
    before = snapshot(tmp_path / "crm.db")
    code, out, err = run_cli(["-c", str(config), "--as", "kasir", "savings", "balance",
                              str(member)])
    assert code == 0, err
    assert snapshot(tmp_path / "crm.db") == before  # signing in is not a change
    code, out, err = run_cli(["-c", str(config), "--as", "kasir", "savings", "deposit",
                              str(member), "sukarela", "50000", "--method", "cash",
                              "--ref", "K-1"], signed_in=False)
    assert code == 0, err  # the session of the first run is still live
    assert snapshot(tmp_path / "crm.db") != before
    code, _, err = run_cli(["-c", str(config), "--as", "nobody", "savings", "balance",
                            str(member)])
    assert code == 1 and "nobody" in err


def test_crm_and_admin(crm, admin):
    assert crm.users.can(admin, "members.enrol")
'''


def test_a_fresh_project_gets_the_fixtures_from_plain_pytest(tmp_path: Path) -> None:
    project = tmp_path / "plugin-project"
    project.mkdir()
    (project / "test_with_kit.py").write_text(FRESH_TEST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "DYNCRM_")) and k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(project), str(project)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    # nothing of this repository's tests was on the path
    assert not (project / "conftest.py").exists()


def test_the_repository_conftest_defines_none_of_the_kit() -> None:
    """A conftest fixture would silently win over the plugin's: no second copy.

    Every conftest.py of the repository is read from its file; importing a name of
    the kit (``from dyncrm.testing import TEST_PASSWORD``) is fine, defining one is not.
    """
    import importlib.util

    import dyncrm.testing

    root = Path(__file__).resolve().parents[1]
    for number, path in enumerate(sorted(root.rglob("conftest.py"))):
        spec = importlib.util.spec_from_file_location(f"_conftest_{number}", path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))  # its own helper modules (tests/web/portal.py)
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        for name in ("make_crm", "crm", "admin", "dyncrm_sessions", "run_cli", "sign_in",
                     "staff", "build_config", "TEST_PASSWORD", "BASE_CONFIG"):
            own = getattr(module, name, None)
            assert own is None or own is getattr(dyncrm.testing, name), f"{path}: {name}"


def test_make_crm_takes_a_clock_a_datetime_or_a_date(make_crm) -> None:
    clock = Clock(dt.datetime(2026, 3, 2, 9, 0))
    assert make_crm(clock=clock).today() == dt.date(2026, 3, 2)
    assert clock.advance(days=1) == dt.datetime(2026, 3, 3, 9, 0)
    assert make_crm(clock=clock).now() == dt.datetime(2026, 3, 3, 9, 0)
    assert make_crm(clock=dt.date(2025, 12, 31)).today() == dt.date(2025, 12, 31)
    with pytest.raises(TypeError, match="clock must be"):
        make_crm(clock="2026-01-01")


def test_staff_and_active_member(crm) -> None:
    kasir = staff(crm, "kasir", "cashier")
    assert kasir.username == "kasir" and "cashier" in kasir.roles
    crm.users.authenticate("kasir", TEST_PASSWORD)
    member = active_member(crm, "Budi", number="A-1", joined_on=dt.date(2025, 1, 2))
    row = Member.get_by_id(member)
    assert (row.name, row.number, row.stage, row.joined_on) == (
        "Budi", "A-1", "active", dt.date(2025, 1, 2))
    linked = staff(crm, "budi", "member", member_id=member, password=None)
    assert crm.users.get("budi").password_hash is None and linked.member_id == member


def test_messages_for_and_touchpoints_narrow_by_kind(crm) -> None:
    first, other = active_member(crm, "Ani"), active_member(crm, "Eko")
    with crm.database.atomic():
        crm.outbox.queue(recipient="ani@example.org", subject="a", body="1", member_id=first,
                         kind="test.one")
        crm.outbox.queue(recipient="ani@example.org", subject="b", body="2", member_id=first,
                         kind="test.two")
        crm.outbox.queue(recipient="eko@example.org", subject="c", body="3", member_id=other,
                         kind="test.one")
        crm.touch(first, "retain", "for", "test.visit", Actor.operator())
    assert [m.subject for m in messages_for(crm, first)] == ["a", "b"]
    assert [m.subject for m in messages_for(crm, first, kind="test.two")] == ["b"]
    assert messages_for(crm, first, status="sent") == []
    assert [t.kind for t in touchpoints(crm, first)] == ["stage.approve", "test.visit"]
    assert [t.kind for t in touchpoints(crm, first, kind="test.*")] == ["test.visit"]
    assert [t.kind for t in touchpoints(crm, other)] == ["stage.approve"]


def _snapshot_behaviour(crm) -> None:
    """What snapshot sees and leaves out, on ``crm``'s backend."""
    staff(crm, "kasir", "cashier", password=None)
    member = active_member(crm, "Sri")
    before = snapshot(crm)
    assert "user_session" not in before and "dyncrm_schema_migration" not in before
    assert before == snapshot(crm)
    # what records who acted: a sign-in (session, password) is not a change
    with crm.database.atomic():
        crm.users.set_password("kasir", TEST_PASSWORD)
    crm.sessions.login("kasir", TEST_PASSWORD, channel="cli", source="tests")
    assert snapshot(crm) == before
    assert snapshot(crm, exclude=())["user_session"]  # unless told to compare everything
    # what changed: any column of any row, unless that column is left out
    without_names = snapshot(crm, exclude=DEFAULT_EXCLUDE | {"member.name"})
    Member.update(name="Sri Wahyuni").where(Member.id == member).execute()
    assert snapshot(crm) != before
    assert snapshot(crm, exclude=DEFAULT_EXCLUDE | {"member.name"}) == without_names
    assert "member" not in snapshot(crm, exclude={"mem*"})


def test_snapshot_on_sqlite(make_crm, tmp_path: Path) -> None:
    crm = make_crm()
    _snapshot_behaviour(crm)
    # the file read-only gives the same rows as the open database
    assert snapshot(tmp_path / "crm.db") == snapshot(crm)
    assert snapshot(str(tmp_path / "crm.db"), exclude=()) == snapshot(crm, exclude=())
    assert snapshot(crm.database) == snapshot(crm)


def test_snapshot_of_a_missing_file_creates_none(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no SQLite database"):
        snapshot(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("url", [pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
                                 pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")])
def test_snapshot_on_the_servers(make_crm, request, url) -> None:
    _snapshot_behaviour(make_crm(database_url=request.getfixturevalue(url)))


def test_run_cli_signs_in_with_as_unless_told_not_to(make_crm, tmp_path: Path) -> None:
    crm = make_crm()
    staff(crm, "admin", "admin")
    crm.close()
    config = tmp_path / "dyncrm.toml"
    config.write_text(f'[organisation]\nname = "K"\n[database]\n'
                      f'url = "sqlite:///{tmp_path / "crm.db"}"\n', encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "--as", "admin", "whoami"], signed_in=False)
    assert code == 1 and "not signed in" in err
    # each test has its own session folder (the autouse fixture), empty so far
    sessions = Path(os.environ["DYNCRM_SESSION_DIR"])
    assert sessions.is_dir() and "DYNCRM_USER" not in os.environ
    code, out, err = run_cli(["-c", str(config), "--as", "admin", "whoami"])
    assert code == 0 and "admin" in out, err
    code, out, err = run_cli(["-c", str(config), "whoami"], env={"DYNCRM_USER": "admin"})
    assert code == 0 and "admin" in out, err
    assert "DYNCRM_USER" not in os.environ  # env= is for that run only
