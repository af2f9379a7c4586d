"""Make a plugin folder an installed distribution, without pip.

:func:`write_distribution` copies a package next to a hand-written
``<name>-<version>.dist-info/`` (``METADATA`` + ``entry_points.txt``) in a
directory; :func:`on_sys_path` puts that directory first on ``sys.path`` for a
while.  :mod:`importlib.metadata` then finds the distribution and its
``dyncrm`` entry points exactly as it finds one installed by pip into
site-packages, so the core discovers the plugin the way it discovers any other.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

#: The example third-party plugin (tests/plugins/dyncrm_visits).
VISITS_PACKAGE = Path(__file__).resolve().parent / "plugins" / "dyncrm_visits"
VISITS_DISTRIBUTION = "dyncrm-visits"
VISITS_VERSION = "0.1"
VISITS_ENTRY_POINTS = {"dyncrm": {"visits": "dyncrm_visits",
                                  "visits.reports": "dyncrm_visits.reports"}}


def write_distribution(site: Path, package: Path, *, name: str, version: str,
                       entry_points: Mapping[str, Mapping[str, str]],
                       summary: str = "") -> Path:
    """Copy ``package`` into ``site`` with a ``.dist-info`` folder declaring it.

    Returns the ``.dist-info`` path.
    """
    site.mkdir(parents=True, exist_ok=True)
    shutil.copytree(package, site / package.name, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\n"
        f"Name: {name}\n"
        f"Version: {version}\n"
        f"Summary: {summary or name}\n"
        "Requires-Dist: dyncrm\n",
        encoding="utf-8",
    )
    lines = []
    for group, points in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{ep_name} = {target}" for ep_name, target in points.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    (info / "top_level.txt").write_text(package.name + "\n", encoding="utf-8")
    (info / "INSTALLER").write_text("dyncrm-tests\n", encoding="utf-8")
    return info


@contextlib.contextmanager
def on_sys_path(site: Path, *packages: str) -> Iterator[Path]:
    """Put ``site`` first on ``sys.path``; afterwards remove it and forget ``packages``
    (their modules are dropped from ``sys.modules``) so later tests cannot see them."""
    entry = str(site)
    sys.path.insert(0, entry)
    importlib.invalidate_caches()
    try:
        yield site
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
        for mod in [m for m in sys.modules
                    if any(m == p or m.startswith(p + ".") for p in packages)]:
            del sys.modules[mod]
        importlib.invalidate_caches()
