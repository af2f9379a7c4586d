"""A full disk, a read-only deployment, a path that is a file, a killed database server:
each ends as an environment fault (exit 5) naming the file or server and the cause,
never as a plugin's fault or a bug, and leaves the database exactly as it was.

The faults are real: a small tmpfs filled to the last page, a read-only bind mount,
files where folders belong, a PostgreSQL server stopped while a command waits on it.
Mounting needs root; where it is not permitted the tests say so and skip, except
under ``CI=true``, where they fail (CI runs them as root).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import peewee
import pytest
from servers import in_ci

from dyncrm.app import open_crm
from dyncrm.errors import EnvironmentFault
from dyncrm.faults import classify
from dyncrm.testing import run_cli, snapshot

DB = "koperasi-xyz.db"
CHUNK = 4096


# --- real faults -------------------------------------------------------------------


def _cannot(reason: str):
    if in_ci():
        pytest.fail(f"CI=true and the storage-fault tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"storage-fault tests skipped: {reason}")


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        _cannot("mounting a tmpfs or a read-only bind mount needs root")
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        _cannot(f"mount {' '.join(args)} is not permitted here: {proc.stderr.strip()}")


def _umount(where: Path) -> None:
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` for the block."""
    where.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    try:
        yield where
    finally:
        _umount(where)


@contextlib.contextmanager
def read_only_view(source: Path, where: Path) -> Iterator[Path]:
    """``source`` seen read-only at ``where`` (a read-only bind mount; chmod would not
    stop root)."""
    where.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(where))
    try:
        _mount("-o", "remount,ro,bind", str(where))
        yield where
    finally:
        _umount(where)


def fill(folder: Path) -> Path:
    """Fill ``folder``'s file system to the last byte; returns the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 16, CHUNK, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    assert shutil.disk_usage(folder).free < CHUNK
    return filler


def dump(db: Path) -> dict:
    """Every row of the database (opened read-only), to compare before and after."""
    return snapshot(db, exclude=())


# --- a deployment with members ------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> tuple[Path, str]:
    """A small Koperasi XYZ year (the demo with 10 members); yields (folder, member)."""
    folder = tmp_path_factory.mktemp("seed") / "kop"
    code, _, err = run_cli(["demo", "--dir", str(folder), "--members", "10", "--seed", "5"])
    assert code == 0, err
    with open_crm(folder / "dyncrm.toml"):
        from dyncrm.db.models import Member

        member = Member.select().where(Member.stage == "active").order_by(Member.id).first()
        number = member.number
    return folder, number


def place(seeded: tuple[Path, str], folder: Path) -> Path:
    """Copy the seeded deployment's config and database into ``folder``; the config path."""
    source, _ = seeded
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dyncrm.toml", DB):
        shutil.copy2(source / name, folder / name)
    return folder / "dyncrm.toml"


def run_due(config: Path):
    """The daily cron job: on this date it awards points and queues and sends reminders."""
    return run_cli(["-c", str(config), "run-due", "--date", "2026-01-20"])


def assert_environment(code: int, err: str, *names: str) -> None:
    assert code == 5, err
    for name in names:
        assert name in err, err
    assert "plugin" not in err.lower() and "bug in dyncrm" not in err, err
    assert "cannot rollback" not in err, err


# --- full disk ------------------------------------------------------------------------


def test_full_disk_names_the_database_and_saves_nothing(seeded, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "8m") as disk:
        config = place(seeded, disk / "kop")
        db = disk / "kop" / DB
        before = dump(db)
        holder = sqlite3.connect(db)  # keeps -wal and -shm in place: the write itself fails
        holder.execute("select count(*) from member").fetchone()
        filler = fill(disk)
        try:
            code, _, err = run_due(config)
        finally:
            filler.unlink()
            holder.close()
        assert_environment(code, err, str(db), "the disk is full", "nothing was saved")
        assert dump(db) == before
        code, _, err = run_due(config)  # with room again the same job writes
        assert code == 0, err
        assert dump(db) != before


