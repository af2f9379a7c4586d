"""``dyncrm backup`` and ``dyncrm restore`` (issue 14): a Koperasi XYZ year backed up and
restored into a new folder keeps its books and reports to the byte; every refusal
leaves everything as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from dyncrm.app import open_crm
from dyncrm.testing import run_cli

REPORT_ARGS = ["--as-of", "2025-12-31", "--from", "2025-01-01", "--to", "2025-12-31",
               "--month", "2025-12", "--year", "2025"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> SHA-256 of its bytes)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def books(config: Path) -> dict:
    code, out, err = run_cli(["-c", str(config), "--as", "ketua", "ledger", "trial-balance",
                              "--json"])
    assert code == 0, err
    return json.loads(out)["data"]


def reports(config: Path, into: Path) -> dict[str, str]:
    """Every report of the deployment as CSV (PDFs carry their creation time)."""
    code, _, err = run_cli(["-c", str(config), "--as", "ketua", "laporan", "semua",
                            "--dir", str(into), *REPORT_ARGS])
    assert code == 0, err
    found = {name: digest for name, digest in tree(into).items() if name.endswith(".csv")}
    assert len(found) >= 5
    return found


def backup(config: Path, *args: str) -> tuple[Path, dict]:
    code, out, err = run_cli(["-c", str(config), "backup", "--json", *args])
    assert code == 0, err
    result = json.loads(out)["data"]
    return Path(result["path"]), result


def restore(archive: Path, into: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(["restore", str(archive), "--into", str(into), *args])


def rewritten(archive: Path, out: Path, *, manifest=None, files=None) -> Path:
    """A copy of ``archive`` with its manifest (dict -> dict) or a file's bytes changed."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif files and member.name in files:
                data = files[member.name](data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return out


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> Path:
    """The Koperasi XYZ demo year (10 members) and one backup of it; the config's path."""
    folder = tmp_path_factory.mktemp("kop") / "koperasi-xyz"
    code, _, err = run_cli(["demo", "--dir", str(folder), "--members", "10", "--seed", "7"])
    assert code == 0, err
    return folder / "dyncrm.toml"


@pytest.fixture(scope="module")
def taken(year: Path, tmp_path_factory) -> Path:
    """One backup of the demo year, written into a folder outside the deployment."""
    archive, _ = backup(year, "--out", str(tmp_path_factory.mktemp("backups")))
    return archive


def test_restore_into_a_new_folder_gives_the_same_books_and_reports(year, taken,
                                                                    tmp_path) -> None:
    assert mode(taken) == 0o600 and mode(taken.parent) == 0o700
    into = tmp_path / "pulih"
    code, out, err = restore(taken, into)
    assert code == 0, err
    assert f"into {into}" in out
    restored = into / "dyncrm.toml"
    assert mode(into) == 0o700
    assert books(restored) == books(year)
    tb = books(restored)
    assert sorted((s["commodity"], s["sum"]) for s in tb["sums"]) == [
        ("IDR", {"amount": "0", "currency": "IDR"}),
        ("POINTS", {"amount": "0", "currency": "POINTS"})] and tb["balanced"] is True
    assert reports(restored, tmp_path / "a") == reports(year, tmp_path / "b")
    # the files beside the config came along, as they were, private
    for name in ("dyncrm.toml", "kartu/kartu-anggota.pdf"):
        assert (into / name).read_bytes() == (year.parent / name).read_bytes()
        assert mode(into / name) == 0o600
    outbox = sorted(p.name for p in (year.parent / "outbox").iterdir())
    assert outbox and sorted(p.name for p in (into / "outbox").iterdir()) == outbox
    with open_crm(year) as a, open_crm(restored) as b:
        from dyncrm.identity import deployment_id

        assert deployment_id(a) == deployment_id(b)
        assert a.migration_status() == b.migration_status()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_the_manifest_names_the_deployment_its_schema_and_every_file(year, taken) -> None:
    from dyncrm.backup.restore import read_manifest

    manifest = read_manifest(taken)
    with open_crm(year) as crm:
        from dyncrm.backup.create import applied_migrations
        from dyncrm.identity import deployment_id

        assert manifest.deployment_id == deployment_id(crm)
        assert manifest.migrations == applied_migrations(crm)
    assert "core:0009_deployment_identity" in manifest.migrations
    assert manifest.backend == "sqlite" and manifest.config == "files/dyncrm.toml"
    assert manifest.organisation == "Koperasi Karyawan XYZ"
    names = {f.path for f in manifest.files}
    assert "database/dyncrm.sqlite3" in names and "files/dyncrm.toml" in names
    assert not any(n.startswith("files/koperasi-xyz.db") for n in names), \
        "the live database file is copied through the backup API, not as a file"
    with tarfile.open(taken, "r:gz") as tar:
        assert tar.getnames()[0] == "manifest.json"
        for entry in manifest.files:
            data = tar.extractfile(entry.path).read()
            assert hashlib.sha256(data).hexdigest() == entry.sha256
            assert all(m.mode == 0o600 for m in tar.getmembers())


def test_the_secret_keys_come_back_with_the_database(tmp_path: Path) -> None:
    code, _, err = run_cli(["init", str(tmp_path / "kop"), "--from", "koperasi_xyz"],
                           env={"DYNCRM_ADMIN_PASSWORD": "Sudirman-kop-2025"})
    assert code == 0, err
    config = tmp_path / "kop" / "dyncrm.toml"
    archive, _result = backup(config)
    assert archive.parent == tmp_path / "kop" / "backups", "[backup] folder by default"
    code, _, err = restore(archive, tmp_path / "new")
    assert code == 0, err
    for name in ("card-secret", "web-secret"):
        assert (tmp_path / "new" / name).read_text() == (tmp_path / "kop" / name).read_text()
        assert mode(tmp_path / "new" / name) == 0o600
    assert not (tmp_path / "new" / "backups").exists(), "backups are not backed up"
    # a second backup never overwrites the first
    code, _, err = run_cli(["-c", str(config), "backup", "--out", str(archive)])
    assert code == 1 and "never overwrites" in err


def test_restore_over_a_deployment_needs_replace_and_only_takes_its_own(taken, tmp_path
                                                                       ) -> None:
    into = tmp_path / "kop"
    assert restore(taken, into)[0] == 0
    with open_crm(into / "dyncrm.toml") as crm:
        from dyncrm.testing import active_member

        active_member(crm, "Anggota Setelah Cadangan", number="XYZ-2026-99999")
    before = tree(into)

    code, _, err = restore(taken, into)
    assert code == 1 and "--replace" in err and "nothing was restored" in err
    assert tree(into) == before

    code, out, err = restore(taken, into, "--replace")
    assert code == 0, err
    assert f"over {into}" in out
    with open_crm(into / "dyncrm.toml") as crm:
        from dyncrm.db.models import Member

        assert not Member.select().where(Member.number == "XYZ-2026-99999").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_backup_of_another_deployment_is_refused(taken, tmp_path) -> None:
    other = tmp_path / "lain"
    code, _, err = run_cli(["init", str(other), "--name", "Koperasi Lain"],
                           env={"DYNCRM_ADMIN_PASSWORD": "Sudirman-kop-2025"})
    assert code == 0, err
    before = tree(other)
    code, _, err = restore(taken, other, "--replace")
    assert code == 1
    assert "another deployment" in err and "nothing was restored" in err
    assert tree(other) == before
    # a folder with other things in it is not a place to restore into either
    stuff = tmp_path / "stuff"
    stuff.mkdir()
    (stuff / "skripsi.docx").write_text("jangan dihapus")
    code, _, err = restore(taken, stuff)
    assert code == 1 and "holds files but no deployment" in err
    assert tree(stuff) == {"skripsi.docx": hashlib.sha256(b"jangan dihapus").hexdigest()}


def test_a_backup_from_a_newer_dyncrm_is_refused(taken, tmp_path) -> None:
    def newer(manifest: dict) -> dict:
        manifest["migrations"].append("core:9999_from_the_future")
        manifest["dyncrm_version"] = "99.0"
        return manifest

    archive = rewritten(taken, tmp_path / "newer.dyncrm.tar.gz", manifest=newer)
    code, _, err = restore(archive, tmp_path / "into")
    assert code == 1
    assert "core:9999_from_the_future" in err and "99.0" in err
    assert not (tmp_path / "into").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newer.dyncrm.tar.gz"]

    def future_format(manifest: dict) -> dict:
        manifest["format"] = 2
        return manifest

    archive = rewritten(taken, tmp_path / "format.dyncrm.tar.gz", manifest=future_format)
    code, _, err = restore(archive, tmp_path / "into")
    assert code == 1 and "backup format 2" in err
    assert not (tmp_path / "into").exists()


def test_an_altered_or_damaged_backup_is_refused(taken, tmp_path) -> None:
    altered = rewritten(taken, tmp_path / "altered.dyncrm.tar.gz", files={
        "files/dyncrm.toml": lambda data: data.replace(b"Koperasi", b"Koperasa", 1)})
    code, _, err = restore(altered, tmp_path / "into")
    assert code == 1 and "files/dyncrm.toml does not match its manifest" in err
    assert not (tmp_path / "into").exists()

    cut = tmp_path / "cut.dyncrm.tar.gz"
    cut.write_bytes(taken.read_bytes()[: taken.stat().st_size // 2])
    code, _, err = restore(cut, tmp_path / "into")
    assert code == 1 and "not a usable dyncrm backup" in err

    not_a_backup = tmp_path / "foto.tar.gz"
    with tarfile.open(not_a_backup, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("foto.jpg"), io.BytesIO(b""))
    code, _, err = restore(not_a_backup, tmp_path / "into")
    assert code == 1 and "does not start with manifest.json" in err
    assert not (tmp_path / "into").exists()
    assert all(not p.name.startswith(".") for p in tmp_path.iterdir())


def test_migration_0009_is_applied_to_a_deployment_that_has_0010_and_0011(make_crm) -> None:
    from dyncrm.db.migrate import HISTORY_TABLE
    from dyncrm.identity import read_deployment_id

    crm = make_crm()
    first = read_deployment_id(crm.database)
    assert first
    # a deployment from before 0009 existed: 0010 and 0011 applied, no identity
    crm.database.execute_sql(f"DELETE FROM {HISTORY_TABLE} WHERE name = ?",
                             ("core:0009_deployment_identity",))
    crm.database.execute_sql("DROP TABLE deployment_identity")
    assert crm.pending_migrations() == ["core:0009_deployment_identity"]
    assert crm.upgrade() == ["core:0009_deployment_identity"]
    made = read_deployment_id(crm.database)
    assert made and made != first
    assert crm.upgrade() == []


def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(tmp_path) -> None:
    config = tmp_path / "dyncrm.toml"
    config.write_text('[organisation]\nname = "Kop"\n[database]\nurl = "sqlite:///kop.db"\n'
                      '[backup]\ndaily = true\nkeep = 2\nfolder = "cadangan"\n')
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        code, out, err = run_cli(["-c", str(config), "run-due", "--date", day])
        assert code == 0, err
        assert f"backup.daily: wrote {tmp_path / 'cadangan'}" in out
    names = sorted(p.name for p in (tmp_path / "cadangan").iterdir())
    assert names == ["backup-2026-01-02-daily.dyncrm.tar.gz",
                     "backup-2026-01-03-daily.dyncrm.tar.gz"]
    assert mode(tmp_path / "cadangan") == 0o700
    code, out, _ = run_cli(["-c", str(config), "run-due", "--date", "2026-01-03"])
    assert code == 0 and "backup.daily: already taken for 2026-01-03" in out
    code, out, _ = run_cli(["-c", str(config), "backup"])
    assert code == 0
    run_cli(["-c", str(config), "run-due", "--date", "2026-01-04"])
    names = sorted(p.name for p in (tmp_path / "cadangan").iterdir())
    assert len(names) == 3 and "backup-2026-01-04-daily.dyncrm.tar.gz" in names, \
        "a backup taken by hand is never pruned"


def test_a_data_folder_outside_the_deployment_comes_back_where_it_was(tmp_path) -> None:
    outside = tmp_path / "srv-data"
    config = tmp_path / "kop" / "dyncrm.toml"
    config.parent.mkdir()
    config.write_text('[organisation]\nname = "Kop"\n[database]\nurl = "sqlite:///kop.db"\n'
                      f'[paths]\ndata_dir = "{outside}"\n')
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    (outside / "proofs").mkdir(parents=True)
    (outside / "proofs" / "slip.png").write_bytes(b"\x89PNG slip")
    archive, _ = backup(config, "--out", str(tmp_path / "b"))
    # on the same machine the live data folder is in the way: refused, nothing made
    code, _, err = restore(archive, tmp_path / "new")
    assert code == 1 and f"{outside}, which is not empty" in err
    assert not (tmp_path / "new").exists()
    assert tree(outside) == {"proofs/slip.png": hashlib.sha256(b"\x89PNG slip").hexdigest()}
    # on a machine without it (the disk died), it comes back where the config says
    shutil.rmtree(outside)
    code, _, err = restore(archive, tmp_path / "new")
    assert code == 0, err
    assert (outside / "proofs" / "slip.png").read_bytes() == b"\x89PNG slip"


def test_without_daily_run_due_takes_no_backup(make_crm, tmp_path) -> None:
    crm = make_crm()
    from dyncrm.backup.schedule import jobs

    assert jobs(crm) == []


# --- servers ----------------------------------------------------------------------


def server_deployment(folder: Path, url: str) -> Path:
    """A Koperasi XYZ deployment on ``url`` with members, savings and a loan."""
    from importlib.resources import files

    folder.mkdir(parents=True)
    text = (files("koperasi_xyz") / "dyncrm.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///koperasi-xyz.db"', f'url = "{url}"')
    config = folder / "dyncrm.toml"
    config.write_text(text, encoding="utf-8")
    from dyncrm.values import Actor

    with open_crm(config) as crm:
        crm.upgrade()
        crm.users.add("ketua", roles=["admin"], password="Sudirman-kop-2025",
                      display_name="Ketua")
        from dyncrm.testing import active_member

        cash = crm.ledger.open_account("cash", type="asset")
        for i in range(1, 6):
            member_id = active_member(crm, f"Anggota {i}", number=f"XYZ-2025-{i:05d}")
            with crm.action("seed", Actor.operator()):
                code = crm.ledger.open_account("savings.wajib", type="liability",
                                               member_id=member_id)
                crm.ledger.transfer(crm.money(50_000 * i), debit=cash, credit=code,
                                    kind="savings.deposit", actor="test",
                                    member_id=member_id)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "bukti-transfer.jpg").write_bytes(b"\xff\xd8 bukti")
    return config


def server_restore(postgres_or_mariadb, url: str, tmp_path: Path) -> None:
    config = server_deployment(tmp_path / "kop", url)
    archive, result = backup(config)
    assert result["backend"] in ("postgresql", "mysql")
    # the live database is never overwritten by a restore into another folder
    code, _, err = restore(archive, tmp_path / "elsewhere")
    assert code == 1 and "already holds this deployment" in err
    assert not (tmp_path / "elsewhere").exists()
    with postgres_or_mariadb.database() as empty:
        code, _out, err = restore(archive, tmp_path / "pulih", "--database-url", empty)
        assert code == 0, err
        restored = tmp_path / "pulih" / "dyncrm.toml"
        assert books(restored) == books(config)
        code, a, _ = run_cli(["-c", str(config), "--as", "ketua", "laporan", "simpanan",
                              "--as-of", "2030-01-01", "--json"])
        code2, b, err = run_cli(["-c", str(restored), "--as", "ketua", "laporan",
                                 "simpanan", "--as-of", "2030-01-01", "--json"])
        assert code == code2 == 0, err
        assert a == b and "Anggota 5" in a
        assert (tmp_path / "pulih" / "data" / "bukti-transfer.jpg").read_bytes() == \
            b"\xff\xd8 bukti"
        # into a database that is not empty: refused, nothing changed
        code, _, err = restore(archive, tmp_path / "again", "--database-url", empty)
        assert code == 1 and "already holds this deployment" in err
        assert not (tmp_path / "again").exists()


def test_backup_and_restore_on_postgres(postgres_server, pg_url, tmp_path) -> None:
    server_restore(postgres_server, pg_url, tmp_path)


def test_backup_and_restore_on_mariadb(mysql_server, mysql_url, tmp_path) -> None:
    if not (shutil.which("mariadb-dump") or shutil.which("mysqldump")):
        pytest.skip("mariadb-dump/mysqldump is not installed")
    server_restore(mysql_server, mysql_url, tmp_path)


def change_deployment(config: Path) -> None:
    """What happens after a backup: a new member, a deposit, a file added and one altered."""
    from dyncrm.testing import active_member
    from dyncrm.values import Actor

    with open_crm(config) as crm:
        member_id = active_member(crm, "Anggota Setelah Cadangan", number="XYZ-2026-99999")
        cash = crm.ledger.open_account("cash", type="asset")
        with crm.action("seed", Actor.operator()):
            code = crm.ledger.open_account("savings.wajib", type="liability",
                                           member_id=member_id)
            crm.ledger.transfer(crm.money(777_000), debit=cash, credit=code,
                                kind="savings.deposit", actor="test", member_id=member_id)
    (config.parent / "data" / "bukti-transfer.jpg").write_bytes(b"\xff\xd8 diganti")
    (config.parent / "data" / "baru.jpg").write_bytes(b"\xff\xd8 baru")


def savings_report(config: Path) -> str:
    code, out, err = run_cli(["-c", str(config), "--as", "ketua", "laporan", "simpanan",
                              "--as-of", "2030-01-01", "--json"])
    assert code == 0, err
    return out


def server_restore_replace(url: str, tmp_path: Path) -> None:
    """Back up a server deployment, change it, restore the backup over it (--replace):
    the books, the reports and the files are the backup's again."""
    config = server_deployment(tmp_path / "kop", url)
    archive, _ = backup(config, "--out", str(tmp_path / "cadangan"))
    books_then, savings_then = books(config), savings_report(config)
    reports_then = reports(config, tmp_path / "laporan-cadangan")
    files_then = tree(config.parent)

    change_deployment(config)
    assert books(config) != books_then and "Anggota Setelah Cadangan" in savings_report(config)
    changed = tree(config.parent)

    code, _, err = restore(archive, config.parent)  # over a deployment: needs --replace
    assert code == 1 and "--replace" in err and "nothing was restored" in err
    assert tree(config.parent) == changed and "XYZ-2026-99999" in savings_report(config)

    code, out, err = restore(archive, config.parent, "--replace")
    assert code == 0, err
    assert f"over {config.parent}" in out
    assert books(config) == books_then
    assert savings_report(config) == savings_then
    assert reports(config, tmp_path / "laporan-pulih") == reports_then
    assert tree(config.parent) == files_then  # the new file gone, the altered one back
    with open_crm(config) as crm:
        from dyncrm.db.models import Member

        assert not Member.select().where(Member.number == "XYZ-2026-99999").exists()
        assert crm.pending_migrations() == []
        # the database keeps working after the restore: ids continue past the restored ones
        from dyncrm.testing import active_member

        active_member(crm, "Anggota Sesudah Pemulihan", number="XYZ-2026-99998")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_restore_replace_over_a_postgres_deployment(postgres_server, pg_url, tmp_path) -> None:
    server_restore_replace(pg_url, tmp_path)


def test_restore_replace_over_a_mariadb_deployment(mysql_server, mysql_url, tmp_path) -> None:
    if not (shutil.which("mariadb-dump") or shutil.which("mysqldump")):
        pytest.skip("mariadb-dump/mysqldump is not installed")
    server_restore_replace(mysql_url, tmp_path)
