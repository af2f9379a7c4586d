"""The archive (dyncrm.archive): documents kept as sent — sealed, hashed, reprinted identical."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from dyncrm import archive
from dyncrm.db.archive import ArchivedDocument
from dyncrm.errors import NotFoundError, PermissionDenied, PluginError
from dyncrm.testing import run_cli, staff
from dyncrm.values import Actor

SYSTEM = Actor.operator()
PDF = b"%PDF-1.4 the list as sent\n" + bytes(range(256)) * 300  # > 64 KiB, any byte
CSV = b"nik;jumlah\nE001;660000\n"


def docs(pdf: bytes = PDF) -> list[archive.Document]:
    return [archive.Document("potongan-2025-12.csv", CSV, "text/csv"),
            archive.Document("potongan-2025-12.pdf", pdf, "application/pdf")]


def test_a_sealed_set_comes_back_byte_for_byte_with_its_hashes(crm, tmp_path) -> None:
    sent = archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs(),
                        meta={"total": 25_110_778})
    assert not sent.replayed and [f.name for f in sent.files] == [
        "potongan-2025-12.csv", "potongan-2025-12.pdf"]
    pdf = sent.file("potongan-2025-12.pdf")
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest() and pdf.size == len(PDF)
    assert archive.content(crm, pdf) == PDF
    found = archive.find(crm, "payroll.deduction_list", "2025-12")
    assert found is not None and found.digest == sent.digest and found.meta["total"] == 25_110_778
    target = archive.reprint(crm, pdf.id, tmp_path / "copy.pdf")
    assert target.read_bytes() == PDF
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert archive.find(crm, "payroll.deduction_list", "2026-01") is None


def test_the_same_files_again_are_a_replay_and_other_files_are_refused(crm) -> None:
    first = archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs())
    again = archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs())
    assert again.replayed and again.digest == first.digest
    assert ArchivedDocument.select().count() == 2
    with pytest.raises(archive.ArchiveSealed, match=r"2025-12 was archived on .* never changed"
                       r".*dyncrm archive reprint \d+"):
        archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs(PDF + b"x"))
    with pytest.raises(archive.ArchiveSealed):  # a file more is a change too
        archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12",
                     [*docs(), archive.Document("extra.txt", b"x", "text/plain")])
    assert ArchivedDocument.select().count() == 2
    assert archive.content(crm, first.files[1]) == PDF


def test_archiving_rolls_back_with_the_action_it_belongs_to(crm) -> None:
    with pytest.raises(RuntimeError), crm.action("payroll.send", SYSTEM):
        archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs())
        raise RuntimeError("the send failed after archiving")
    assert archive.find(crm, "payroll.deduction_list", "2025-12") is None


def test_altered_bytes_are_found_out(crm) -> None:
    sent = archive.seal(crm, SYSTEM, "laporan.shu", "2025", docs())
    ArchivedDocument.update(content=b"forged").where(
        ArchivedDocument.id == sent.files[0].id).execute()
    with pytest.raises(archive.ArchiveDamaged, match="no longer matches the hash"):
        archive.content(crm, sent.files[0].id)
    assert archive.verify(crm, sent.files) == [sent.files[0]]
    with pytest.raises(NotFoundError):
        archive.get(crm, 999)


def test_archive_commands_list_show_and_reprint(make_crm, tmp_path) -> None:
    crm = make_crm()
    staff(crm, "bendahara", "treasurer")
    staff(crm, "kasir", "cashier")
    sent = archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs())
    config = tmp_path / "dyncrm.toml"
    config.write_text(f'[organisation]\nname = "Koperasi"\ncurrency = "IDR"\n'
                      f'currency_exponent = 0\n[database]\nurl = '
                      f'"{crm.config.database_url}"\n', encoding="utf-8")

    def cli(user, *args):
        return run_cli(["-c", str(config), "--as", user, "archive", *args])

    code, out, err = cli("bendahara", "list")
    assert code == 0, err
    assert "payroll.deduction_list" in out and "potongan-2025-12.pdf" in out
    pdf = sent.file("potongan-2025-12.pdf")
    code, out, err = cli("bendahara", "show", str(pdf.id))
    assert code == 0, err
    assert pdf.sha256 in out and "the bytes match" in out
    code, out, err = cli("bendahara", "reprint", str(pdf.id), "--out", str(tmp_path / "r.pdf"))
    assert code == 0, err
    assert (tmp_path / "r.pdf").read_bytes() == PDF
    code, _, err = cli("kasir", "list")
    assert code == 1 and "archive.view" in err
    with pytest.raises(PermissionDenied):
        crm.require(crm.actor("kasir"), archive.VIEW)


def test_files_on_disk_are_archived_as_their_bytes_would_be(crm, tmp_path) -> None:
    """A ``DocumentFile`` is read when it is stored: the same set as the bytes themselves,
    a replay of them, and refused alike when they differ."""
    (tmp_path / "list.csv").write_bytes(CSV)
    (tmp_path / "list.pdf").write_bytes(PDF)
    on_disk = [archive.DocumentFile("potongan-2025-12.csv", tmp_path / "list.csv", "text/csv"),
               archive.DocumentFile("potongan-2025-12.pdf", tmp_path / "list.pdf",
                                    "application/pdf")]
    sent = archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", on_disk)
    assert [archive.content(crm, f) for f in sent.files] == [CSV, PDF]
    assert [f.sha256 for f in sent.files] == [d.sha256 for d in docs()]
    assert archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", docs()).replayed
    (tmp_path / "list.pdf").write_bytes(PDF + b"x")
    with pytest.raises(archive.ArchiveSealed):
        archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", on_disk)
    assert ArchivedDocument.select().count() == 2


class _Shifting:
    """A document whose bytes are no longer those it was hashed from when they are stored
    (a file changed on disk while the set was being archived)."""

    name, media_type = "potongan-2025-12.pdf", "application/pdf"
    sha256 = hashlib.sha256(PDF).hexdigest()
    data = PDF + b"changed"


def test_a_file_that_changes_while_it_is_archived_archives_nothing(crm) -> None:
    with pytest.raises(PluginError, match="changed while it was being archived"):
        archive.seal(crm, SYSTEM, "payroll.deduction_list", "2025-12", [docs()[0], _Shifting()])
    assert ArchivedDocument.select().count() == 0
