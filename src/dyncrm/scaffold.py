"""``dyncrm plugin new NAME``: the files of a new, installable plugin package.

:func:`new_plugin` writes a small but complete plugin into a folder: a
``pyproject.toml`` with the ``dyncrm`` entry point, the package ``dyncrm_NAME``
declaring its set-up as one :class:`~dyncrm.plugin_spec.PluginSpec` (a settings
class, a table with migration ``0001``, a message template, permissions and a
command group) and tests written with :mod:`dyncrm.testing` that pass as
generated.  The author then edits it into their plugin.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

from dyncrm.errors import ValidationError
from dyncrm.files import ensure_folder, write_atomic

__all__ = ["check_name", "new_plugin", "plugin_files"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def check_name(name: str) -> str:
    """``name`` if it can name a plugin (a lower-case Python identifier), else a ValidationError."""
    if not _NAME.fullmatch(name or "") or keyword.iskeyword(name) or len(name) > 40:
        raise ValidationError(
            f"{name!r} cannot name a plugin: use a lower-case Python identifier of at most "
            "40 characters (letters, digits and '_', starting with a letter), e.g. 'berjangka'",
            field="name")
    return name


def plugin_files(name: str) -> dict[str, str]:
    """The files of plugin ``name``, by path relative to the project folder."""
    check_name(name)
    values = {"name": name, "package": f"dyncrm_{name}", "dist": f"dyncrm-{name}",
              "title": name.replace("_", " ").capitalize(),
              "Class": "".join(p.capitalize() for p in name.split("_"))}
    return {Template(path).substitute(values): Template(text).substitute(values)
            for path, text in _FILES.items()}


def new_plugin(name: str, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write plugin ``name``'s project into ``folder``; the paths written.

    :raises ValidationError: a bad name, or ``folder`` exists (and is not empty)
        without ``force``.
    """
    files = plugin_files(name)
    root = Path(folder)
    if root.exists() and not force and (not root.is_dir() or any(root.iterdir())):
        raise ValidationError(f"{root} already exists; choose another --dir, or pass --force "
                              "to write over the files of the same names", field="dir")
    written = []
    for relative, text in files.items():
        path = root / relative
        ensure_folder(path.parent, mode=0o755)
        written.append(write_atomic(path, text, private=False))
    return written


_FILES: dict[str, str] = {}

_FILES["pyproject.toml"] = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "$dist"
version = "0.1.0"
description = "$title: a dyncrm plugin"
requires-python = ">=3.11"
dependencies = ["dyncrm"]

[project.optional-dependencies]
test = ["pytest"]

# The plugin's name is the entry point's: enable it with [plugins] enabled = ["$name"].
[project.entry-points.dyncrm]
$name = "$package"

[tool.setuptools]
packages = ["$package"]

[tool.setuptools.package-data]
$package = ["migrations/*.py", "templates/**/*"]

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM"]

[tool.ruff.lint.isort]
known-first-party = ["$package"]
'''

_FILES["README.md"] = '''\
# $dist

