"""The core's own hook implementations: its tables, permissions and channels."""

from __future__ import annotations

from dyncrm.hookspecs import hookimpl
from dyncrm.plugins import package_path
from dyncrm.values import Permission


@hookimpl
def dyncrm_migrations():
    return ("core", package_path("dyncrm", "migrations"))


@hookimpl
def dyncrm_register_models():
    from dyncrm.db.archive import ARCHIVE_MODELS
    from dyncrm.db.models import CORE_MODELS
    from dyncrm.db.periods import PERIOD_MODELS
    from dyncrm.db.receipts import RECEIPT_MODELS

    return [*CORE_MODELS, *RECEIPT_MODELS, *ARCHIVE_MODELS, *PERIOD_MODELS]


@hookimpl
def dyncrm_transaction_posted(crm, entry):
    """Issue the receipt of an entry whose kind gets one (``dyncrm_receipt_kinds``)."""
    crm.receipts.on_posted(entry)


@hookimpl
def dyncrm_transactions_posted(crm, entries):
    """Issue the receipts of a bulk post's entries set-based (``crm.ledger.post_many``)."""
    crm.receipts.on_posted_many(entries)


@hookimpl
def dyncrm_permissions():
    return [
        Permission("users.manage", frozenset({"admin"}), "add users and change their roles"),
        Permission("members.view", frozenset({"admin", "secretary", "treasurer", "cashier",
                                              "credit_committee"}),
                   "see member profiles, timelines and lists"),
        Permission("members.enrol", frozenset({"admin"}),
                   "add active members from code (imports, plugins), bypassing registration"),
        Permission("outbox.send", frozenset({"admin", "secretary", "system"}),
                   "deliver queued messages"),
        Permission("outbox.resend", frozenset({"admin", "secretary"}),
                   "send again a message whose delivery is unknown or that failed"),
        Permission("audit.view", frozenset({"admin", "treasurer"}),
                   "see the audit trail: every action, who ran it and from where"),
        Permission("ledger.view", frozenset({"admin", "treasurer", "cashier"}),
                   "see journal entries and balances"),
        Permission("receipts.view", frozenset({"admin", "treasurer", "cashier", "secretary"}),
                   "list receipts and print copies of them"),
        Permission("archive.view", frozenset({"admin", "treasurer", "secretary"}),
                   "list documents archived as they were sent and reprint them"),
        Permission("ledger.reverse", frozenset({"admin", "treasurer"}),
                   "post a reversing entry to correct a mistake"),
        Permission("opening.import", frozenset({"admin"}),
                   "import a cooperative's opening balances (dyncrm opening import)"),
    ]


@hookimpl
def dyncrm_register_commands(cli):
    """The core's ``dyncrm opening`` group (opening balances from spreadsheets)."""
    from dyncrm.cli_opening import register

    register(cli)


@hookimpl
def dyncrm_web(crm):
    """The receipts pages: a member's own receipts, all of them for staff."""
    from dyncrm.web.receipts import extension

    return extension(crm)
