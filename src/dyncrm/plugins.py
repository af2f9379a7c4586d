"""The plugin manager: discovery by entry point, enabling by configuration.

Installed plugins, bundled or third-party alike, advertise themselves in the
entry-point group ``dyncrm``; the entry-point name is the plugin's name
(``expand.loans``).  A deployment's ``[plugins] enabled = [...]`` picks which
are loaded.  A plugin module may declare ``DYNCRM_REQUIRES = ("expand.savings",)``;
a missing requirement is an error naming both.

There is no module-global manager: :func:`get_plugin_manager` builds a fresh
one for each CRM, so tests never share plugin state.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import sys
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs
import pluggy

from dyncrm import hookspecs
from dyncrm.errors import PluginError

ENTRY_POINT_GROUP = "dyncrm"
TRACE_ENV = "DYNCRM_TRACE_PLUGINS"

#: Core modules that implement hooks themselves; always registered, never disabled.
DEFAULT_PLUGINS: tuple[str, ...] = ("dyncrm.default_hooks",)


def package_path(package: str, *parts: str) -> Path:
    """A folder or file shipped inside an installed package (templates, migrations).

    Found through ``importlib.resources``, so it works for editable and regular
    installs alike, e.g. ``package_path("dyncrm_expand", "migrations", "loans")``.
    """
    return Path(str(files(package).joinpath(*parts)))


def installed_plugins() -> dict[str, md.EntryPoint]:
    """Every plugin installed in the ``dyncrm`` entry-point group, by name."""
    return {ep.name: ep for ep in md.entry_points(group=ENTRY_POINT_GROUP)}


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name, hook_impls, kwargs):
        shown = {k: v for k, v in kwargs.items() if k != "crm"}
        names = ", ".join(i.plugin_name for i in hook_impls)
        print(f"[dyncrm] {hook_name}({shown}) -> [{names}]", file=sys.stderr)

    def after(outcome, hook_name, hook_impls, kwargs):
        try:
            result = outcome.get_result()
        except BaseException as exc:  # pragma: no cover - tracing only
            result = f"raised {exc!r}"
        print(f"[dyncrm] {hook_name} returned {result!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def get_plugin_manager(
    enabled: Iterable[str] = (),
    *,
    extra: Iterable[tuple[str, Any]] = (),
    trace: bool | None = None,
) -> pluggy.PluginManager:
    """Build a plugin manager with the core hooks and the ``enabled`` plugins.

    :param enabled: plugin names from the config, loaded from entry points.
    :param extra: ``(name, plugin)`` pairs registered directly (tests, embedding).
    :param trace: print every hook call to stderr; default from ``$DYNCRM_TRACE_PLUGINS``.
    :raises PluginError: an unknown name (listing the installed ones), a missing
        requirement, or a hook implementation that matches no spec.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    available = installed_plugins()
    for name in enabled:
        if pm.get_plugin(name) is not None:
            continue
        ep = available.get(name)
        if ep is None:
            known = ", ".join(sorted(available)) or "none"
            raise PluginError(f"is not installed; installed plugins: {known}", plugin=name)
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(f"cannot be imported: {exc}", plugin=name) from exc
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(str(exc), plugin=name) from exc
    for name, plugin in extra:
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(str(exc), plugin=name) from exc
    enabled_names = {name for name, _ in pm.list_name_plugin()}
    for name, plugin in pm.list_name_plugin():
        for required in getattr(plugin, "DYNCRM_REQUIRES", ()):
            if required not in enabled_names:
                raise PluginError(
                    f"requires plugin {required!r}; add it to [plugins] enabled", plugin=name
                )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from exc
    if trace if trace is not None else os.environ.get(TRACE_ENV):
        _trace(pm)
    return pm


@attrs.frozen
class PluginInfo:
    """One row of ``dyncrm plugins``."""

    name: str
    distribution: str | None
    version: str | None
    source: str  # builtin | entry point | registered
    enabled: bool
    module: str
    hooks: tuple[str, ...]


def _declared_hooks(ep: md.EntryPoint) -> tuple[str, ...]:
    """Hook implementations a not-enabled plugin declares (by importing it)."""
    try:
        plugin = ep.load()
    except Exception:
        return ()
    return tuple(sorted(
        name for name in dir(plugin)
        if name.startswith("dyncrm_") and hasattr(getattr(plugin, name), "dyncrm_impl")
    ))


def describe_plugins(pm: pluggy.PluginManager, *, include_builtin: bool = False,
                     include_installed: bool = True) -> list[PluginInfo]:
    """Describe the loaded plugins, and the installed but disabled ones."""
    rows: list[PluginInfo] = []
    installed = installed_plugins()
    seen = set()
    for name, plugin in pm.list_name_plugin():
        seen.add(name)
        builtin = name in DEFAULT_PLUGINS
        if builtin and not include_builtin:
            continue
        ep = installed.get(name)
        dist = ep.dist if ep is not None else None
        hooks = tuple(sorted(h.name for h in (pm.get_hookcallers(plugin) or [])))
        rows.append(PluginInfo(
            name=name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            source="builtin" if builtin else ("entry point" if ep else "registered"),
            enabled=True,
            module=getattr(plugin, "__name__", type(plugin).__name__),
            hooks=hooks,
        ))
    if include_installed:
        for name, ep in installed.items():
            if name in seen:
                continue
            rows.append(PluginInfo(
                name=name,
                distribution=ep.dist.name if ep.dist else None,
                version=ep.dist.version if ep.dist else None,
                source="entry point",
                enabled=False,
                module=ep.value,
                hooks=_declared_hooks(ep),
            ))
    return sorted(rows, key=lambda r: (not r.enabled, r.name))
