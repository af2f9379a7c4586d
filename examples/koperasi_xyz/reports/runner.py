"""Running one report for a person: the permission check, the dates, the build, the files.

``dyncrm laporan NAME`` and the portal's report page both call :func:`run` and
:func:`file_bytes`, so a report downloaded from the portal is the same file the
command line writes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dyncrm.reports import ReportBuilder, ReportOptions, build

from ..laporan import Laporan, write_csv, write_pdf

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor

#: file formats a report is written in, with their media types
FORMATS = {"pdf": "application/pdf", "csv": "text/csv"}


def run(crm: CRM, actor: Actor, builder: ReportBuilder, given: dict[str, Any]) -> Laporan:
    """Build ``builder``'s report for ``actor`` with the options ``given`` (dates filled in).

    :raises PermissionDenied: when ``actor`` lacks the builder's permission.
    :raises ValidationError: when the builder refuses the options.
    """
    crm.require(actor, builder.permission)
    options = ReportOptions.on(crm.today(), **given)
    return build(crm, builder, options)


def write(crm: CRM, lap: Laporan, fmt: str, path: str | Path) -> Path:
    """Write ``lap`` as ``fmt`` (``pdf`` or ``csv``) to ``path``."""
    if fmt == "pdf":
        return write_pdf(crm, lap, path)
    if fmt == "csv":
        return write_csv(lap, path)
    raise ValueError(f"unknown report format {fmt!r}")


def file_bytes(crm: CRM, lap: Laporan, fmt: str) -> tuple[bytes, str]:
    """The report file as bytes and its download name (``laporan-NAME.pdf``)."""
    name = f"laporan-{lap.name}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="dyncrm-laporan-") as folder:
        path = write(crm, lap, fmt, Path(folder) / name)
        return path.read_bytes(), name
