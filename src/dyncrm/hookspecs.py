"""Every hook dyncrm defines: the contract between the core and its plugins.

Hooks are grouped by phase: Core (set-up and cross-cutting), Acquire, Retain and
Expand (the Dynamic CRM lifecycle).  Each docstring says when the hook is
called, with what, and what it may return.  Collecting hooks return a list of
every non-``None`` result; ``firstresult`` hooks stop at the first answer.

Hooks receive the application object ``crm`` (:class:`dyncrm.app.CRM`) and
immutable values from :mod:`dyncrm.values`, never database rows.  Event hooks
run inside the action's database transaction: raising a
:class:`~dyncrm.errors.DyncrmError` there refuses the whole action and leaves
nothing behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import click
    import jinja2

    from dyncrm.app import CRM
    from dyncrm.books.chart import ChartAccount
    from dyncrm.money import Money
    from dyncrm.opening import OpeningSheet
    from dyncrm.receipts import ReceiptKind
    from dyncrm.reports import ReportBuilder
    from dyncrm.values import (
        Actor,
        Channel,
        DueItem,
        EntryInfo,
        EntryOwner,
        MemberInfo,
        Permission,
        Product,
        ScheduledJob,
        StageChange,
        TouchpointInfo,
    )
    from dyncrm.web.extension import WebExtension

hookspec = pluggy.HookspecMarker("dyncrm")
hookimpl = pluggy.HookimplMarker("dyncrm")

# ---------------------------------------------------------------------------
# Core: set-up hooks, called once when a CRM is opened
# ---------------------------------------------------------------------------


@hookspec(historic=True)
def dyncrm_configure(crm: CRM) -> None:
    """Called once after the CRM is opened and every enabled plugin is loaded.

    Use it to prepare plugin state that needs the configuration.  Historic: a
    plugin registered later still gets the call.

    :param crm: the application object.
    """


@hookspec
def dyncrm_config_schema() -> dict[str, type] | None:
    """Declare the attrs classes that parse this plugin's config sections.

    Return a mapping of section name (normally the plugin's own name, e.g.
    ``"expand.savings"``) to a frozen attrs class.  The core turns
    ``[plugins."expand.savings"]`` into an instance, checking every key and type,
    and raises :class:`~dyncrm.errors.ConfigError` naming file, key, expected and
    found.  The instance is available as ``crm.plugin_config(name)``.
    """


@hookspec
def dyncrm_migrations() -> tuple[str, Path] | None:
    """Return ``(plugin_name, folder)`` of this plugin's migration scripts.

    The folder holds numbered scripts with ``up(migrator, db)`` in the format of
    peewee's ``playhouse.migrations``.  ``dyncrm db upgrade`` applies them after
    the core's, in plugin load order, and records each as ``plugin:name``.
    """


@hookspec
def dyncrm_register_models() -> list[type] | None:
    """Return the peewee model classes (tables) this plugin owns.

    Models subclass :class:`dyncrm.db.BaseModel`.  The core uses the list for
    ``dyncrm db status`` and for resetting test databases; tables are created
    by the plugin's migrations, not from this list.
    """


@hookspec
def dyncrm_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``dyncrm`` command line.

    Called for enabled plugins when the CLI starts.  Commands get the CRM with
    ``crm = ctx.obj.crm`` (see ``dyncrm.cli.pass_crm``).

    :param cli: the top-level ``dyncrm`` click group.
    """


@hookspec
def dyncrm_template_dirs() -> list[Path] | None:
    """Return folders of Jinja2 templates this plugin ships.

    They are searched after the deployment's own ``template_dir`` (which can
    override any template by name) and before the core's templates.
    """


@hookspec
def dyncrm_prepare_jinja2_environment(env: jinja2.Environment, crm: CRM) -> None:
    """Modify the Jinja2 environment, e.g. add filters or globals.

    :param env: the environment ``crm.templates``, after core filters are set.
    :param crm: the application object.
    """


@hookspec
def dyncrm_permissions() -> list[Permission] | None:
    """Declare the permissions this plugin's actions check, with default roles.

    A deployment may reassign roles in ``[permissions]`` of its config.  An
    action checks with ``crm.require(actor, "loans.approve")``.
    """


