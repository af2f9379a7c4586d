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

import contextlib
import difflib
import functools
import importlib
import importlib.metadata as md
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
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
DEFAULT_PLUGINS: tuple[str, ...] = ("dyncrm.default_hooks", "dyncrm.backup.hooks",
                                     "dyncrm.periods_hooks", "dyncrm.books.hooks")


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


def _hook_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in dir(hookspecs) if n.startswith("dyncrm_")))


def unknown_hooks(pm: pluggy.PluginManager, plugin: Any) -> list[str]:
    """Hook implementations of ``plugin`` that match no hookspec, as sentences.

    Each names the function and, where one is close enough, the hook it was
    probably meant to be (``difflib``): ``dyncrm_member_stage_chaged is not a
    dyncrm hook; did you mean dyncrm_member_stage_changed?``.
    """
    problems = []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.has_spec():
            continue
        if all(i.optionalhook for i in caller.get_hookimpls() if i.plugin is plugin):
            continue
        close = difflib.get_close_matches(caller.name, _hook_names(), n=1, cutoff=0.6)
        hint = (f"did you mean {close[0]}?" if close
                else "'dyncrm hooks' lists the hook names")
        problems.append(f"unknown hook {caller.name} ({hint})")
    return problems


def undecorated_functions(plugin: Any) -> list[str]:
    """Names of ``dyncrm_*`` callables of ``plugin`` that lack ``@hookimpl``.

    Pluggy ignores them silently, so a forgotten decorator would look like a
    hook that is never called.
    """
    names = []
    for name in dir(plugin):
        if not name.startswith("dyncrm_"):
            continue
        value = getattr(plugin, name, None)
        if callable(value) and not isinstance(value, type) and \
                getattr(value, "dyncrm_impl", None) is None:
            names.append(name)
    return names


def _warn_undecorated(name: str, plugin: Any) -> None:
    """One stderr warning per forgotten ``@hookimpl`` (once per process and function)."""
    for fn_name in undecorated_functions(plugin):
        fn = getattr(plugin, fn_name)
        target = getattr(fn, "__func__", fn)
        if getattr(target, "_dyncrm_warned", False):
            continue
        with contextlib.suppress(AttributeError, TypeError):
            target._dyncrm_warned = True
        where = "a dyncrm hook" if fn_name in _hook_names() else "no dyncrm hook either"
        print(f"warning: plugin {name!r}: {fn_name} is not decorated with @hookimpl, so "
              f"dyncrm never calls it ({where}); add 'from dyncrm import hookimpl' and "
              f"'@hookimpl' above it, or rename it so it does not start with 'dyncrm_'",
              file=sys.stderr)


#: Outer types a hook's return annotation allows (``None`` is always allowed).
_RETURN_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "dict": ("a dict", lambda v: isinstance(v, Mapping)),
    "list": ("a list", lambda v: isinstance(v, Iterable)
             and not isinstance(v, str | bytes | Mapping)),
    "tuple": ("a tuple", lambda v: isinstance(v, tuple | list)),
    "frozenset": ("a set", lambda v: isinstance(v, AbstractSet)),
}


def _return_check(hook_name: str) -> tuple[str, Callable[[Any], bool]] | None:
    """What a hook must return, from its spec's annotation (``None`` if anything goes)."""
    spec = getattr(hookspecs, hook_name, None)
    annotation = getattr(spec, "__annotations__", {}).get("return")
    if not isinstance(annotation, str):
        return None
    heads = {part.strip().split("[", 1)[0] for part in annotation.split("|")} - {"None"}
    if len(heads) != 1:
        return None
    head = heads.pop()
    if head == "Money":
        from dyncrm.money import Money

        return "a Money", lambda v: isinstance(v, Money)
    if head == "tuple" and annotation.startswith("tuple[") and "..." not in annotation:
        arity = annotation.split("|")[0].count(",") + 1
        return (f"a tuple of {arity}",
                lambda v: isinstance(v, tuple | list) and len(v) == arity)
    return _RETURN_KINDS.get(head)


def _checked(impl: Any, hook_name: str, expected: str, ok: Callable[[Any], bool]) -> Any:
    function = impl.function

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if result is not None and not ok(result):
            shown = repr(result)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise PluginError(f"returned {type(result).__name__} {shown}; this hook must "
                              f"return {expected} or None (see 'dyncrm hooks')",
                              plugin=impl.plugin_name, hook=hook_name)
        return result

    return checked


def _check_returns(pm: pluggy.PluginManager, plugin: Any) -> None:
    """Make each of ``plugin``'s hook implementations check what it returns.

    A wrong type then fails at the hook, naming the plugin and the hook
    (:class:`PluginError`, exit 3), not later inside the core.
    """
    for caller in pm.get_hookcallers(plugin) or []:
        check = _return_check(caller.name)
        if check is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                impl.function = _checked(impl, caller.name, *check)  # type: ignore[misc]


def _register(pm: pluggy.PluginManager, name: str, plugin: Any) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc), plugin=name) from exc
    problems = unknown_hooks(pm, plugin)
    if problems:
        pm.unregister(plugin)
        raise PluginError("; ".join(problems), plugin=name)
    _warn_undecorated(name, plugin)
    _check_returns(pm, plugin)


