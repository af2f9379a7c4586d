"""Koperasi XYZ: the example deployment of dyncrm for an employee cooperative.

Koperasi Karyawan XYZ (Jakarta) runs the bundled acquire, retain and expand
plugins plus four of its own, each registered as an entry point:

- ``koperasi_xyz.shu`` — year-end surplus (SHU) by the AD/ART percentages,
  approved after the RAT, posted once (:mod:`koperasi_xyz.shu`);
- ``koperasi_xyz.reminders`` — Indonesian reminder texts and the due items the
  generic plugins do not supply (:mod:`koperasi_xyz.reminders`);
- ``koperasi_xyz.payroll`` — the monthly payroll deduction list (daftar potongan
  gaji) and the import of what payroll actually deducted (:mod:`koperasi_xyz.payroll`);
- ``koperasi_xyz.reports`` — the reports (laporan) as terminal tables, CSV and
  printable PDF (:mod:`koperasi_xyz.reports`).

Its ``dyncrm.toml`` is the deployment's configuration; ``templates/`` holds the
Indonesian texts that override the generic English templates by name.
"""

from __future__ import annotations

from pathlib import Path

from dyncrm import plugins


def package_path(*parts: str) -> Path:
    """A path inside the installed ``koperasi_xyz`` package."""
    return plugins.package_path("koperasi_xyz", *parts)


def templates_dir() -> Path:
    """The folder of the deployment's Indonesian templates."""
    return package_path("templates")


def config_path() -> Path:
    """The deployment's ``dyncrm.toml`` as shipped in the package."""
    return package_path("dyncrm.toml")
