"""Uploaded files (transfer proofs, attachments): accepted only when they parse.

A file's type is recognised from its first bytes, then the file is *parsed*
by a real decoder, never trusted on its header alone:

* images (JPEG, PNG, GIF, WebP) are opened with Pillow, checked against a
  pixel limit before anything is decoded (decompression bombs), verified,
  decoded in full (truncated files fail here) and stored **re-encoded**:
  JPEG stays JPEG, everything else becomes PNG.  Re-encoding drops whatever
  rode along (bytes after the image's end, such as appended PHP; EXIF with
  its GPS position; comments); a JPEG's EXIF orientation is applied first so
  the stored photo stays upright;
* PDFs are parsed with pypdf and refused when they carry JavaScript, launch
  or other active actions, embedded files, XFA forms or encryption.  A PDF
  that parses strictly and ends at its last ``%%EOF`` is stored byte for byte;
  one that only parses leniently (or has bytes after ``%%EOF``) is stored as
  pypdf re-writes it, so what is kept is what was checked.

:func:`check_upload` does the checking and returns what to store,
:func:`write_private` writes it readable by the owner only, and
:func:`download_headers` gives the HTTP headers under which a stored file may
ever be served (as an attachment, with ``nosniff``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import ValidationError

if TYPE_CHECKING:  # Pillow is imported when an image is checked
    from PIL import Image

#: The largest image accepted, in pixels (width × height); a 48-megapixel
#: phone photo fits, a decompression bomb does not.
MAX_PIXELS = 50_000_000
#: The most pages a PDF may have.
MAX_PAGES = 100
#: The most PDF objects walked when looking for active content.
MAX_PDF_OBJECTS = 200_000

_pillow_guarded = False


def _pillow():
    """Pillow's ``Image`` module, imported on first use with its guard lowered.

    Pillow's own process-wide guard (it warns above this and refuses above twice
    this) is set to at most :data:`MAX_PIXELS` once; the per-call limit below is the
    one that is enforced.
    """
    global _pillow_guarded
    from PIL import Image

    if not _pillow_guarded:
        Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_PIXELS, MAX_PIXELS)
        _pillow_guarded = True
    return Image

# pypdf reports repairs through logging; without a handler Python would print
# them on stderr, under the CLI's own message.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

#: type name -> (content type, extension) of the files accepted as uploads
TYPES: dict[str, tuple[str, str]] = {
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "gif": ("image/gif", ".gif"),
    "webp": ("image/webp", ".webp"),
    "pdf": ("application/pdf", ".pdf"),
}
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
_LABELS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP", "pdf": "PDF"}


@attrs.frozen
class CheckedFile:
    """An upload that parsed: what to store (``data``) and its stored type."""

    kind: str  # stored type: jpeg, png or pdf
    content_type: str
    extension: str
    data: bytes
    source_kind: str  # what was uploaded (a GIF is stored as PNG)
    width: int | None = None
    height: int | None = None
    pages: int | None = None


def sniff(data: bytes) -> str | None:
    """The type name ``data`` claims by its first bytes, or ``None`` (not yet checked)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def type_names(kinds: tuple[str, ...]) -> str:
    """``"JPEG, PNG or PDF"``."""
    labels = [_LABELS.get(k, k.upper()) for k in kinds]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def check_upload(data: bytes, *, allowed: tuple[str, ...], field: str, max_bytes: int,
                 max_pixels: int = MAX_PIXELS, max_pages: int = MAX_PAGES) -> CheckedFile:
    """Parse an uploaded file and return what may be stored, or raise ``ValidationError``.

    ``allowed`` are type names of :data:`TYPES`; ``field`` names the input in
    messages.  Nothing is written.
    """
    if not data:
        raise ValidationError("the file is empty", field=field)
    if len(data) > max_bytes:
        raise ValidationError(f"the file has {len(data):,} bytes; at most {max_bytes:,} are "
                              "accepted", field=field)
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise ValidationError(f"the file is not one of the accepted types "
                              f"({type_names(allowed)}); its content was checked, not its name",
                              field=field)
    if kind == "pdf":
        return _check_pdf(data, field=field, max_pages=max_pages)
    return _check_image(data, kind, field=field, max_pixels=max_pixels)


