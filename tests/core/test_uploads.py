"""dyncrm.uploads: files accepted by parsing, stored re-encoded, served as attachments."""

from __future__ import annotations

import io
import stat

import pytest
from PIL import Image

from dyncrm import uploads
from dyncrm.errors import ValidationError

ALL = ("jpeg", "png", "gif", "webp", "pdf")


def picture(fmt: str, mode: str = "RGB", size=(20, 10), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 7 if mode == "P" else (250, 200, 0)).save(out, fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_gif_and_webp_are_stored_as_png_without_trailing_bytes(fmt):
    data = picture(fmt, "P" if fmt == "GIF" else "RGB") + b"<?php echo 1; ?>"
    checked = uploads.check_upload(data, allowed=ALL, field="attachment", max_bytes=10**6)
    assert (checked.kind, checked.content_type, checked.extension) == ("png", "image/png",
                                                                      ".png")
    assert checked.source_kind == fmt.lower() and b"<?php" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as im:
        assert im.format == "PNG" and im.size == (20, 10)


def test_png_text_chunks_and_icc_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    data = picture("PNG", pnginfo=info)
    checked = uploads.check_upload(data, allowed=ALL, field="proof", max_bytes=10**6)
    assert b"<script>" in data and b"<script>" not in checked.data


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"GIF89a" + b"\x00" * 30, "cannot be read as one"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 garbage", "cannot be read as one"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "cannot be read as one"),
    (b"MZ\x90\x00", "accepted types"),
])
def test_broken_files_are_refused_naming_the_field(data, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        uploads.check_upload(data, allowed=ALL, field="attachment", max_bytes=10**6)
    assert caught.value.field == "attachment"


def test_pixel_and_size_limits():
    data = picture("PNG", size=(300, 200))
    with pytest.raises(ValidationError, match="300×200 pixels"):
        uploads.check_upload(data, allowed=ALL, field="proof", max_bytes=10**6,
                             max_pixels=50_000)
    with pytest.raises(ValidationError, match="at most 10 are accepted"):
        uploads.check_upload(data, allowed=ALL, field="proof", max_bytes=10)


def test_write_private_creates_owner_only_files_and_leaves_no_temporary(tmp_path):
    folder = tmp_path / "data" / "proofs"
    path = uploads.write_private(folder, "abc.png", b"x")
    assert path.read_bytes() == b"x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == ["abc.png"]


@pytest.mark.parametrize("name, content_type, filename", [
    ("bukti transfer.jpg", "image/jpeg", "bukti transfer.jpg"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("evil.html", "image/png", "evil.png"),
    ('a"b\r\nX-Injected: 1.pdf', "application/pdf", "a_b_X-Injected_ 1.pdf"),
    ("", "text/html", "download.bin"),
])
def test_download_headers_make_a_nosniff_attachment(name, content_type, filename):
    headers = uploads.download_headers(name, content_type)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith(f'attachment; filename="{filename}"; ')
    assert all("\r" not in v and "\n" not in v for v in headers.values())
    expected = content_type if content_type != "text/html" else "application/octet-stream"
    assert headers["Content-Type"] == expected
