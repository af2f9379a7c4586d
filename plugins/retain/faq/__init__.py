"""Plugin ``retain.faq``: answers to the questions members ask most.

Entries have a question, a Markdown answer (rendered safely), a category, an
order and a published flag.  Search finds entries by the words of their
question or answer, ignoring case and accents (SQLite FTS5 where available,
``LIKE`` over folded text elsewhere; see :mod:`dyncrm_retain.faq.search`).
Views and "was this helpful?" votes are counted.  A resolved feedback ticket
can become an entry.  Logic: :mod:`dyncrm_retain.faq.store`; commands:
:mod:`dyncrm_retain.faq.cli`.
"""

from __future__ import annotations

from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission
from dyncrm_retain.faq.store import PLUGIN, FaqSettings, render_answer

__all__ = ["PLUGIN", "FaqSettings", "render_answer", "spec"]

spec = PluginSpec(
    PLUGIN,
    web="dyncrm_retain.faq.web:dyncrm_web",
    settings=FaqSettings,
    models="dyncrm_retain.faq.models:MODELS",
    migrations="migrations",
    commands="dyncrm_retain.faq.cli:register",
    permissions=[Permission("faq.manage", frozenset({"admin", "secretary"}),
                            "write, edit, publish and unpublish FAQ entries")],
)
spec.export(globals())
