"""Banner images of promotions: parsed, stored re-encoded outside any web root.

A banner is accepted only when it *parses* as a JPEG, PNG or WebP image (its
first bytes choose the decoder, whatever its file name says; see
:mod:`dyncrm.uploads` for the pixel limits and the re-encoding that drops
anything riding along).  What is stored is the re-encoded image (JPEG as JPEG,
the rest as PNG) under a generated name in ``<data_dir>/promotions`` (folder
0700, file 0600); the promotion row records that name and the image's size.
Nothing is written when the file is refused.

A banner is shown only to those who may see its promotion: staff holding
``promotions.manage`` and members (or applicants) the running promotion is
addressed to (:func:`dyncrm_acquire.promotion.promotions.active_for`).
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm import uploads
from dyncrm.errors import NotFoundError
from dyncrm.values import Actor
from dyncrm_acquire.promotion.promotions import _row, active_for

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: the image types accepted as banners (checked by content)
ALLOWED = ("jpeg", "png", "webp")
#: the largest banner accepted, in bytes
MAX_BYTES = 5_000_000
#: the largest banner accepted, in pixels (width × height)
MAX_PIXELS = 12_000_000
#: the form field (and error field) of the banner
FIELD = "banner"


@attrs.frozen
class Banner:
    """A promotion's stored banner: where it is and what it is."""

    promotion: int
    file: str
    content_type: str
    width: int | None
    height: int | None
    replayed: bool = False


@attrs.frozen
class ServedBanner:
    """What to send for a banner: the stored file and its (re-encoded) content type."""

    path: Path
    content_type: str
    width: int | None
    height: int | None


def banners_dir(crm: CRM) -> Path:
    """Where banners are kept: ``<data_dir>/promotions`` (never a static folder)."""
    return Path(crm.config.data_dir) / "promotions"


def content_type(file: str) -> str:
    """The content type of a stored banner, from the extension its name was given."""
    for kind in ("jpeg", "png"):
        ctype, ext = uploads.TYPES[kind]
        if file.endswith(ext):
            return ctype
    return "application/octet-stream"


def check(data: bytes) -> uploads.CheckedFile:
    """Parse ``data`` as a banner image; what may be stored, else ``ValidationError``.

    Nothing is written.
    """
    return uploads.check_upload(bytes(data or b""), allowed=ALLOWED, field=FIELD,
                                max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)


def store(crm: CRM, checked: uploads.CheckedFile) -> str:
    """Write a checked banner under a new generated name; returns that name.

    The caller records the name in its transaction, and calls :func:`discard`
    when that transaction does not commit.
    """
    name = f"{uuid.uuid4().hex}{checked.extension}"
    uploads.write_private(banners_dir(crm), name, checked.data)
    return name


def discard(crm: CRM, file: str | None) -> None:
    """Remove a stored banner file (one replaced, removed or never committed)."""
    if file:
        with contextlib.suppress(OSError):
            (banners_dir(crm) / file).unlink()


def _banner(row, *, replayed: bool = False) -> Banner | None:
    if not row.banner:
        return None
    return Banner(promotion=row.id, file=row.banner, content_type=content_type(row.banner),
                  width=row.banner_width, height=row.banner_height, replayed=replayed)


def set_banner(crm: CRM, actor: Actor, promotion_id: int | str, data: bytes, *,
               key: str | None = None) -> Banner:
    """Attach (or replace) the banner image of a promotion; needs ``promotions.manage``.

    ``data`` must parse as a JPEG, PNG or WebP image of at most :data:`MAX_BYTES`
    bytes and :data:`MAX_PIXELS` pixels, else ``ValidationError`` (field
    ``banner``) and nothing is written.  The re-encoded image is stored under a
    new generated name; a replaced banner's file is removed once the change is
    committed.  ``key`` makes the call idempotent: the same key again replays
    (returns the banner as it is, ``replayed=True``) without writing.
    """
    crm.require(actor, "promotions.manage")
    _row(promotion_id)  # NotFoundError before the file is even parsed
    checked = check(data)
    name = store(crm, checked)
    old = None
    try:
        with crm.action("acquire.promotion_banner", actor, key=key,
                        permission="promotions.manage") as act:
            row = _row(promotion_id)
            if act.replayed:
                discard(crm, name)
                found = _banner(row, replayed=True)
                if found is None:  # removed since: say what was set then
                    raise NotFoundError("banner of promotion", row.id)
                return found
            old = row.banner
            row.banner, row.banner_width, row.banner_height = (name, checked.width,
                                                               checked.height)
            row.save()
            act.done(promotion=row.id, file=name)
    except BaseException:
        discard(crm, name)
        raise
    if old != name:
        discard(crm, old)
    return _banner(row)  # type: ignore[return-value]


def remove_banner(crm: CRM, actor: Actor, promotion_id: int | str) -> bool:
    """Take the banner off a promotion; ``False`` when it had none (nothing changes).

    Needs ``promotions.manage``.  The file is removed once the change is committed.
    """
    with crm.action("acquire.promotion_banner_remove", actor,
                    permission="promotions.manage"):
        row = _row(promotion_id)
        old = row.banner
        if not old:
            return False
        row.banner = row.banner_width = row.banner_height = None
        row.save()
    discard(crm, old)
    return True


def may_see(crm: CRM, actor: Actor | None, promotion_id: int | str) -> bool:
    """Whether ``actor`` may see the promotion (and so its banner).

    Staff with ``promotions.manage`` see every promotion; a member or applicant
    sees a running promotion addressed to them.
    """
    if actor is None:
        return False
    row = _row(promotion_id)
    if crm.users.can(actor, "promotions.manage"):
        return True
    if actor.member_id is None:
        return False
    return any(p.id == row.id for p in active_for(crm, actor.member_id))


def read_banner(crm: CRM, actor: Actor | None, promotion_id: int | str) -> ServedBanner:
    """The stored banner of a promotion for someone who may see it.

    Raises ``NotFoundError`` when the promotion has no banner, when the
    promotion is not addressed to the member, or when its file is gone, so
    nobody learns which promotions exist for others.
    """
    row = _row(promotion_id)
    if not row.banner or not may_see(crm, actor, row.id):
        raise NotFoundError("banner of promotion", promotion_id)
    path = banners_dir(crm) / row.banner
    if not path.is_file():
        raise NotFoundError("banner of promotion", promotion_id)
    return ServedBanner(path=path, content_type=content_type(row.banner),
                        width=row.banner_width, height=row.banner_height)