def batch_callers(pm: pluggy.PluginManager, each: str, batch: str) -> tuple[Any, Any]:
    """The hook callers of batch work that announces many items of one kind.

    ``each`` is the per-item hook (``dyncrm_touchpoint_recorded``), ``batch`` its
    set-based twin (``dyncrm_touchpoints_recorded``).  Returns ``(per item, batch)``:
    the caller of ``each`` on the plugins that do not implement ``batch`` — call it
    once per item — and the caller of ``batch`` — call it once with the items; either
    is ``None`` when no plugin would be called.  A plugin implementing both gets the
    items only through ``batch``; one implementing only ``each`` still gets every
    item (as :meth:`dyncrm.ledger.Ledger.post_many` treats
    ``dyncrm_transaction_posted``).
    """
    batched = {impl.plugin for impl in getattr(pm.hook, batch).get_hookimpls()}
    others = [impl for impl in getattr(pm.hook, each).get_hookimpls()
              if impl.plugin not in batched]
    if not others:
        per_item = None
    elif not batched:
        per_item = getattr(pm.hook, each)
    else:
        per_item = pm.subset_hook_caller(each, remove_plugins=list(batched))
    return per_item, (getattr(pm.hook, batch) if batched else None)


def batch_only_caller(pm: pluggy.PluginManager, each: str, batch: str) -> Any:
    """For work that announces one item through ``each``: the caller of ``batch`` on
    the plugins that implement only ``batch`` (they get the item as a list of one),
    ``None`` when there are none.  See :func:`batch_callers`."""
    batched = getattr(pm.hook, batch).get_hookimpls()
    if not batched:
        return None
    both = {impl.plugin for impl in getattr(pm.hook, each).get_hookimpls()}
    if not any(impl.plugin not in both for impl in batched):
        return None
    return pm.subset_hook_caller(batch, remove_plugins=list(both))


def get_plugin_manager(
    enabled: Iterable[str] = (),
    *,
    extra: Iterable[tuple[str, Any]] = (),
    trace: bool | None = None,
    broken: dict[str, PluginError] | None = None,
) -> pluggy.PluginManager:
    """Build a plugin manager with the core hooks and the ``enabled`` plugins.

    :param enabled: plugin names from the config, loaded from entry points.
    :param extra: ``(name, plugin)`` pairs registered directly (tests, embedding).
    :param trace: print every hook call to stderr; default from ``$DYNCRM_TRACE_PLUGINS``.
    :param broken: when given, a plugin that cannot be loaded is left out and its
        error recorded here by name, instead of raised (``dyncrm plugins`` and
        ``--help`` use this to keep working and show what is wrong).
    :raises PluginError: an unknown name (listing the installed ones), a missing
        requirement, or a hook implementation that matches no spec (naming the
        plugin and the nearest hook name).

    A ``dyncrm_*`` function without ``@hookimpl`` is warned about on stderr.
    Every hook implementation checks the type it returns against its spec.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    available = installed_plugins()

    def fail(error: PluginError) -> None:
        if broken is None:
            raise error
        broken[error.plugin or "?"] = error

    def load(name: str) -> Any:
        ep = available.get(name)
        if ep is None:
            known = ", ".join(sorted(available)) or "none"
            raise PluginError(f"is not installed; installed plugins: {known}", plugin=name)
        try:
            return ep.load()
        except Exception as exc:
            raise PluginError(f"cannot be imported: {exc}", plugin=name) from exc

    candidates = [(name, None) for name in enabled] + list(extra)
    for name, plugin in candidates:
        if pm.get_plugin(name) is not None:
            continue
        try:
            _register(pm, name, load(name) if plugin is None else plugin)
        except PluginError as exc:
            fail(exc)
    changed = True
    while changed:  # a plugin whose requirement is missing (or broken) is itself broken
        changed = False
        enabled_names = {name for name, _ in pm.list_name_plugin()}
        for name, plugin in pm.list_name_plugin():
            missing = [r for r in getattr(plugin, "DYNCRM_REQUIRES", ())
                       if r not in enabled_names]
            if missing:
                why = (f" (it is broken: {broken[missing[0]]})"
                       if broken is not None and missing[0] in broken else
                       "; add it to [plugins] enabled")
                error = PluginError(f"requires plugin {missing[0]!r}{why}", plugin=name)
                fail(error)
                pm.unregister(plugin)
                changed = True
                break
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:  # pragma: no cover - _register checks first
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
    problem: str | None = None  #: why an enabled plugin could not be loaded


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
                     include_installed: bool = True,
                     broken: dict[str, PluginError] | None = None) -> list[PluginInfo]:
    """Describe the loaded plugins, the broken ones and the installed but disabled ones.

    ``broken`` is what :func:`get_plugin_manager` recorded: those plugins are
    listed as enabled, with the reason they could not be loaded as ``problem``.
    """
    rows: list[PluginInfo] = []
    installed = installed_plugins()
    seen = set()
    for name, error in (broken or {}).items():
        seen.add(name)
        ep = installed.get(name)
        dist = ep.dist if ep is not None else None
        rows.append(PluginInfo(
            name=name, distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            source="entry point" if ep else "registered", enabled=True,
            module=ep.value if ep else "", hooks=(),
            problem=str(error).removeprefix(f"plugin {name!r}: ")))
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
