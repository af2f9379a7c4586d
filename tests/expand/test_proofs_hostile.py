"""Hostile transfer proofs through ``dyncrm savings deposit --proof``, on a fresh SQLite file.

Every file is made here: Pillow makes real PNG and JPEG images, pypdf (or the
hand-built writer below) makes PDFs, and the hostile variants are derived from
them.  A refused proof exits 1 with a message naming the field ``proof`` and
the reason, and leaves the database and the data folder exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from test_savings_helpers import add_member, dump, staff

from dyncrm.app import open_crm
from dyncrm.testing import run_cli
from dyncrm_expand import savings

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
enabled = ["expand.savings"]

[notify]
default_channel = "file"
file_directory = "outbox"
"""


# --- files --------------------------------------------------------------------------


def image(fmt: str, size=(64, 48), *, noisy: bool = False, **save) -> bytes:
    """A real image made by Pillow."""
    im = (Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noisy
          else Image.new("RGB", size, (30, 140, 60)))
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header claiming ``width`` × ``height`` pixels, with a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))


def pdf(change=None) -> bytes:
    """A valid one-page PDF made by pypdf; ``change(writer)`` may add something first."""
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def action(kind: str, **entries) -> DictionaryObject:
    """An action dictionary ``<< /S /kind ... >>``."""
    found = DictionaryObject({NameObject("/S"): NameObject(f"/{kind}")})
    for key, value in entries.items():
        found[NameObject(f"/{key}")] = TextStringObject(value)
    return found


def open_action_js(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = action("JavaScript", JS="app.alert(1)")


def names_tree_js(writer: PdfWriter) -> None:
    script = writer._add_object(action("JavaScript", JS="this.exportDataObject({})"))
    writer._root_object[NameObject("/Names")] = DictionaryObject({
        NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("boot"), script])})})


def open_action_launch(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/OpenAction")] = action("Launch", F="cmd.exe")


def embedded_file(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really a program")


def file_attachment_annotation(writer: PdfWriter) -> None:
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/FileAttachment"),
        NameObject("/Rect"): ArrayObject([NumberObject(10), NumberObject(10),
                                          NumberObject(30), NumberObject(30)]),
        NameObject("/Contents"): TextStringObject("see attached"),
    })
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def encrypted(writer: PdfWriter) -> None:
    writer.encrypt("rahasia")