def test_full_disk_the_write_error_is_not_hidden_by_the_rollback(seeded, tmp_path) -> None:
    """SQLite rolls back by itself on a full disk; peewee's second rollback then fails
    with "cannot rollback - no transaction is active".  The original error must win."""
    from dyncrm_expand import savings

    _, member = seeded
    with tmpfs(tmp_path / "disk", "8m") as disk:
        config = place(seeded, disk / "kop")
        db = disk / "kop" / DB
        before = dump(db)
        with open_crm(config) as crm:
            kasir, member_id = crm.actor("kasir"), crm.member(member).id
            filler = fill(disk)
            try:
                with pytest.raises(peewee.OperationalError) as info:
                    savings.deposit(crm, kasir, member_id, "sukarela", "50000",
                                    method="cash", reference="FULL-2")
            finally:
                filler.unlink()
            assert "database or disk is full" in str(info.value)
            fault = classify(info.value, database=crm.database)
            assert isinstance(fault, EnvironmentFault) and fault.path == str(db)
            # the connection still works once there is room again
            assert savings.balance(crm, member_id, "sukarela").amount >= 0
        assert dump(db) == before


def test_full_disk_leaves_no_half_written_report(seeded, tmp_path: Path) -> None:
    config = place(seeded, tmp_path / "kop")
    with tmpfs(tmp_path / "out", "64k") as out:
        filler = fill(out)
        filler.unlink()
        fill_to = out / "ballast"
        fill_to.write_bytes(b"\0" * (shutil.disk_usage(out).free - 2 * CHUNK))
        target = out / "laporan-anggota.pdf"
        code, _, err = run_cli(["-c", str(config), "--as", "bendahara", "laporan", "anggota",
                                "--pdf", str(target)])
        assert_environment(code, err, str(target), "the disk is full")
        assert sorted(p.name for p in out.iterdir()) == ["ballast"]  # no part, no temp file


# --- read-only ------------------------------------------------------------------------


def test_read_only_deployment_names_the_database(seeded, tmp_path: Path) -> None:
    config = place(seeded, tmp_path / "kop")
    db = tmp_path / "kop" / DB
    before = dump(db)
    holder = sqlite3.connect(db)  # the -shm exists, so SQLite can still read
    holder.execute("select count(*) from member").fetchone()
    try:
        with read_only_view(tmp_path / "kop", tmp_path / "ro") as ro:
            code, _, err = run_due(ro / "dyncrm.toml")
            assert_environment(code, err, str(ro / DB), "read-only", "nothing was saved")
            code, _, err = run_cli(["init", str(ro / "new-deployment")])
            assert_environment(code, err, str(ro / "new-deployment"), "read-only")
    finally:
        holder.close()
    assert dump(db) == before
    assert config.exists()


# --- paths that are files, folders that are missing ------------------------------------


def _config_with_url(seeded, folder: Path, url: str) -> Path:
    config = place(seeded, folder)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('url = "sqlite:///koperasi-xyz.db"', f'url = "{url}"'),
                      encoding="utf-8")
    return config


def test_database_in_a_missing_folder_names_the_path(seeded, tmp_path: Path) -> None:
    wanted = tmp_path / "nowhere" / "kop.db"
    config = _config_with_url(seeded, tmp_path / "kop", f"sqlite:///{wanted}")
    code, _, err = run_cli(["-c", str(config), "db", "status"])
    assert_environment(code, err, str(wanted), f"the folder {tmp_path / 'nowhere'} does not "
                       "exist")
    assert not (tmp_path / "nowhere").exists()