@hookspec
def dyncrm_notification_channels(crm: CRM) -> list[Channel] | None:
    """Return extra delivery channels (WhatsApp/SMS gateways, chat, ...).

    A :class:`~dyncrm.values.Channel` has a name and a ``send(message)``
    callable that raises on failure; the outbox records attempts and retries
    with backoff, so ``send`` must not retry on its own.  ``send`` returns only
    once the receiver accepted the message.

    The outbox marks a message ``sending`` before ``send`` and ``sent`` after.
    If the process dies in between, a channel declared with
    ``honours_idempotency_key=True`` gets the message again with the same
    ``message.idempotency_key`` (pass it to a receiver that drops repeated
    keys); any other channel's message becomes ``unknown`` and is resent only
    by a person.  Declare the flag only if the receiver really deduplicates.
    ``send`` raises :class:`dyncrm.notify.DeliveryUncertain` when the receiver
    may have the message (a timeout after it went out): held like a crash,
    where any other exception is retried.

    :param crm: the application object (read the plugin's config from it).
    """


@hookspec
def dyncrm_translations(locale: str) -> dict[str, str] | None:
    """Return translations of user-facing sentences for ``locale`` (e.g. ``"id_ID"``).

    A mapping of English message id to translation, with the same ``{named}``
    placeholders; code translates with ``crm.t(msgid, **params)``.  Catalogues of
    every plugin are merged; sentences without a translation stay English.

    :param locale: the organisation's locale from ``[organisation] locale``.
    """


@hookspec
def dyncrm_scheduled_jobs(crm: CRM) -> list[ScheduledJob] | None:
    """Return periodic work that ``dyncrm run-due`` runs (a daily cron entry).

    Each job must be idempotent for a given date: running it twice on the same
    day does nothing the second time.
    """


@hookspec
def dyncrm_reports() -> list[ReportBuilder] | None:
    """Return the named reports this plugin offers, as :class:`~dyncrm.reports.ReportBuilder`.

    Each builder has a ``name``, a one-line ``title``, the ``permission`` a
    person needs, the options it takes and ``build(crm, options)`` returning a
    :class:`~dyncrm.reports.Report` (sections of rows under columns).  The
    deployment's report command renders every enabled plugin's reports the same
    way — table, CSV, printable PDF — and includes them when writing all reports
    at once (Koperasi XYZ: ``dyncrm laporan NAME`` and ``dyncrm laporan semua``).
    Called without a CRM, so ``--help`` lists reports without opening the
    database; two plugins offering the same name is a
    :class:`~dyncrm.errors.PluginError` naming both.
    """


@hookspec
def dyncrm_receipt_kinds(crm: CRM) -> list[ReceiptKind] | None:
    """Return the kinds of receipt (kwitansi) this plugin issues for its money movements.

    Each :class:`~dyncrm.receipts.ReceiptKind` names the kind, its English title
    (translated through the deployment's catalogue), the journal entry kinds that
    get it and which way the money went.  When an entry of one of those kinds is
    posted, the core issues its receipt in the same transaction, numbered from the
    gap-free sequence ``receipt:<year>`` (a rolled-back action uses no number; a
    replayed one finds the same receipt); reversals get none.  Two kinds claiming
    one entry kind is a :class:`~dyncrm.errors.PluginError`.  Entries of other
    kinds can get a receipt with ``crm.receipts.issue(entry_id, kind)`` inside
    the action that posted them.

    :param crm: the application object.
    """


@hookspec
def dyncrm_web(crm: CRM) -> WebExtension | None:
    """Return what the plugin adds to the web portal (``dyncrm serve``), or ``None``.

    A :class:`dyncrm.web.WebExtension` holds a Flask blueprint with the plugin's
    pages and templates, its menu entries for members and staff, its dashboard
    cards and the kinds of work it adds to the staff work queue.  Called once when
    the portal starts; a plugin that is not enabled adds no pages.  Views call the
    plugin's library functions (the same as its commands) and check the same
    permission with :func:`dyncrm.web.guards.staff_only` or
    :func:`~dyncrm.web.guards.member_only`; no business rule lives in a view.

    :param crm: the application object.
    """


# ---------------------------------------------------------------------------
# Core: lifecycle events and policies, called inside the action's transaction
# ---------------------------------------------------------------------------


@hookspec
def dyncrm_stage_change_objections(crm: CRM, change: StageChange) -> list[str] | None:
    """Object to a member's stage change before it happens.

    Return a list of reasons (sentences for the user) or ``None``.  Reasons
    from every plugin are gathered; any reason refuses the change and the
    action, with all reasons in the message.

    :param change: the intended change (``old_stage`` → ``new_stage``).
    """


@hookspec
def dyncrm_member_stage_changed(crm: CRM, change: StageChange) -> None:
    """React to a member's stage change (e.g. applicant → active).

    Called after the new stage is written, in the same transaction; raising a
    ``DyncrmError`` undoes the change.
    """


