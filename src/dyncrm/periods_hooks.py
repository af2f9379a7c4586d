"""The core's hooks for closed periods (:mod:`dyncrm.periods`): permissions, the
owner of closing entries and the ``books close | reopen | periods`` commands.

Always registered, like :mod:`dyncrm.default_hooks` (``DEFAULT_PLUGINS``).
"""

from __future__ import annotations

from dyncrm.hookspecs import hookimpl
from dyncrm.values import Permission


@hookimpl
def dyncrm_permissions():
    """Closing and reopening periods: the treasurer and the administrator."""
    return [
        Permission("books.close", frozenset({"admin", "treasurer"}),
                   "propose or approve closing a month or a fiscal year of the books"),
        Permission("books.reopen", frozenset({"admin", "treasurer"}),
                   "propose or approve reopening a closed month or year, with a reason"),
    ]


@hookimpl
def dyncrm_ledger_owners():
    """A year's closing entry is undone only by reopening the year."""
    from dyncrm.periods import CLOSING_KIND, OWNER
    from dyncrm.values import EntryOwner

    return [EntryOwner(OWNER, (CLOSING_KIND,),
                       "dyncrm books reopen --year YEAR --reason TEXT (entry {entry})")]


@hookimpl
def dyncrm_register_commands(cli):
    """``dyncrm books close | reopen | periods`` (:mod:`dyncrm.cli_periods`)."""
    from dyncrm.cli_periods import register_commands

    register_commands(cli)