# --- images -------------------------------------------------------------------------


def _check_image(data: bytes, kind: str, *, field: str, max_pixels: int) -> CheckedFile:
    label = _LABELS[kind]
    formats = [_PIL_FORMATS[kind]]
    image = _pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", image.DecompressionBombWarning)
            with image.open(io.BytesIO(data), formats=formats) as im:
                width, height = im.size
                _pixels_ok(width, height, max_pixels, field)
                im.verify()
            with image.open(io.BytesIO(data), formats=formats) as im:
                im.load()
                stored_kind, encoded = _reencode(im, kind)
    except ValidationError:
        raise
    except (image.DecompressionBombError, image.DecompressionBombWarning):
        limit = min(max_pixels, image.MAX_IMAGE_PIXELS or max_pixels)
        raise ValidationError(f"the image has more than {limit:,} pixels; send a smaller "
                              "photo or scan", field=field) from None
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise ValidationError(f"the file starts like a {label} image but cannot be read as one "
                              f"({_reason(exc)}); send the original photo or scan",
                              field=field) from None
    content_type, ext = TYPES[stored_kind]
    return CheckedFile(kind=stored_kind, content_type=content_type, extension=ext,
                       data=encoded, source_kind=kind, width=width, height=height)


def _pixels_ok(width: int, height: int, max_pixels: int, field: str) -> None:
    if width <= 0 or height <= 0:
        raise ValidationError("the image has no pixels", field=field)
    if width * height > max_pixels:
        raise ValidationError(f"the image claims {width:,}×{height:,} pixels; at most "
                              f"{max_pixels:,} pixels are accepted", field=field)


def _reencode(im: Image.Image, kind: str) -> tuple[str, bytes]:
    """Decode and save again: JPEG as JPEG, the rest as PNG, without metadata."""
    from PIL import ImageOps

    out = io.BytesIO()
    if kind == "jpeg":
        im = ImageOps.exif_transpose(im)
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        clean = im.copy()
        clean.info = {}
        clean.save(out, "JPEG", quality=90)
        return "jpeg", out.getvalue()
    if im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        im = im.convert("RGBA")
    clean = im.copy()
    keep = {k: v for k, v in im.info.items() if k == "transparency"}
    clean.info = keep
    clean.save(out, "PNG", **keep)
    return "png", out.getvalue()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__


# --- PDF ----------------------------------------------------------------------------

#: keys whose presence anywhere in a PDF refuses it, and why
_FORBIDDEN_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "an embedded file",
    "/EF": "an embedded file",
    "/XFA": "an XFA form (which can run scripts)",
    "/RichMediaContent": "rich media (Flash or video that can run code)",
}
#: action types (``/S``) that refuse a PDF
_FORBIDDEN_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that launches a program",
    "/ImportData": "an action that imports data",
    "/SubmitForm": "an action that sends form data away",
    "/GoToE": "a link into an embedded file",
    "/RichMediaExecute": "rich media commands",
}
#: annotation subtypes that refuse a PDF
_FORBIDDEN_SUBTYPES = {
    "/FileAttachment": "an embedded file (file attachment annotation)",
    "/RichMedia": "rich media (Flash or video that can run code)",
}
_EOF_TAIL = re.compile(rb"%%EOF[\x00\t\n\x0c\r ]*\Z")