@hookspec
def dyncrm_transaction_posted(crm: CRM, entry: EntryInfo) -> None:
    """React to a journal entry just written to the ledger (not to replays).

    Called in the posting's transaction by ``crm.ledger.post`` for every new
    entry.  ``crm.ledger.post_many`` calls it once per new entry only on the
    plugins that do not implement :func:`dyncrm_transactions_posted` (those get
    the batch's entries there instead).

    :param entry: the entry with its legs.
    """


@hookspec
def dyncrm_transactions_posted(crm: CRM, entries: list[EntryInfo]) -> None:
    """React to many journal entries just written by one bulk post, set-based.

    ``crm.ledger.post_many`` calls it once per chunk of new entries (in order,
    replays left out), in the same transaction, after the chunk's entries and
    postings are written and after the per-entry :func:`dyncrm_transaction_posted`
    of the plugins that implement only that one.  A plugin implementing both
    hooks gets the bulk path's entries only here and ``crm.ledger.post``'s only
    through :func:`dyncrm_transaction_posted`; a plugin implementing only this one
    also gets every single ``post`` here, as a list of one.  Do the work with a
    fixed number of statements per call (one ``IN`` query, multi-row inserts:
    :mod:`dyncrm.db.bulk`), not one per entry.

    :param entries: the new entries with their legs, in posting order.
    """


@hookspec
def dyncrm_ledger_owners() -> list[EntryOwner] | None:
    """Declare the journal entries this plugin owns and the command that corrects them.

    Return :class:`~dyncrm.values.EntryOwner` values: the plugin's name, the
    entry kinds it posts (``"savings.deposit"`` also covers
    ``"savings.deposit.reversal"``) and its correction command (``{entry}``
    stands for the entry id).  The ledger records the owner on every entry of
    those kinds when it is posted (``journal_entry.owner``), and
    ``Ledger.reverse`` — so ``dyncrm ledger reverse`` — refuses an owned entry
    unless the owner itself reverses it, naming the correction command, so a
    plugin's own records (a schedule, a deposit's status, a scheduled refund)
    never fall out of step with the books.  Two plugins claiming one kind is a
    ``PluginError``.
    """


@hookspec
def dyncrm_chart_accounts() -> list[ChartAccount] | None:
    """Declare the ledger account kinds this plugin opens and where they belong by default.

    Return :class:`~dyncrm.books.chart.ChartAccount` values: the account kind
    (``"loans.principal"``, or every kind under a prefix: ``"equity.fund.*"``),
    the section of the statements an accountant puts it in (``asset``,
    ``liability``, ``equity``, ``income``, ``expense`` — simpanan pokok is a
    ``liability`` account in the ledger and ``equity`` here), and a line name
    (and code) for deployments without a chart of their own.  A deployment's
    ``[books]`` chart replaces these lines; ``dyncrm books check`` lists every
    kind in use that no line holds.  One kind in two sections is a ``PluginError``.
    """


@hookspec
def dyncrm_opening_sheets(crm: CRM) -> list[OpeningSheet] | None:
    """Declare the sheets of opening balances this plugin reads (``dyncrm opening import``).

    Return :class:`~dyncrm.opening.OpeningSheet` values: the sheet's name (the
    file or worksheet it is found in, e.g. ``simpanan``), its columns with the
    English and Indonesian headers each goes by, the totals it reconciles, and
    three callables: ``check(crm, ctx, rows)`` (parse and check every row,
    report problems with ``ctx.problem``, never write), ``write(crm, ctx, plan)``
    (inside the import's one transaction, set-based) and
    ``ledger_totals(crm, ctx, plan)`` (the totals read back after writing).
    Two plugins declaring one sheet name is a ``PluginError``.

    :param crm: the application object.
    """


@hookspec
def dyncrm_touchpoint_recorded(crm: CRM, touchpoint: TouchpointInfo) -> None:
    """React to any recorded touchpoint (analytics, engagement scores, ...).

    ``crm.touch`` calls it for every touchpoint; ``crm.touch_many`` calls it once
    per touchpoint only on the plugins that do not implement
    :func:`dyncrm_touchpoints_recorded` (those get the batch there instead).
    """


@hookspec
def dyncrm_touchpoints_recorded(crm: CRM, touchpoints: list[TouchpointInfo]) -> None:
    """React to many touchpoints recorded at once (``crm.touch_many``), set-based.

    Called once per ``touch_many`` call (a payroll import's deposits, a promotion
    reaching a thousand members), in the same transaction, after the rows are
    written and after the per-touchpoint :func:`dyncrm_touchpoint_recorded` of
    the plugins that implement only that one.  A plugin implementing both hooks
    gets ``touch_many``'s touchpoints only here and ``crm.touch``'s only through
    :func:`dyncrm_touchpoint_recorded`; a plugin implementing only this one also
    gets every single ``touch`` here, as a list of one.  Do the work with a fixed
    number of statements per call (:mod:`dyncrm.db.bulk`), not one per touchpoint.

    :param touchpoints: the new touchpoints, in the order they were recorded.
    """


