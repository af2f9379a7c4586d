"""``dyncrm plugin new NAME``: start a plugin package (works without a deployment)."""

from __future__ import annotations

from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli import cli, examples, json_option


@cli.group("plugin")
def plugin_group() -> None:
    """Write plugins: generate a new plugin package to start from."""


@examples("dyncrm plugin new berjangka --dir dyncrm-berjangka")
@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the project into (default: ./dyncrm-NAME).")
@click.option("--force", is_flag=True,
              help="Write into an existing folder, replacing files of the same names.")
@json_option
def new_cmd(name: str, folder: Path | None, force: bool, as_json: bool) -> None:
    """Generate an installable plugin NAME: entry point, settings, a table and its
    migration, a template, a command and passing tests (a lower-case identifier)."""
    from dyncrm.scaffold import check_name, new_plugin

    check_name(name)
    root = folder or Path(f"dyncrm-{name}")
    written = new_plugin(name, root, force=force)
    if as_json:
        output.emit({"name": name, "folder": str(root), "files": [str(p) for p in written]},
                    message=f"wrote plugin {name!r} ({len(written)} files) in {root}",
                    replayed=False)
        return
    click.echo(f"wrote plugin {name!r} ({len(written)} files) in {root}")
    click.echo(f"next: cd {root} && pip install -e '.[test]' && pytest")
    click.echo(f'then enable it in dyncrm.toml: [plugins] enabled = ["{name}"], '
               "and run 'dyncrm db upgrade'")