def hand_pdf(page_extra: str) -> bytes:
    """A minimal PDF written by hand (correct xref offsets); ``page_extra`` goes in the page."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] {page_extra} >>",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return out


HOSTILE = {
    "html behind a %PDF- header": (
        b"%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n",
        "cannot be read as one"),
    "truncated PNG": (image("PNG", (200, 200), noisy=True)[:4000], "cannot be read as one"),
    "PNG header claiming 100000x100000 pixels": (png_claiming(100_000, 100_000), "pixels"),
    "PDF with JavaScript as OpenAction": (pdf(open_action_js), "contains JavaScript"),
    "PDF with JavaScript in the names tree": (pdf(names_tree_js), "contains JavaScript"),
    "PDF with a Launch action": (pdf(open_action_launch), "launches a program"),
    "PDF with an embedded file": (pdf(embedded_file), "embedded file"),
    "PDF with a FileAttachment annotation": (pdf(file_attachment_annotation), "embedded file"),
    "hand-written PDF with a page-open JavaScript action": (
        hand_pdf("/AA << /O << /S /JavaScript /JS (app.launchURL\\(1\\)) >> >>"),
        "contains JavaScript"),
    "encrypted PDF": (pdf(encrypted), "encrypted"),
    "a text file": (b"transfer Rp 50.000 ke rekening koperasi\n", "accepted types"),
}


# --- the deployment -----------------------------------------------------------------


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    """A fresh deployment with a cashier and one active member (``XYZ-0001``)."""
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        staff(crm, "kasir", "cashier")
        add_member(crm, "Siti Aminah", number="XYZ-0001",
                   joined=dt.date.today() - dt.timedelta(days=40))
    # the first command as kasir signs in (a session row), so later states compare equal
    code, _, err = run_cli(["-c", str(config), "--as", "kasir", "savings", "pending"])
    assert code == 0, err
    return config


def deposit(config: Path, proof: Path, ref: str) -> tuple[int, str, str]:
    return run_cli(["-c", str(config), "--as", "kasir", "savings", "deposit", "XYZ-0001",
                    "sukarela", "50000", "--method", "transfer", "--ref", ref,
                    "--proof", str(proof)])


def state(config: Path) -> tuple[dict, list[str]]:
    """Every row of every table, and every file (hidden ones too) under the data folder."""
    with open_crm(config) as crm:
        rows = dump(crm)
        data_dir = Path(crm.config.data_dir)
    files = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*")) \
        if data_dir.exists() else []
    return rows, files


def stored_proof(config: Path, deposit_id: int) -> tuple[Path, savings.DepositResult]:
    with open_crm(config) as crm:
        found = savings.get_deposit(crm, deposit_id)
        return savings.proof_path(crm, found), found


# --- refused ------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_proof_is_refused_and_nothing_is_written(deployment, tmp_path, case):
    data, reason = HOSTILE[case]
    proof = tmp_path / "bukti.pdf"
    proof.write_bytes(data)
    before = state(deployment)
    code, out, err = deposit(deployment, proof, "TRF-HOSTILE")
    assert code == 1, (out, err)
    assert "proof:" in err and reason in err, err
    assert "Traceback" not in err and out == ""
    assert state(deployment) == before


def test_a_valid_proof_still_goes_through_after_a_refusal(deployment, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_claiming(100_000, 100_000))
    assert deposit(deployment, bad, "TRF-1")[0] == 1
    good = tmp_path / "good.pdf"
    good.write_bytes(pdf())
    code, out, err = deposit(deployment, good, "TRF-1")  # the same reference is still free
    assert code == 0, err
    assert "waiting for a cashier" in out


# --- accepted, stored re-encoded or as parsed -------------------------------------


def test_png_with_appended_php_is_stored_without_the_php(deployment, tmp_path):
    clean = image("PNG", (64, 48))
    proof = tmp_path / "bukti.png"
    proof.write_bytes(clean + b"<?php system($_GET['cmd']); ?>\n")
    code, _, err = deposit(deployment, proof, "TRF-PHP")
    assert code == 0, err
    path, found = stored_proof(deployment, 1)
    stored = path.read_bytes()
    assert b"<?php" not in stored and b"system(" not in stored
    assert stored.endswith(png_chunk(b"IEND", b""))
    with Image.open(path) as im, Image.open(io.BytesIO(clean)) as original:
        assert im.format == "PNG" and im.size == (64, 48)
        assert im.convert("RGB").tobytes() == original.convert("RGB").tobytes()
    assert found.proof_type == "image/png" and path.suffix == ".png"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_jpeg_is_re_encoded_without_its_exif_and_gps(deployment, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0)}  # GPS: where the member lives
    photo = image("JPEG", (80, 60), exif=exif.tobytes()) + b"<script>alert(1)</script>"
    proof = tmp_path / "IMG_2026.jpg"
    proof.write_bytes(photo)
    code, _, err = deposit(deployment, proof, "TRF-JPG")
    assert code == 0, err
    path, found = stored_proof(deployment, 1)
    with Image.open(path) as im:
        assert im.format == "JPEG" and im.size == (80, 60)
        assert not im.getexif() and "exif" not in im.info
    assert b"<script>" not in path.read_bytes() and found.proof_type == "image/jpeg"


@pytest.mark.parametrize("original", [pdf(), hand_pdf("")], ids=["pypdf", "by hand"])
def test_pdf_that_parses_is_stored_byte_for_byte(deployment, tmp_path, original):
    proof = tmp_path / "mutasi.pdf"
    proof.write_bytes(original)
    code, _, err = deposit(deployment, proof, "TRF-PDF")
    assert code == 0, err
    path, found = stored_proof(deployment, 1)
    assert path.read_bytes() == original and found.proof_type == "application/pdf"


def test_pdf_with_bytes_after_its_end_is_stored_as_parsed(deployment, tmp_path):
    proof = tmp_path / "mutasi.pdf"
    proof.write_bytes(pdf() + b"<html><script>alert(1)</script></html>\n")
    code, _, err = deposit(deployment, proof, "TRF-PDF2")
    assert code == 0, err
    path, _ = stored_proof(deployment, 1)
    stored = path.read_bytes()
    assert stored.startswith(b"%PDF-") and b"<script>" not in stored
    assert stored.rstrip().endswith(b"%%EOF")


# --- serving ------------------------------------------------------------------------


def test_proof_is_served_only_as_a_nosniff_attachment_of_its_parsed_type(deployment, tmp_path):
    proof = tmp_path / "bukti\"transfer\r\nSet-Cookie: x=1.html"
    proof.write_bytes(image("PNG") + b"<html>")
    code, _, err = deposit(deployment, proof, "TRF-SERVE")
    assert code == 0, err
    with open_crm(deployment) as crm:
        found = savings.get_deposit(crm, 1)
        path, headers = savings.proof_download(crm, found)
    assert path.is_file()
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"")
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count('"') == 2 and ".png\"" in disposition and ".html" not in disposition
    code, out, _ = run_cli(["-c", str(deployment), "--as", "kasir", "savings", "show", "1"])
    assert code == 0 and "image/png" in out
