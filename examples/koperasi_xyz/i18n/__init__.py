"""Koperasi XYZ's Indonesian texts of the web portal, one module per part of the portal.

Each module holds ``MESSAGES``: English sentences as the portal and the plugins' pages
write them (``_("...")`` in templates, menu and card titles), mapped to Indonesian.
:mod:`koperasi_xyz.translations` merges every module of this package into the catalogue.
"""

from __future__ import annotations

import importlib
import pkgutil


def web_messages() -> dict[str, str]:
    """Every ``MESSAGES`` of this package's modules, merged."""
    merged: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        merged.update(importlib.import_module(f"{__name__}.{info.name}").MESSAGES)
    return merged