@hookspec
def dyncrm_member_details(crm: CRM, member: MemberInfo) -> dict[str, Any] | None:
    """Contribute labelled facts to a member's profile view.

    Return a mapping of label to printable value (e.g. ``{"Savings": "Rp 1.200.000"}``);
    ``dyncrm member show`` and the credit committee's view list them all.
    """


# ---------------------------------------------------------------------------
# Acquire: how people become members
# ---------------------------------------------------------------------------


@hookspec
def dyncrm_acquire_application_objections(crm: CRM, application: Any) -> list[str] | None:
    """Give reasons to refuse a membership application (deployment rules).

    Called when an application is submitted and again before approval.
    Reasons are gathered from every plugin and reach the applicant.

    :param application: a ``dyncrm_acquire.registration.Application`` value.
    """


@hookspec
def dyncrm_acquire_application_received(crm: CRM, application: Any) -> None:
    """React to a newly submitted membership application.

    :param application: a ``dyncrm_acquire.registration.Application`` value.
    """


@hookspec
def dyncrm_acquire_member_joined(crm: CRM, member: MemberInfo, actor: Actor) -> None:
    """React to an applicant becoming an active member (number assigned).

    Savings records the simpanan pokok obligation here; promotion credits the
    referrer.
    """


@hookspec
def dyncrm_acquire_products(crm: CRM) -> list[Product] | None:
    """Return the products this plugin offers, for promotions to point at."""


@hookspec(firstresult=True)
def dyncrm_acquire_segment(crm: CRM, name: str, on: dt.date) -> frozenset[int] | None:
    """Resolve a custom audience segment to member ids.

    Return the set of member ids in segment ``name`` on date ``on`` when this
    plugin knows the segment, else ``None``.

    Stops at first non-None result.
    """


@hookspec
def dyncrm_acquire_referral_converted(
    crm: CRM, referrer: MemberInfo, member: MemberInfo
) -> None:
    """React to a referred applicant becoming a member (rewards award points)."""


# ---------------------------------------------------------------------------
# Retain: why members stay
# ---------------------------------------------------------------------------


@hookspec
def dyncrm_retain_due_items(crm: CRM, on: dt.date) -> list[DueItem] | None:
    """Return the items due around ``on`` that may need a reminder.

    Return only items still open on ``on`` (a paid installment is no longer
    due); the reminder engine decides which offsets to send and never sends
    an (item, offset) twice.

    :param on: the date reminders are run for.
    """


@hookspec(firstresult=True)
def dyncrm_retain_reminder_offsets(crm: CRM, kind: str) -> tuple[int, ...] | None:
    """Suggest the reminder schedule for due items of ``kind``.

    Called by the reminder engine (``retain.reminders``) for a kind that the
    deployment's ``offsets`` setting does not name.  Return day offsets
    relative to the due date (``-7`` = a week before, ``0`` = on the day,
    ``3`` = three days late), or ``None`` to leave the kind to the default
    schedule.  A due-item source uses it to ship a sensible schedule for its
    own kinds (the feedback plugin escalates overdue tickets 1, 3 and 7 days
    after the deadline).

    :param kind: the ``DueItem.kind``, e.g. ``"loans.installment"``.

    Stops at first non-None result.
    """


@hookspec
def dyncrm_retain_reminder_queued(crm: CRM, reminder: Any) -> None:
    """React to a reminder just queued in the outbox (not to replays or dry runs).

    Called inside the reminder's own transaction: raising a ``DyncrmError``
    refuses that one reminder (nothing of it is written and the run reports
    it); the rest of the run goes on.

    :param reminder: a ``dyncrm_retain.reminders.engine.ReminderSent`` value
        (item key, kind, offset, member, channel, outbox message id).
    """


@hookspec
def dyncrm_retain_feedback_received(crm: CRM, ticket: Any) -> None:
    """React to a new complaint or suggestion.

    Called inside the submitting action's transaction, after the ticket,
    its touchpoint and the acknowledgement message are written.

    :param ticket: a ``dyncrm_retain.feedback.Ticket`` value.
    """