A [dyncrm](https://pypi.org/project/dyncrm/) plugin: notes about members.

    pip install -e '.[test]'
    pytest

Enable it in a deployment's `dyncrm.toml`, then apply its migration:

    [plugins]
    enabled = ["$name"]

    [plugins.$name]
    greeting = "Halo"

    dyncrm db upgrade
    dyncrm --as NAME $name add MEMBER "text of the note"
    dyncrm --as NAME $name list
'''

_FILES["$package/__init__.py"] = '''\
"""$title: a dyncrm plugin keeping notes about members.

Its set-up (settings, table, migrations, templates, permissions, commands) is one
``PluginSpec``; hooks of its own are plain ``@hookimpl`` functions below it.
"""

from __future__ import annotations

from dyncrm import Permission, PluginSpec

from $package.settings import PLUGIN, ${Class}Settings

__version__ = "0.1.0"

spec = PluginSpec(
    PLUGIN,
    settings=${Class}Settings,
    models="$package.models:MODELS",
    migrations="migrations",
    templates="templates",
    commands="$package.cli:group",
    permissions=[Permission("$name.add", frozenset({"admin", "secretary", "cashier"}),
                            "write a note about a member")],
)
spec.export(globals())
'''

_FILES["$package/settings.py"] = '''\
"""The plugin's name and its settings, ``[plugins.$name]`` in ``dyncrm.toml``."""

from __future__ import annotations

import attrs

PLUGIN = "$name"


@attrs.frozen
class ${Class}Settings:
    """``[plugins.$name]``: how the message about a new note greets the member."""

    greeting: str = "Halo"
    notify_member: bool = True
'''

_FILES["$package/models.py"] = '''\
"""The plugin's table: notes about members."""

from __future__ import annotations

from dyncrm.db import BaseModel
from dyncrm.db.models import Member, utcnow
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField, TextField


class Note(BaseModel):
    """A note a staff member wrote about a member."""

    id = AutoField()
    member = ForeignKeyField(Member, backref="${name}_notes", on_delete="RESTRICT", index=True)
    text = TextField()
    actor = CharField()
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "${name}_note"


MODELS = [Note]
'''

_FILES["$package/migrations/0001_initial.py"] = '''\
"""The notes table."""


def up(migrator, db):
    from $package.models import Note

    db.create_tables([Note])


def down(migrator, db):
    from $package.models import Note

    db.drop_tables([Note])
'''

_FILES["$package/templates/messages/${name}_note.txt"] = '''\
{% extends "messages/base.txt" %}
{% block subject %}{{ greeting }}, {{ member.name }}{% endblock %}
{% block body %}{{ greeting }} {{ member.name }},

{{ text }}{% endblock %}
'''

_FILES["$package/service.py"] = '''\
"""What the plugin does, as functions its commands, hooks and tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dyncrm.errors import ValidationError

from $package.models import Note
from $package.settings import PLUGIN

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor


def add_note(crm: CRM, member_ref: int | str, actor: Actor, text: str, *,
             key: str | None = None) -> tuple[int, bool]:
    """Write a note about a member (one action, idempotent by ``key``).

    Returns ``(note id, replayed)``; the member is told if the settings say so.
    """
    text = text.strip()
    if not text:
        raise ValidationError("the note is empty; write what happened", field="text")
    with crm.action("$name.add", actor, key=key, permission="$name.add") as act:
        if act.replayed:
            return act.previous["note"], True
        member = crm.member(member_ref)
        note = Note.create(member=member.id, text=text, actor=actor.username, at=crm.now())
        crm.touch(member.id, "retain", "by", "$name.note", actor, {"note": note.id})
        settings = crm.plugin_config(PLUGIN)
        if settings.notify_member:
            crm.notify_member(member.id, "messages/${name}_note.txt", kind="$name.note",
                              key=f"$name.note:{note.id}", greeting=settings.greeting,
                              text=text)
        act.done(note=note.id)
        return note.id, False


def notes(crm: CRM, member_id: int | None = None) -> list[Note]:
    """Notes, newest first, about one member or everyone."""
    query = Note.select().order_by(Note.at.desc(), Note.id.desc())
    if member_id is not None:
        query = query.where(Note.member == member_id)
    return list(query)
'''

_FILES["$package/cli.py"] = '''\
"""``dyncrm $name add`` and ``dyncrm $name list``."""

from __future__ import annotations

import click
from dyncrm import output
from dyncrm.cli import json_option, pass_actor

from $package import service


@click.group("$name")
def group() -> None:
    """Notes about members ($title plugin)."""


@group.command("add")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("text")
@click.option("--key", help="Idempotency key: the same key again changes nothing.")
@pass_actor
def add_cmd(crm, actor, member_ref: str, text: str, key: str | None) -> None:
    """Write a note TEXT about MEMBER (number or id)."""
    note_id, replayed = service.add_note(crm, member_ref, actor, text, key=key)
    click.echo(f"note {note_id} already written; nothing changed" if replayed
               else f"wrote note {note_id}")


@group.command("list")
@click.argument("member_ref", metavar="[MEMBER]", required=False)
@json_option
@pass_actor
def list_cmd(crm, actor, member_ref: str | None, as_json: bool) -> None:
    """List notes, newest first, about MEMBER or everyone."""
    crm.require(actor, "$name.add")
    member_id = crm.member(member_ref).id if member_ref else None
    rows = [{"id": n.id, "member": n.member_id, "text": n.text, "by": n.actor, "at": n.at}
            for n in service.notes(crm, member_id)]
    if as_json:
        output.emit(rows)
    else:
        output.table(rows, ["id", "at", "member", "text", "by"])
'''

_FILES["tests/test_${name}.py"] = '''\
"""Tests of the $name plugin, on real SQLite files, with dyncrm.testing's fixtures.

``make_crm`` and ``run_cli`` come from the ``dyncrm`` pytest plugin installed with dyncrm.
"""

from __future__ import annotations

import json

import pytest
from dyncrm.errors import ValidationError
from dyncrm.testing import active_member, messages_for, run_cli, snapshot, staff

from $package.service import add_note, notes

SETTINGS = {"$name": {"greeting": "Selamat pagi"}}


def test_a_note_is_kept_and_the_member_told(make_crm) -> None:
    crm = make_crm(enabled=["$name"], plugins=SETTINGS)
    clerk = staff(crm, "clerk", "cashier", password=None)
    member_id = active_member(crm, "Siti Aminah", email="siti@example.org")
    note_id, replayed = add_note(crm, member_id, clerk, "came to ask about savings", key="n1")
    assert not replayed
    assert [n.text for n in notes(crm, member_id)] == ["came to ask about savings"]
    (message,) = messages_for(crm, member_id, kind="$name.note")
    assert message.subject == "Selamat pagi, Siti Aminah"
    assert add_note(crm, member_id, clerk, "came to ask about savings", key="n1") == (
        note_id, True)
    assert len(notes(crm)) == 1


def test_an_empty_note_is_refused_and_writes_nothing(make_crm) -> None:
    crm = make_crm(enabled=["$name"])
    clerk = staff(crm, "clerk", "cashier", password=None)
    member_id = active_member(crm)
    before = snapshot(crm)
    with pytest.raises(ValidationError, match="empty") as refused:
        add_note(crm, member_id, clerk, "   ")
    assert refused.value.field == "text"
    assert snapshot(crm) == before


def test_the_command_line(make_crm, tmp_path) -> None:
    crm = make_crm(enabled=["$name"])  # migrated, on tmp_path / "crm.db"
    staff(crm, "clerk", "cashier")
    active_member(crm, "Budi", number="A-0001")
    config = tmp_path / "dyncrm.toml"
    config.write_text("\\n".join([
        "[organisation]", 'name = "Koperasi Uji"', 'currency = "IDR"', "currency_exponent = 0",
        'locale = "en_US"',  # the command line in English: the sentences below as written
        "[database]", f'url = "sqlite:///{tmp_path / "crm.db"}"',
        "[notify]", 'default_channel = "file"', 'file_directory = "outbox"',
        "[plugins]", 'enabled = ["$name"]', ""]), encoding="utf-8")
    code, out, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0 and "nothing to apply" in out, err
    code, out, err = run_cli(["-c", str(config), "--as", "clerk", "$name", "add", "A-0001",
                              "asked for a loan form"])
    assert (code, out.strip()) == (0, "wrote note 1"), err
    code, out, err = run_cli(["-c", str(config), "--as", "clerk", "$name", "list", "--json"])
    assert code == 0, err
    assert [row["text"] for row in json.loads(out)["data"]] == ["asked for a loan form"]
'''
