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

from ..laporan import SUMMARY_SUFFIX, Laporan, write_csv, write_pdf, write_summary_csv

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor

#: file formats a report is written in, with their media types: the printable PDF, the
#: data rows as CSV and the summary (ringkasan) as a CSV of its own
FORMATS = {"pdf": "application/pdf", "csv": "text/csv", "ringkasan": "text/csv"}


def run(crm: CRM, actor: Actor, builder: ReportBuilder, given: dict[str, Any]) -> Laporan:
    """Build ``builder``'s report for ``actor`` with the options ``given`` (dates filled in).

    :raises PermissionDenied: when ``actor`` lacks the builder's permission.
    :raises ValidationError: when the builder refuses the options.
    """
    crm.require(actor, builder.permission)
    options = ReportOptions.on(crm.today(), **given)
    return build(crm, builder, options)


def write(crm: CRM, lap: Laporan, fmt: str, path: str | Path) -> Path:
    """Write ``lap`` as ``fmt`` (``pdf``, ``csv`` or ``ringkasan``) to ``path``."""
    if fmt == "pdf":
        return write_pdf(crm, lap, path)
    if fmt == "csv":
        return write_csv(lap, path)
    if fmt == "ringkasan":
        return write_summary_csv(lap, path)
    raise ValueError(f"unknown report format {fmt!r}")


def file_name(lap: Laporan, fmt: str) -> str:
    """The file name of a report in ``fmt``: ``laporan-NAME.pdf``, ``laporan-NAME.csv``,
    ``laporan-NAME-ringkasan.csv``."""
    if fmt == "ringkasan":
        return f"laporan-{lap.name}{SUMMARY_SUFFIX}.csv"
    return f"laporan-{lap.name}.{fmt}"


def file_bytes(crm: CRM, lap: Laporan, fmt: str) -> tuple[bytes, str]:
    """The report file as bytes and its download name (:func:`file_name`)."""
    name = file_name(lap, fmt)
    with tempfile.TemporaryDirectory(prefix="dyncrm-laporan-") as folder:
        path = write(crm, lap, fmt, Path(folder) / name)
        return path.read_bytes(), name
