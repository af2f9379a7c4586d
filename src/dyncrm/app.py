"""The application object every hook receives as ``crm``.

It ties configuration, plugins, database, ledger, lifecycle, outbox, users and
templates together, and defines the unit of work: :meth:`CRM.action` runs one
action in one database transaction, with an optional idempotency key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pluggy
from peewee import IntegrityError

from dyncrm import db as dbmod
from dyncrm.auth import Users
from dyncrm.config import Config, load_config, structure
from dyncrm.db.concurrency import (
    insert_once,
    is_unique_violation,
    lock_names,
    write_transaction,
)
from dyncrm.db.migrate import MigrationStatus, for_deployment, pending, status, upgrade
from dyncrm.db.models import ActionKey, ActionLog, Counter, Member, Touchpoint, utcnow
from dyncrm.errors import (
    ConcurrentDuplicate,
    ConfigError,
    NotFoundError,
    PendingMigrations,
    PluginError,
    ValidationError,
)
from dyncrm.i18n import Catalogue, deployment_catalogue
from dyncrm.ledger import Ledger
from dyncrm.lifecycle import Lifecycle, member_info
from dyncrm.money import Money, from_minor, parse_money
from dyncrm.notify import Outbox, QueueResult
from dyncrm.plugins import batch_callers, batch_only_caller, get_plugin_manager
from dyncrm.quorum import Quorum
from dyncrm.sessions import Sessions
from dyncrm.templating import (
    Locale,
    build_environment,
    render_message,
    render_messages,
    template_errors,
)
from dyncrm.values import INFO_TYPES, PHASES, Actor, MemberInfo, TouchpointInfo


@attrs.define
class Action:
    """The handle ``crm.action`` yields: says whether the key was seen before."""

    name: str
    actor: Actor
    key: str | None
    replayed: bool = False
    previous: dict[str, Any] = attrs.field(factory=dict)
    result: dict[str, Any] = attrs.field(factory=dict)

    def done(self, **result: Any) -> None:
        """Record what the action produced; a replay hands it back as ``previous``."""
        self.result.update(result)


class CRM:
    """One deployment, opened: configuration, plugins and a database connection."""

    def __init__(self, config: Config, *, pm: pluggy.PluginManager | None = None,
                 extra_plugins: tuple[tuple[str, Any], ...] = (),
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.config = config
        self.pm = pm or get_plugin_manager(config.enabled, extra=extra_plugins)
        self.hook = self.pm.hook
        self.database = dbmod.connect(config.database_url)
        self._notice_writes()
        self.db = self.database
        self._clock = clock
        self._local = threading.local()
        self.tz = ZoneInfo(config.organisation.timezone)
        self.currency = config.organisation.currency
        self.exponents = {self.currency: config.currency_exponent}
        self.locale = Locale(config.organisation.locale)
        self.ledger = Ledger(self)
        self.lifecycle = Lifecycle(self)
        self.outbox = Outbox(self)
        self.users = Users(self)
        self.sessions = Sessions(self)
        self.quorum = Quorum(self)
        self._plugin_configs = self._parse_plugin_sections()
        self.hook.dyncrm_configure.call_historic(kwargs={"crm": self})

    # -- configuration -------------------------------------------------------

    def _parse_plugin_sections(self) -> dict[str, Any]:
        schemas: dict[str, type] = {}
        for result in self.hook.dyncrm_config_schema():
            schemas.update(result or {})
        parsed = {}
        for name, section in self.config.plugin_sections.items():
            if name not in schemas:
                if name in self.config.enabled:
                    raise ConfigError(f"plugin {name!r} takes no settings", path=self.config.path,
                                      key=f"plugins.{name}")
                continue  # settings of a plugin that is not enabled are kept, unused
            parsed[name] = structure(schemas[name], section, f"plugins.{name}", self.config.path)
        for name, cls in schemas.items():
            if name not in parsed:
                try:
                    parsed[name] = cls()
                except TypeError as exc:
                    raise ConfigError(f"needs settings: {exc}", path=self.config.path,
                                      key=f"plugins.{name}") from None
        return parsed

    def plugin_config(self, name: str) -> Any:
        """The parsed settings of plugin ``name`` (its attrs class; defaults if absent)."""
        try:
            return self._plugin_configs[name]
        except KeyError:
            raise PluginError("declares no settings (dyncrm_config_schema)", plugin=name) from None

    def is_enabled(self, name: str) -> bool:
        """True when plugin ``name`` is loaded."""
        return self.pm.has_plugin(name)

    @cached_property
    def translations(self) -> Catalogue:
        """The catalogue for the organisation's locale: the core's and the enabled
        plugins' gettext catalogues and ``dyncrm_translations`` (see :mod:`dyncrm.i18n`)."""
        return deployment_catalogue(self.pm, self.config.organisation.locale)

    def t(self, msgid: str, /, **params: Any) -> str:
        """A user-facing sentence in the deployment's language (see :mod:`dyncrm.i18n`)."""
        return self.translations(msgid, **params)

    # -- time ----------------------------------------------------------------

    def now(self) -> dt.datetime:
        """Current time as naive UTC (what the database stores)."""
        return self._clock() if self._clock else utcnow()

    def today(self) -> dt.date:
        """Today's date in the organisation's timezone."""
        return self.now().replace(tzinfo=dt.UTC).astimezone(self.tz).date()

    def set_clock(self, clock: Callable[[], dt.datetime] | None) -> None:
        """Replace the clock (simulations, tests); ``None`` restores real time."""
        self._clock = clock

    @property
    def simulated_day(self) -> dt.date | None:
        """The date a training deployment simulates (``dyncrm --today``), else ``None``.

        Printed documents mark themselves with it (see :mod:`dyncrm.simclock`).
        """
        from dyncrm.simclock import SimulatedClock

        return self._clock.day if isinstance(self._clock, SimulatedClock) else None

    # -- money ---------------------------------------------------------------

    def money(self, value: str | int | Any, *, field: str = "amount") -> Money:
        """An amount of the organisation's currency from what a user typed.

        Checked to be storable and at most ``[organisation] max_amount``
        (:func:`dyncrm.money.check_amount`); refusals name ``field``.
        """
        return parse_money(value, self.currency, decimal_mark=self.locale.decimal_mark,
                           field=field, exponent=self.ledger.exponent(self.currency),
                           maximum=self.config.organisation.max_amount)

    def ledger_money(self, units: int, commodity: str | None = None) -> Money:
        """Money from integer minor units of ``commodity`` (default: the organisation's)."""
        commodity = commodity or self.currency
        return from_minor(units, commodity, self.ledger.exponent(commodity))

    def format_money(self, value: Money) -> str:
        """An amount in the organisation's locale, e.g. ``Rp 1.250.000``."""
        return self.locale.money(value, self.ledger.exponent(value.currency))

    # -- database ------------------------------------------------------------

    def migration_sources(self) -> list[tuple[str, Path]]:
        """``(plugin, folder)`` of every migration folder, core first."""
        sources = []
        for result in reversed(self.hook.dyncrm_migrations()):
            if result:
                sources.append((result[0], Path(result[1])))
        core = [s for s in sources if s[0] == "core"]
        return core + [s for s in sources if s[0] != "core"]

    def upgrade(self) -> list[str]:
        """Apply pending migrations of the core and every enabled plugin.

        The scripts see this deployment's config through
        :func:`dyncrm.db.migrate.deployment_config` (its ``data_dir``, for one).
        """
        with for_deployment(self.config):
            return upgrade(self.database, self.migration_sources())

    def migration_status(self) -> list[MigrationStatus]:
        """Every migration and whether it is applied."""
        return status(self.database, self.migration_sources())

    def pending_migrations(self) -> list[str]:
        """Names (``plugin:script``) of migrations not applied yet; one query."""
        return pending(self.database, self.migration_sources())

    def check_schema(self) -> None:
        """Refuse to work on a database that misses migrations of the enabled plugins.

        :raises PendingMigrations: naming them and ``dyncrm db upgrade``.
        """
        names = self.pending_migrations()
        if names:
            path = str(self.config.path) if self.config.path else None
            raise PendingMigrations(names, path=path)

    def close(self) -> None:
        """Close the database connection."""
        if not self.database.is_closed():
            self.database.close()

    def __enter__(self) -> CRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- units of work -------------------------------------------------------

    @contextlib.contextmanager
    def action(self, name: str, actor: Actor, *, key: str | None = None,
               permission: str | None = None) -> Iterator[Action]:
        """Run one action in one transaction, idempotent by ``key``.

        Checks ``permission`` first.  If ``key`` was completed before, the
        yielded :class:`Action` has ``replayed=True`` and ``previous`` holds what
        the first run recorded with :meth:`Action.done`; the body should then
        return without writing.  Any exception rolls everything back.

        The outermost action is a write transaction (``BEGIN IMMEDIATE`` on
        SQLite); while another writer holds the database it waits up to the busy
        timeout, then raises :class:`~dyncrm.errors.DatabaseBusy` having changed
        nothing.  The key is claimed first, so a second process running the same
        key at the same moment waits and then sees a replay.  Inside, use
        :meth:`lock` before checking a balance, limit or stock you then write.
        """
        if permission is not None:
            self.users.require(actor, permission)
        act = Action(name=name, actor=actor, key=key)
        state = self._action_state()
        outermost_txn = self.database.transaction_depth() == 0
        txn = write_transaction(self.database) if outermost_txn else self.database.atomic()
        try:
            with txn as began:
                saved = state.depth, state.write_locked
                if state.depth == 0:
                    state.wrote = False
                if outermost_txn:
                    state.write_locked = began is True
                elif state.depth == 0:
                    state.write_locked = False  # inside a transaction begun elsewhere
                state.depth += 1
                try:
                    if key is not None and not self._claim_key(act):
                        yield act
                        return
                    yield act
                    if key is not None and act.result:
                        (ActionKey.update(result=act.result)
                         .where(ActionKey.key == key).execute())
                    if saved[0] == 0 and state.wrote:  # it changed something: audit it
                        ActionLog.insert(action=name[:64], actor=actor.username,
                                         channel=actor.channel, key=key,
                                         at=self.now()).execute()
                finally:
                    state.depth, state.write_locked = saved
        except IntegrityError as exc:
            if not outermost_txn or not is_unique_violation(exc):
                raise
            raise ConcurrentDuplicate(name, exc) from exc

    def _claim_key(self, act: Action) -> bool:
        """Record ``act.key`` as taken; False (and ``act`` marked replayed) if it was."""
        if insert_once(ActionKey, {"key": act.key, "action": act.name,
                                   "actor": act.actor.username, "at": self.now(),
                                   "result": {}, "channel": act.actor.channel}) is not None:
            return True
        seen = ActionKey.get(ActionKey.key == act.key)
        act.replayed, act.previous = True, dict(seen.result or {})
        return False

    def _action_state(self) -> threading.local:
        """This thread's action nesting: depth, and whether the write lock is held."""
        state = self._local
        if not hasattr(state, "depth"):
            state.depth, state.write_locked, state.wrote = 0, False, False
        return state

    def _notice_writes(self) -> None:
        """Let actions know whether they wrote anything (an action that changed
        nothing, such as a push that reached nobody, leaves no audit line)."""
        original = self.database.execute_sql

        def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if sql.lstrip()[:7].upper().startswith(_WRITES):
                self._action_state().wrote = True
            return original(sql, params, *args, **kwargs)

        self.database.execute_sql = execute_sql

    def in_action(self) -> bool:
        """True inside :meth:`action` (in this thread)."""
        return self._action_state().depth > 0

    def lock(self, names: Iterable[str]) -> list[str]:
        """Hold exclusive locks on ``names`` until the current action ends.

        The one way to serialise a check-then-write: lock what you are about to
        check (a balance, a limit, a stock), then read it, then write.  Another
        action locking the same name waits until this one commits or rolls back,
        and then reads what this one wrote.  Names are free text by convention
        ``<what>:<id>``: ``account:<code>`` (see ``crm.ledger.lock``),
        ``loan:17``, ``rewards.item:payung``.  Locks are taken in sorted order;
        lock everything an action needs in one call where you can.

        PostgreSQL and MariaDB/MySQL lock rows of the ``named_lock`` table with
        ``SELECT ... FOR UPDATE``; on SQLite the action's ``BEGIN IMMEDIATE``
        already excludes every other writer.  Must run inside :meth:`action`
        (raises :class:`~dyncrm.errors.PluginError` otherwise).
        """
        if isinstance(names, str):
            names = [names]
        state = self._action_state()
        if state.depth == 0:
            raise PluginError("crm.lock() was called outside crm.action(...); a lock "
                              "protects a check and its write only inside the action's "
                              "transaction")
        return lock_names(self.database, names, holds_write_lock=state.write_locked)

    def next_number(self, counter: str) -> int:
        """The next value of a named sequence; never hands out a value twice.

        Inside a transaction the increment is rolled back with it, so a failed
        action does not burn a number.
        """
        with self.database.atomic():
            updated = (Counter.update(value=Counter.value + 1)
                       .where(Counter.name == counter).execute())
            if not updated and insert_once(Counter, {"name": counter, "value": 1}) is None:
                # another session created the counter a moment ago
                (Counter.update(value=Counter.value + 1)
                 .where(Counter.name == counter).execute())
            return Counter.get(Counter.name == counter).value

    # -- people --------------------------------------------------------------

    def require(self, actor: Actor, permission: str) -> None:
        """Raise ``PermissionDenied`` unless ``actor`` holds ``permission``."""
        self.users.require(actor, permission)

    def trusted_actor(self, username: str) -> Actor:
        """The actor of user ``username`` with NO proof of identity (trusted code only).

        For programs that are the operator themselves: migrations, the demo,
        tests, a script the cooperative runs.  People prove who they are through
        ``crm.sessions`` (command line, web) or ``crm.users.authenticate``.
        """
        return self.users.trusted_actor(username)

    actor = trusted_actor  # the name of the first release; says nothing of trust

    def member(self, ref: int | str) -> MemberInfo:
        """A member by id or member number."""
        return member_info(self.member_row(ref))

    def member_row(self, ref: int | str) -> Member:
        """The member row for an id or member number (raises ``NotFoundError``)."""
        row = None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()
                                    and len(ref) <= 18):
            row = Member.get_or_none(Member.id == int(ref))
        if row is None and isinstance(ref, str):
            row = Member.get_or_none(Member.number == ref)
        if row is None:
            raise NotFoundError("member", ref)
        return row

    def member_details(self, ref: int | str) -> dict[str, Any]:
        """Labelled facts about a member gathered from every plugin (``dyncrm_member_details``)."""
        info = self.member(ref)
        details: dict[str, Any] = {}
        for part in self.hook.dyncrm_member_details(crm=self, member=info):
            details.update(part or {})
        return details

    # -- touchpoints ---------------------------------------------------------

    def touch(self, member_id: int, phase: str, info: str, kind: str, actor: Actor | str,
              payload: dict[str, Any] | None = None, *, at: dt.datetime | None = None
              ) -> TouchpointInfo:
        """Record an interaction with a member.

        :param phase: ``acquire``, ``retain`` or ``expand``.
        :param info: information ``of``, ``for`` or ``by`` the member (Park & Kim).
        :param kind: what happened, dotted (``savings.deposit``, ``promotion.viewed``).
        """
        if phase not in PHASES:
            raise ValidationError(f"phase must be one of {', '.join(PHASES)}", field="phase")
        if info not in INFO_TYPES:
            raise ValidationError(f"information type must be one of {', '.join(INFO_TYPES)}",
                                  field="info")
        row = Touchpoint.create(member=member_id, phase=phase, info=info, kind=kind,
                                actor=str(actor), at=at or self.now(), payload=payload or {},
                                channel=_channel_of(actor))
        tp = TouchpointInfo(id=row.id, member_id=member_id, phase=phase, info=info, kind=kind,
                            actor=str(actor), at=row.at, payload=payload or {})
        self.hook.dyncrm_touchpoint_recorded(crm=self, touchpoint=tp)
        only_batch = batch_only_caller(self.pm, "dyncrm_touchpoint_recorded",
                                       "dyncrm_touchpoints_recorded")
        if only_batch is not None:
            only_batch(crm=self, touchpoints=[tp])
        return tp

    def touch_many(self, member_ids: list[int] | tuple[int, ...], phase: str, info: str,
                   kind: str, actor: Actor | str, payloads: list[dict[str, Any]] | None = None,
                   *, at: dt.datetime | None = None) -> list[TouchpointInfo]:
        """Record the same kind of interaction with many members in one statement.

        Batch work (a promotion reaching a thousand members) uses this instead of
        :meth:`touch` in a loop: one prepared ``INSERT ... RETURNING`` per chunk on
        SQLite and PostgreSQL (:mod:`dyncrm.db.bulk`; one insert per row on MySQL,
        which has no ``RETURNING``).
        Plugins hear of them once through ``dyncrm_touchpoints_recorded``;
        ``dyncrm_touchpoint_recorded`` fires per touchpoint on the plugins that
        implement only that one.
        """
        if phase not in PHASES:
            raise ValidationError(f"phase must be one of {', '.join(PHASES)}", field="phase")
        if info not in INFO_TYPES:
            raise ValidationError(f"information type must be one of {', '.join(INFO_TYPES)}",
                                  field="info")
        payloads = payloads or [{} for _ in member_ids]
        if len(payloads) != len(member_ids):
            raise ValueError("touch_many needs one payload per member")
        if not member_ids:
            return []
        stamp = at or self.now()
        channel = _channel_of(actor)
        rows = [{"member": m, "phase": phase, "info": info, "kind": kind, "actor": str(actor),
                 "at": stamp, "payload": p, "channel": channel}
                for m, p in zip(member_ids, payloads, strict=True)]
        from dyncrm.db import bulk

        ids = bulk.insert_dicts(self.database, Touchpoint, rows, returning="id")
        recorded = [TouchpointInfo(id=i, member_id=r["member"], phase=phase, info=info,
                                   kind=kind, actor=str(actor), at=stamp, payload=r["payload"])
                    for i, r in zip(ids, rows, strict=True)]
        each, batch = batch_callers(self.pm, "dyncrm_touchpoint_recorded",
                                    "dyncrm_touchpoints_recorded")
        if each is not None:
            for tp in recorded:
                each(crm=self, touchpoint=tp)
        if batch is not None:
            batch(crm=self, touchpoints=recorded)
        return recorded

    def timeline(self, member_id: int) -> list[TouchpointInfo]:
        """A member's touchpoints, oldest first."""
        rows = (Touchpoint.select().where(Touchpoint.member == member_id)
                .order_by(Touchpoint.at, Touchpoint.id))
        return [TouchpointInfo(id=r.id, member_id=member_id, phase=r.phase, info=r.info,
                               kind=r.kind, actor=r.actor, at=r.at, payload=r.payload or {})
                for r in rows]

    @cached_property
    def receipts(self):
        """The numbered receipts of money movements (see :mod:`dyncrm.receipts`)."""
        from dyncrm.receipts import Receipts

        return Receipts(self)

    # -- templates -----------------------------------------------------------

    @cached_property
    def templates(self):
        """The Jinja2 environment (see :mod:`dyncrm.templating`)."""
        return build_environment(self)

    def render(self, template: str, /, **context: Any) -> str:
        """Render the template named ``template`` with ``context``.

        :raises PluginError: (or :class:`~dyncrm.errors.ConfigError` for the deployment's own
            templates) naming the template file, line and the undefined variable.
        """
        with template_errors(self):
            return self.templates.get_template(template).render(**context)

    def render_message(self, template: str, /, **context: Any) -> tuple[str, str]:
        """Render a message template into ``(subject, body)`` (errors as :meth:`render`)."""
        with template_errors(self):
            return render_message(self.templates, template, context)

    def render_messages(self, template: str, contexts: Iterable[dict[str, Any]], /
                        ) -> list[tuple[str, str]]:
        """:meth:`render_message` of one template for many contexts (batch work):
        the template looked up once, the same ``(subject, body)`` texts, in order."""
        with template_errors(self):
            return list(render_messages(self.templates, template, contexts))

    def notify_member(self, member_id: int, template: str, /, *, kind: str, key: str | None = None,
                      essential: bool = True, channel: str | None = None,
                      **context: Any):
        """Render ``template`` for a member and queue it in the outbox.

        Picks the member's preferred channel (else the default), and the
        address that channel needs (e-mail for smtp/file/console, phone for
        others).  Non-essential messages are skipped for members who opted out.
        Returns the :class:`~dyncrm.notify.QueueResult`, or ``None`` when skipped.
        """
        member = self.member_row(member_id)
        channel, recipient = self._route(member, channel, essential)
        if recipient is None:
            return None
        subject, body = self.render_message(template, member=member_info(member), **context)
        return self.outbox.queue(recipient=recipient, subject=subject, body=body,
                                 channel=channel, member_id=member_id, kind=kind, key=key,
                                 essential=essential)

    def _route(self, member: Any, channel: str | None, essential: bool
               ) -> tuple[str, str | None]:
        """``(channel, address)`` of a message to ``member``: the channel asked for, else
        the member's preferred one, else the default, and the address it needs (e-mail for
        smtp/file/console, phone for others, else whichever the member has); the address
        is ``None`` when the member has none or opted out of a message that is not
        essential."""
        channel = channel or member.preferred_channel or self.config.notify.default_channel
        if not essential and member.marketing_opt_out:
            return channel, None
        address = member.email if channel in ("smtp", "file", "console") else member.phone
        return channel, (address or member.email or member.phone or None)

    def notify_members(self, template: str, items: Iterable[tuple[int, str | None, dict]], /,
                       *, kind: str, essential: bool = True, channel: str | None = None
                       ) -> list[QueueResult | None]:
        """:meth:`notify_member` for many members at once (batch work, inside an action):
        ``items`` are ``(member id, key, context)``; one result per item, in order.

        The same messages, skips (``None``: no address, or opted out of a message that is
        not essential) and replays (a key queued before) as a loop of
        :meth:`notify_member`, with one query of members per chunk, the template looked up
        once (:meth:`render_messages`) and the messages queued by
        :meth:`Outbox.queue_many <dyncrm.notify.Outbox.queue_many>`.  Raises
        ``NotFoundError`` for an unknown member.
        """
        from dyncrm.db import bulk
        from dyncrm.notify import Message

        items = list(items)
        found = {values[0]: bulk.Row(_MEMBER_COLUMNS, values) for values in bulk.select_in(
            self.database, f"SELECT {', '.join(_MEMBER_COLUMNS)} FROM member WHERE id IN ({{in}})",
            sorted({member_id for member_id, _, _ in items}))}
        sending: list[tuple[int, str | None, str, str]] = []  # member, key, channel, address
        contexts: list[dict[str, Any]] = []
        slots: list[int | None] = []  # per item: its place in ``sending``, None when skipped
        for member_id, key, context in items:
            member = found.get(member_id)
            if member is None:
                raise NotFoundError("member", member_id)
            route, address = self._route(member, channel, essential)
            if address is None:
                slots.append(None)
                continue
            slots.append(len(sending))
            sending.append((member_id, key, route, address))
            contexts.append({**context, "member": member_info(member)})
        texts = self.render_messages(template, contexts)
        queued = self.outbox.queue_many([
            Message(recipient=address, subject=subject, body=body, channel=route,
                    member_id=member_id, kind=kind, key=key, essential=essential)
            for (member_id, key, route, address), (subject, body)
            in zip(sending, texts, strict=True)])
        return [None if slot is None else queued[slot] for slot in slots]


#: The member columns :meth:`CRM.notify_members` reads (what ``member_info`` needs).
_MEMBER_COLUMNS = ("id", "number", "name", "email", "phone", "stage", "joined_on", "left_on",
                   "preferred_channel", "marketing_opt_out")

#: Statement openings that change data (a ``WITH`` may, so it counts).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "MERGE")


def _channel_of(actor: Actor | str) -> str:
    """The channel an actor acted from; a bare user name (older plugin code) is ``unknown``."""
    return actor.channel if isinstance(actor, Actor) else "unknown"


def _supports_returning(database) -> bool:
    """True where ``INSERT ... RETURNING`` works: PostgreSQL, and SQLite from 3.35."""
    import sqlite3

    from peewee import SqliteDatabase

    if isinstance(database, SqliteDatabase):
        return sqlite3.sqlite_version_info >= (3, 35, 0)
    return bool(database.returning_clause)


def open_crm(config: Config | str | Path | None = None, **kwargs: Any) -> CRM:
    """Open a deployment from a :class:`Config` or a config file path."""
    if not isinstance(config, Config):
        config = load_config(config)
    return CRM(config, **kwargs)


__all__ = ["CRM", "Action", "open_crm"]

