"""Say a plugin's set-up once: :class:`PluginSpec` provides the set-up hooks.

Every plugin repeats the same few set-up hooks: its settings class
(``dyncrm_config_schema``), its migrations folder (``dyncrm_migrations``), its
tables (``dyncrm_register_models``), its templates (``dyncrm_template_dirs``),
its permissions (``dyncrm_permissions``) and its commands
(``dyncrm_register_commands``).  A :class:`PluginSpec` declares them as data::

    spec = PluginSpec("visits", settings=VisitsSettings, models="dyncrm_visits.models:MODELS",
                      migrations="migrations", templates="templates",
                      commands="dyncrm_visits.cli:visits_group", permissions=[...])
    spec.export(globals())

:meth:`PluginSpec.export` writes ordinary ``@hookimpl`` functions into the
module (only those the spec has something for), so pluggy registers them like
any hand-written hook and ``dyncrm plugins`` lists them.  Every other hook is
still written as a plain ``@hookimpl`` function in the same module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from dyncrm.hookspecs import hookimpl

__all__ = ["PluginSpec"]


def _load(ref: str) -> Any:
    """The object named by ``"package.module:attribute"`` (imported on first use)."""
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def _value(thing: Any) -> Any:
    """``thing``, or what it names when it is a ``"module:attribute"`` string."""
    return _load(thing) if isinstance(thing, str) else thing


@attrs.define
class PluginSpec:
    """A plugin's set-up, declared once; :meth:`export` turns it into hook implementations.

    :param name: the plugin's name, as its entry point (``"visits"``, ``"retain.faq"``).
    :param settings: the frozen attrs class parsing ``[plugins."NAME"]``
        (becomes ``dyncrm_config_schema``; read it with ``crm.plugin_config(NAME)``).
    :param models: the plugin's peewee model classes, or ``"module:ATTRIBUTE"``
        naming such a list, imported on first use (``dyncrm_register_models``).
    :param migrations: the migrations folder, relative to the plugin's package
        (``"migrations"``, ``"migrations/faq"``) or an absolute :class:`~pathlib.Path`
        (``dyncrm_migrations``).
    :param templates: a template folder (or several), relative to the package or
        absolute (``dyncrm_template_dirs``).
    :param templates_first: search these folders before every other plugin's
        (``@hookimpl(tryfirst=True)``), whatever the order of ``enabled``: for a
        deployment package whose templates override the generic plugins' by name.
    :param commands: what to add to the ``dyncrm`` command line: a click command or
        group, a function ``register(cli)``, or ``"module:ATTRIBUTE"`` naming either,
        imported only when the command line is built (``dyncrm_register_commands``).
    :param permissions: :class:`~dyncrm.values.Permission` values (``dyncrm_permissions``).
    :param web: ``"module:function"`` naming the plugin's ``dyncrm_web(crm)``, imported
        only when the portal starts, so the command line never loads Flask
        (``dyncrm_web``).
    :param requires: names of plugins this one needs (becomes ``DYNCRM_REQUIRES``).
    :param package: the package relative folders are found in; by default the
        package of the module :meth:`export` is called in.
    """

    name: str
    settings: type | None = None
    models: Sequence[type] | str | None = None
    migrations: str | Path | None = None
    templates: str | Path | Sequence[str | Path] | None = None
    templates_first: bool = False
    commands: Any = None
    permissions: Sequence[Any] = ()
    web: str | None = None
    requires: Sequence[str] = ()
    package: str | None = None

    def folder(self, relative: str | Path) -> Path:
        """A folder shipped in the plugin's package (absolute paths are returned as they are)."""
        if isinstance(relative, Path) and relative.is_absolute():
            return relative
        if self.package is None:
            raise ValueError(f"PluginSpec {self.name!r}: no package to find {relative!r} in; "
                             "call spec.export(globals()) or pass package=__name__")
        from dyncrm.plugins import package_path

        return package_path(self.package, *Path(relative).parts)

    def hooks(self) -> dict[str, Callable[..., Any]]:
        """The ``@hookimpl`` functions this spec provides, by hook name.

        Only hooks the spec has something for are included.
        """
        found: dict[str, Callable[..., Any]] = {}
        if self.settings is not None:
            found["dyncrm_config_schema"] = self._config_schema()
        if self.migrations is not None:
            found["dyncrm_migrations"] = self._migrations()
        if self.models is not None:
            found["dyncrm_register_models"] = self._models()
        if self.templates is not None:
            found["dyncrm_template_dirs"] = self._templates()
        if self.permissions:
            found["dyncrm_permissions"] = self._permissions()
        if self.commands is not None:
            found["dyncrm_register_commands"] = self._commands()
        if self.web is not None:
            found["dyncrm_web"] = self._web()
        return found

    def export(self, namespace: MutableMapping[str, Any]) -> None:
        """Write the hook implementations into a module's namespace: ``spec.export(globals())``.

        Also sets ``DYNCRM_REQUIRES`` from ``requires`` and, unless given, takes the
        package for relative folders from the module (``__package__``).  A hook the
        module already defines by hand is an error: say it in one place.
        """
        if self.package is None:
            self.package = namespace.get("__package__") or namespace.get("__name__")
        hooks = self.hooks()
        clash = sorted(set(hooks) & set(namespace))
        if clash:
            raise ValueError(f"PluginSpec {self.name!r}: the module already defines "
                             f"{', '.join(clash)}; leave it to the spec or drop it from the spec")
        namespace.update(hooks)
        if self.requires:
            namespace["DYNCRM_REQUIRES"] = tuple(self.requires)

    # --- the hook implementations -------------------------------------------------

    def _config_schema(self) -> Callable[[], dict[str, type]]:
        settings, name = self.settings, self.name

        @hookimpl
        def dyncrm_config_schema() -> dict[str, type]:
            """The plugin's settings class, for its config section."""
            return {name: settings}  # type: ignore[dict-item]

        return dyncrm_config_schema

    def _migrations(self) -> Callable[[], tuple[str, Path]]:
        spec = self

        @hookimpl
        def dyncrm_migrations() -> tuple[str, Path]:
            """The plugin's migrations folder."""
            return (spec.name, spec.folder(spec.migrations))  # type: ignore[arg-type]

        return dyncrm_migrations

    def _models(self) -> Callable[[], list[type]]:
        models = self.models

        @hookimpl
        def dyncrm_register_models() -> list[type]:
            """The plugin's tables."""
            return list(_value(models))

        return dyncrm_register_models

    def _templates(self) -> Callable[[], list[Path]]:
        spec = self
        templates = self.templates
        folders: Iterable[str | Path] = (
            [templates] if isinstance(templates, str | Path) else list(templates or ()))

        @hookimpl(tryfirst=self.templates_first)
        def dyncrm_template_dirs() -> list[Path]:
            """The plugin's template folders."""
            return [spec.folder(f) for f in folders]

        return dyncrm_template_dirs

    def _permissions(self) -> Callable[[], list[Any]]:
        permissions = list(self.permissions)

        @hookimpl
        def dyncrm_permissions() -> list[Any]:
            """The permissions the plugin's actions check."""
            return list(permissions)

        return dyncrm_permissions

    def _commands(self) -> Callable[[Any], None]:
        commands = self.commands

        @hookimpl
        def dyncrm_register_commands(cli: Any) -> None:
            """Add the plugin's commands to the ``dyncrm`` command line."""
            import click

            found = _value(commands)
            if isinstance(found, click.Command):
                cli.add_command(found)
            else:
                found(cli)

        return dyncrm_register_commands

    def _web(self) -> Callable[[Any], Any]:
        reference = self.web

        @hookimpl
        def dyncrm_web(crm: Any) -> Any:
            """The plugin's pages in the portal (its web module, imported now)."""
            return _load(reference)(crm)  # type: ignore[arg-type]

        return dyncrm_web
