"""Koperasi XYZ reads the whole portal in Indonesian: every text has a translation.

The texts are found where they are written: ``_("...")`` in the portal's HTML
templates (the core's and every bundled plugin's), and in the Python of the
portal (``crm.t("...")``/``_("...")`` calls and the titles of ``MenuEntry``,
``Card`` and ``QueueSource``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2
import pytest

from koperasi_xyz.translations import dyncrm_translations

ROOT = Path(__file__).resolve().parents[2]
TITLED = {"MenuEntry", "Card", "QueueSource"}


def html_templates() -> list[Path]:
    found = list((ROOT / "src/dyncrm/web/templates").rglob("*.html"))
    for base in ("plugins", "examples"):
        found += [p for p in (ROOT / base).rglob("*.html") if "templates" in p.parts]
    return sorted(found)


def web_modules() -> list[Path]:
    found = list((ROOT / "src/dyncrm/web").glob("*.py"))
    for base in ("plugins", "examples"):
        found += list((ROOT / base).rglob("web.py"))
        found += [p for p in (ROOT / base).rglob("*.py") if "web" in p.parent.name]
    return sorted(set(found))


def template_texts(path: Path) -> set[str]:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    texts = set()
    for _, _, message in env.extract_translations(path.read_text(), gettext_functions=("_",)):
        first = message[0] if isinstance(message, tuple) else message  # ("text", None): kwargs
        if isinstance(first, str):
            texts.add(first)
    return texts


def python_texts(path: Path) -> set[str]:
    texts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = (node.func.attr if isinstance(node.func, ast.Attribute)
                else node.func.id if isinstance(node.func, ast.Name) else "")
        first = node.args[0]
        if name in TITLED | {"t", "_"} and isinstance(first, ast.Constant) \
                and isinstance(first.value, str):
            texts.add(first.value)
    return texts


def all_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in html_templates():
        texts.update(dict.fromkeys(template_texts(path), str(path.relative_to(ROOT))))
    for path in web_modules():
        texts.update(dict.fromkeys(python_texts(path), str(path.relative_to(ROOT))))
    return texts


def test_the_texts_are_found() -> None:
    texts = all_texts()
    assert "Sign in" in texts and "Work queue" in texts and "Welcome to {name}" in texts


def test_every_portal_text_has_an_indonesian_translation() -> None:
    catalogue = dyncrm_translations("id_ID")
    missing = {text: where for text, where in all_texts().items() if text not in catalogue}
    assert not missing, ("add these to a module of examples/koperasi_xyz/i18n/: "
                         + "; ".join(f"{t!r} ({w})" for t, w in sorted(missing.items())))


@pytest.mark.parametrize("text", sorted(dyncrm_translations("id_ID")))
def test_translations_keep_the_placeholders(text: str) -> None:
    import string

    def fields(s: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(s) if f}

    assert fields(dyncrm_translations("id_ID")[text]) == fields(text)