def test_database_under_a_file_names_the_file(seeded, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    wanted = tmp_path / "afile" / "kop.db"
    config = _config_with_url(seeded, tmp_path / "kop", f"sqlite:///{wanted}")
    code, _, err = run_cli(["-c", str(config), "db", "status"])
    assert_environment(code, err, str(wanted), f"{tmp_path / 'afile'} is a file, not a folder")


def test_report_folder_that_is_a_file_is_not_blamed_on_the_plugin(seeded, tmp_path) -> None:
    config = place(seeded, tmp_path / "kop")
    (tmp_path / "laporan").write_text("a file where the reports folder belongs")
    code, _, err = run_cli(["-c", str(config), "--as", "bendahara", "laporan", "semua",
                            "--dir", str(tmp_path / "laporan" / "2025")])
    assert_environment(code, err, f"{tmp_path / 'laporan'} is a file, not a folder")
    assert (tmp_path / "laporan").read_text().startswith("a file")


def test_init_with_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    code, _, err = run_cli(["init", str(tmp_path / "taken" / "deployment")])
    assert_environment(code, err, str(tmp_path / "taken"), "is a file, not a folder")


# --- the classifier on its own ------------------------------------------------------------


def test_missing_files_of_the_installed_code_are_not_the_machines_fault(tmp_path) -> None:
    import dyncrm

    inside = Path(dyncrm.__file__).parent / "templates" / "no-such-template.txt"
    assert classify(FileNotFoundError(errno.ENOENT, "No such file", str(inside))) is None
    outside = tmp_path / "gone" / "report.csv"
    fault = classify(FileNotFoundError(errno.ENOENT, "No such file", str(outside)))
    assert fault is not None and str(outside) in str(fault)
    assert classify(ValueError("a bug")) is None
    assert classify(OSError(errno.ENOSPC, "No space left on device")).cause == \
        "the disk is full"


def test_lost_mariadb_connections_are_environment_faults() -> None:
    pymysql = pytest.importorskip("pymysql")
    for number in (2006, 2013):
        error = pymysql.err.OperationalError(number, "Lost connection to server during query")
        fault = classify(peewee.OperationalError(error, *error.args))
        assert fault is not None and fault.exit_code == 5
        assert "connection was lost" in str(fault)
    assert classify(pymysql.err.OperationalError(2003, "Can't connect")).cause == \
        "cannot connect"
    assert classify(pymysql.err.IntegrityError(1062, "Duplicate entry")) is None


# --- a database server that goes away ------------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator:
    """A PostgreSQL server of this test alone (the test stops and restarts it)."""
    from pg import PostgresServer, PostgresUnavailable, unavailable

    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.running = True
        server.stop()


def _pg_restart(server) -> None:
    options = (f"-p {server.port} -k {server.sockets} -c listen_addresses=127.0.0.1 "
               "-c fsync=off -c max_connections=50")
    server._run(server.bins["pg_ctl"], "-D", str(server.data), "-l", str(server.log),
                "-o", options, "-w", "-t", "60", "start")


HISTORY = "dyncrm_schema_migration"


def _server_deployment(tmp_path: Path, url: str) -> Path:
    """A deployment on ``url`` with the core's tables, then ``retain.faq`` enabled: its
    migrations are pending, so ``dyncrm db upgrade`` has something to write."""
    config = tmp_path / "dyncrm.toml"
    text = f"""[organisation]
name = "Koperasi Uji"
currency = "IDR"
locale = "id_ID"
timezone = "Asia/Jakarta"
[database]
url = "{url}"
[plugins]
enabled = []
"""
    config.write_text(text, encoding="utf-8")
    with open_crm(config) as crm:
        crm.upgrade()
    config.write_text(text.replace("enabled = []", 'enabled = ["retain.faq"]'),
                      encoding="utf-8")
    return config


def _start_waiting_command(config: Path) -> subprocess.Popen:
    """``dyncrm db upgrade`` in its own process (it will wait on the locked history)."""
    command = [sys.executable, "-c", "import sys; from dyncrm.cli import main; "
               "sys.exit(main())", "-c", str(config), "db", "upgrade"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_waiting(proc: subprocess.Popen, query) -> None:
    """Until ``query()`` sees the command wait on the lock (starting Python may take a
    while on a busy machine); fails at once if the command ended instead."""
    deadline = time.monotonic() + 120
    while not query():
        if proc.poll() is not None:
            pytest.fail(f"the command ended before it waited: {proc.communicate()}")
        assert time.monotonic() < deadline, "the command never waited on the lock"
        time.sleep(0.05)


def _kill_mid_command(config: Path, waiting, kill, where: str) -> None:
    """Start the command, wait until it waits on the lock, kill the server: exit 5 naming
    the server; then the next command cannot connect and says so too."""
    proc = _start_waiting_command(config)
    try:
        _wait_until_waiting(proc, waiting)
        kill()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_environment(proc.returncode, err, where, "connection was lost")
    code, _, err = run_cli(["-c", str(config), "db", "status"])
    assert_environment(code, err, where, "cannot connect")


@pytest.mark.postgres
def test_killed_postgres_server_mid_command(own_postgres, tmp_path: Path) -> None:
    import psycopg2

    server = own_postgres
    name = server.create_database()
    url = server.url(name)
    config = _server_deployment(tmp_path, url)
    watcher = server.admin_connection()  # autocommit: each poll sees the present
    holder = psycopg2.connect(url)
    with holder.cursor() as cur:  # hold the migration history: the command waits on it
        cur.execute(f'LOCK TABLE "{HISTORY}" IN ACCESS EXCLUSIVE MODE')

    def waiting() -> bool:
        with watcher.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND wait_event_type = 'Lock'", (name,))
            return cur.fetchone()[0] > 0

    def kill() -> None:
        watcher.close()
        server._run(server.bins["pg_ctl"], "-D", str(server.data), "-m", "immediate",
                    "-w", "stop")

    try:
        _kill_mid_command(config, waiting, kill, f"127.0.0.1:{server.port}")
    finally:
        with contextlib.suppress(Exception):
            holder.close()
    _pg_restart(server)
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:  # nothing of the upgrade was written
            cur.execute(f"SELECT count(*) FROM {HISTORY} WHERE name LIKE 'retain.faq:%%'")
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name LIKE 'faq%%'")
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()


@pytest.fixture
def own_mariadb() -> Iterator:
    """A MariaDB server of this test alone (the test kills and restarts it)."""
    from mysql import MariaDBServer, MariaDBUnavailable, unavailable

    try:
        server = MariaDBServer()
        server.start()
    except MariaDBUnavailable as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.mysql
def test_killed_mariadb_server_mid_command(own_mariadb, tmp_path: Path) -> None:
    server = own_mariadb
    name = server.create_database()
    config = _server_deployment(tmp_path, server.url(name))
    watcher = server.admin_connection()
    holder = server.admin_connection()
    with holder.cursor() as cur:  # hold the migration history: the command waits on it
        cur.execute(f"LOCK TABLES `{name}`.`{HISTORY}` WRITE")

    def waiting() -> bool:
        with watcher.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.PROCESSLIST "
                        "WHERE DB = %s AND STATE LIKE 'Waiting for table%%'", (name,))
            return cur.fetchone()[0] > 0

    def kill() -> None:
        watcher.close()
        server._kill()  # SIGKILL: the server is gone mid-query

    try:
        _kill_mid_command(config, waiting, kill, f"127.0.0.1:{server.port}")
    finally:
        with contextlib.suppress(Exception):
            holder.close()
    server._launch()
    conn = server.admin_connection()
    try:
        with conn.cursor() as cur:  # nothing of the upgrade was written
            cur.execute(f"SELECT count(*) FROM `{name}`.`{HISTORY}` "
                        "WHERE name LIKE 'retain.faq:%%'")
            assert cur.fetchone()[0] == 0
            cur.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = %s AND table_name LIKE 'faq%%'", (name,))
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()