def _check_pdf(data: bytes, *, field: str, max_pages: int) -> CheckedFile:
    from pypdf import PdfReader, PdfWriter

    def refuse(why: str) -> ValidationError:
        return ValidationError(f"the PDF {why}; send a plain scan or the bank's own PDF",
                               field=field)

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        pages = _inspect_pdf(reader, refuse, max_pages)
        exact = bool(_EOF_TAIL.search(data[-1024:]))
    except ValidationError:
        raise
    except Exception:  # not strictly valid: accept only what a lenient parse re-writes
        exact = False
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            pages = _inspect_pdf(reader, refuse, max_pages)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(f"the file starts like a PDF but cannot be read as one "
                                  f"({_reason(exc)}); send the original PDF or a photo",
                                  field=field) from None
    if exact:
        stored = data
    else:
        try:
            out = io.BytesIO()
            PdfWriter(clone_from=reader).write(out)
            stored = out.getvalue()
            pages = _inspect_pdf(PdfReader(io.BytesIO(stored), strict=True), refuse,
                                 max_pages)
        except ValidationError:
            raise
        except Exception as exc:
            raise ValidationError(f"the PDF is damaged and cannot be repaired "
                                  f"({_reason(exc)}); send the original PDF or a photo",
                                  field=field) from None
    content_type, ext = TYPES["pdf"]
    return CheckedFile(kind="pdf", content_type=content_type, extension=ext, data=stored,
                       source_kind="pdf", pages=pages)


def _inspect_pdf(reader, refuse, max_pages: int) -> int:
    """Walk every object reachable from the trailer; returns the page count."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if "/Encrypt" in reader.trailer:
        raise refuse("is encrypted (protected by a password)")
    pages = len(reader.pages)
    if pages < 1:
        raise refuse("has no pages")
    if pages > max_pages:
        raise refuse(f"has {pages} pages; at most {max_pages} are accepted")
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    walked = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise refuse(f"has more than {MAX_PDF_OBJECTS:,} objects")
        if isinstance(obj, DictionaryObject):
            for key in obj:
                if key in _FORBIDDEN_KEYS:
                    raise refuse(f"contains {_FORBIDDEN_KEYS[key]}")
            action = obj.get("/S")
            if isinstance(action, str) and action in _FORBIDDEN_ACTIONS:
                raise refuse(f"contains {_FORBIDDEN_ACTIONS[action]}")
            subtype = obj.get("/Subtype")
            if isinstance(subtype, str) and subtype in _FORBIDDEN_SUBTYPES:
                raise refuse(f"contains {_FORBIDDEN_SUBTYPES[subtype]}")
            stack.extend(v for k, v in obj.items() if k != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return pages


# --- storing and serving ------------------------------------------------------------


def write_private(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name``, mode 0600 in a folder created 0700.

    The bytes go to a temporary file that is renamed into place, so a crash
    never leaves a half-written file under its final name.  ``name`` must be
    generated by the caller (never a name the sender chose).
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / name
    tmp = folder / f".{name}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            from dyncrm.files import file_fault

            fault = file_fault(exc, target)
            if fault is not None:
                raise fault from exc
        raise
    return target


def download_headers(display_name: str, content_type: str) -> dict[str, str]:
    """HTTP headers for serving a stored upload: always a download, never sniffed.

    ``Content-Disposition: attachment`` keeps a browser from rendering the file
    inside the site (where an HTML or script payload could run), the content type
    is the one found by parsing, and ``X-Content-Type-Options: nosniff`` forbids
    the browser to guess another.  The file name gets the extension of the stored
    type and is reduced to safe ASCII, with the full name in RFC 5987 form.
    """
    extensions = {ct: ext for ct, ext in TYPES.values()}
    if content_type not in extensions:
        content_type = "application/octet-stream"
    base = re.split(r"[\\/]", display_name)[-1].strip()
    # the saved file gets the extension of what it is, not of what the sender called it
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    base = (stem.strip(" .") or "download") + extensions.get(content_type, ".bin")
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .") or "download"
    from urllib.parse import quote

    full = quote(base.strip() or ascii_name, safe="")
    return {
        "Content-Type": content_type,
        "Content-Disposition": f"attachment; filename=\"{ascii_name[:100]}\"; "
                               f"filename*=UTF-8''{full[:300]}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