@hookspec
def dyncrm_retain_feedback_changed(crm: CRM, ticket: Any, action: str, actor: Actor) -> None:
    """React to a change of a feedback ticket after it was filed.

    Called inside the action's transaction for every change: stage changes
    (``acknowledge``, ``start``, ``resolve``, ``close``, ``reject``) and
    ``assign``, ``note``, ``reply``, ``rate``, ``publish``.  Raising a
    ``DyncrmError`` refuses the change.  Respect ``ticket.anonymous``: do not
    show the member to people.

    :param ticket: the ``dyncrm_retain.feedback.Ticket`` value after the change.
    :param action: what was done.
    :param actor: who did it.
    """


# ---------------------------------------------------------------------------
# Expand: how the relationship grows
# ---------------------------------------------------------------------------


@hookspec
def dyncrm_expand_loan_eligibility(crm: CRM, request: Any) -> list[str] | None:
    """Give reasons a loan request is not eligible (or should be looked at).

    Every plugin with an opinion adds its reasons; the credit committee sees
    them all beside the member's savings and repayment history.

    :param request: a ``dyncrm_expand.loans.LoanRequest`` value.
    """


@hookspec
def dyncrm_expand_loan_decided(crm: CRM, loan: Any, decision: str, actor: Actor) -> None:
    """React to a loan being approved or rejected.

    :param loan: a ``dyncrm_expand.loans.LoanInfo`` value after the decision.
    :param decision: ``"approved"`` or ``"rejected"``.
    """


@hookspec
def dyncrm_expand_installment_paid(crm: CRM, payment: Any) -> None:
    """React to a loan installment being paid in full.

    ``dyncrm_expand.loans.repay`` calls it for every installment a payment
    completes; ``loans.repay_many`` (a payroll import) calls it per installment
    only on the plugins that do not implement
    :func:`dyncrm_expand_installments_paid` (those get the batch there instead).

    :param payment: a ``dyncrm_expand.loans.InstallmentPaid`` value (says if on time).
    """


@hookspec
def dyncrm_expand_installments_paid(crm: CRM, payments: list[Any]) -> None:
    """React to many loan installments paid in full by one batch of repayments, set-based.

    ``dyncrm_expand.loans.repay_many`` (a payroll confirmation) calls it once, in
    the batch's transaction, with every installment the batch's payments complete,
    in payment order (oldest installment first within a payment), after the
    per-installment :func:`dyncrm_expand_installment_paid` of the plugins that
    implement only that one.  A plugin implementing both hooks gets
    ``repay_many``'s installments only here and ``repay``'s only through
    :func:`dyncrm_expand_installment_paid`; a plugin implementing only this one
    also gets each single ``repay``'s installments here.  Do the work with a fixed
    number of statements per call, not one per installment.

    :param payments: ``dyncrm_expand.loans.InstallmentPaid`` values.
    """


@hookspec(firstresult=True)
def dyncrm_expand_take_home_pay(crm: CRM, member_id: int) -> Money | None:
    """Return a member's monthly take-home pay (THP), if this plugin knows it.

    Called by ``expand.loans`` when it checks a product's cap on the share of
    take-home pay that all monthly deductions together may take, and shown to
    the credit committee.  The registration plugin answers from the member's
    profile; a payroll integration could answer from the payslip.

    :param member_id: the member's id.
    :returns: the amount in the organisation's currency, or ``None`` when unknown.

    Stops at first non-None result.
    """


@hookspec
def dyncrm_expand_monthly_deductions(
    crm: CRM, member_id: int, month: dt.date
) -> list[tuple[str, Money]] | None:
    """Return what a member owes the cooperative every month, line by line.

    Every plugin with a monthly obligation adds its lines: ``expand.savings``
    the simpanan wajib, ``expand.loans`` each installment (principal and
    interest as scheduled) falling due in the month.  Used for the loan rule
    "all deductions together at most N% of take-home pay" and for the payroll
    deduction list (daftar potongan gaji).

    :param member_id: the member's id.
    :param month: any date in the calendar month asked about.
    :returns: ``(label, amount)`` pairs, e.g. ``("loan 12 installment 3", Money)``.
    """


@hookspec
def dyncrm_expand_settlement_lines(crm: CRM, member: MemberInfo, on: dt.date) -> list[Any] | None:
    """Contribute lines to a leaving member's settlement statement.

    Return ``dyncrm_expand.deactivation.SettlementLine`` values: positive amounts
    are owed to the member (savings), negative ones by the member (loans, arrears).
    """


@hookspec
def dyncrm_expand_year_closed(crm: CRM, year: int, actor: Actor) -> None:
    """React to a fiscal year being closed (surplus distribution, rewards)."""
