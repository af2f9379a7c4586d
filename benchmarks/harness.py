"""Benchmark harness: synthetic deployments at N and factor×N members, jobs timed on each.

A *job* is one function ``fn(crm, world)`` registered with :func:`job`; the
harness builds a synthetic deployment (a :class:`World`) at each size with
set-based inserts, runs the job on a fresh copy of it, and reports how time and
peak memory grow between the sizes.  Absolute numbers depend on the machine;
the ratios measured in one run on one machine do not, which is why they are
what we look at.  See README.md.
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dyncrm.app import CRM
from dyncrm.config import config_from_dict
from dyncrm.db.models import Account, Member

#: How a measurement may grow when the data grows by ``factor``: the allowed
#: ratio is ``bound(factor)``.  "linear" allows twice the factor for noise.
GROWTH: dict[str, Callable[[int], float]] = {
    "flat": lambda factor: 3.0,
    "linear": lambda factor: 2.0 * factor,
    "nlogn": lambda factor: 3.0 * factor,
}

ORGANISATION = {"name": "Koperasi Benchmark", "currency": "IDR", "currency_exponent": 0,
                "locale": "id_ID", "timezone": "Asia/Jakarta"}

#: Savings kinds every synthetic member holds, with a monthly deposit in rupiah.
SAVINGS = {"savings.pokok": 100_000, "savings.wajib": 25_000, "savings.sukarela": 50_000}
CHUNK = 500
#: A set-based job issues fewer than one extra SQL statement per this many extra
#: members (statements chunked by 500 ids pass; one per member does not).
QUERY_ROWS = 100
QUERY_GROWTH = ("set", "per_row")


# --- jobs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One thing to time: ``run(crm, world)``, with what it needs to find in the world."""

    name: str
    run: Callable[[CRM, World], Any]
    enabled: tuple[str, ...] = ()
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    prepare: Callable[[CRM, World], Any] | None = None
    writes: bool = False
    time_growth: str = "linear"
    memory_growth: str = "flat"
    queries: str = "set"
    description: str = ""
    #: At least this many timed runs (a job of a few milliseconds is timed as ``timeit``
    #: does, best of many, so one run slowed by a busy machine does not decide its time).
    min_runs: int = 1


JOBS: dict[str, Job] = {}


def job(name: str, *, enabled: Iterable[str] = (), plugins: dict | None = None,
        prepare: Callable[[CRM, World], Any] | None = None, writes: bool = False,
        time_growth: str = "linear", memory_growth: str = "flat",
        queries: str = "set", min_runs: int = 1) -> Callable:
    """Register ``fn(crm, world)`` as a benchmark job.

    :param enabled: plugins the job needs (its worlds are built with them).
    :param plugins: their config sections, e.g. ``{"expand.savings": {...}}``.
    :param prepare: ``prepare(crm, world)`` adds the job's own data (untimed,
        once per size, before any copy is taken); use set-based inserts.
    :param writes: the job changes data (e.g. queues reminders): it is timed
        once per fresh copy instead of taking the best of several runs.
    :param time_growth: expected growth of run time: ``flat``, ``linear``, ``nlogn``.
    :param memory_growth: expected growth of the tracemalloc peak.
    :param queries: ``set`` (default): the number of SQL statements may grow by
        less than one per :data:`QUERY_ROWS` extra members; ``per_row`` for work
        that is one small transaction per item by design (queueing reminders).
    :param min_runs: time at least this many runs, best of them (for jobs of a few
        milliseconds; ``--repeat`` is used when larger).
    """
    for growth in (time_growth, memory_growth):
        if growth not in GROWTH:
            raise ValueError(f"growth must be one of {', '.join(GROWTH)}, not {growth!r}")
    if queries not in QUERY_GROWTH:
        raise ValueError(f"queries must be one of {', '.join(QUERY_GROWTH)}, not {queries!r}")

    def register(fn: Callable[[CRM, World], Any]) -> Callable[[CRM, World], Any]:
        if name in JOBS:
            raise ValueError(f"benchmark job {name!r} is registered twice")
        JOBS[name] = Job(name=name, run=fn, enabled=tuple(enabled), plugins=dict(plugins or {}),
                         prepare=prepare, writes=writes, time_growth=time_growth,
                         memory_growth=memory_growth, queries=queries, min_runs=min_runs,
                         description=(fn.__doc__ or "").strip().splitlines()[0]
                         if fn.__doc__ else "")
        return fn

    return register


# --- worlds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """A synthetic deployment: ``n`` active members with a year of savings deposits."""

    n: int
    directory: Path
    member_ids: tuple[int, ...]
    start: dt.date
    end: dt.date
    months: int
    #: The database URL when the world lives on a server (PostgreSQL, see
    #: ``backends.py``); ``None`` for the SQLite file :attr:`database`.
    url: str | None = None

    @property
    def database(self) -> Path:
        """The SQLite file (the world as built, also when ``url`` names a copy on a server)."""
        return self.directory / "crm.db"


def build_config(directory: Path, enabled: Iterable[str] = (), plugins: dict | None = None,
                 url: str | None = None):
    """The Config of a benchmark deployment living in ``directory`` (on the SQLite file
    there, or on the database at ``url``)."""
    raw = {
        "organisation": dict(ORGANISATION),
        "database": {"url": url or f"sqlite:///{directory / 'crm.db'}"},
        "plugins": {"enabled": list(enabled), **(plugins or {})},
        "notify": {"default_channel": "file", "file_directory": "outbox"},
    }
    return config_from_dict(raw, base_dir=directory)


def open_world(world: World, enabled: Iterable[str] = (), plugins: dict | None = None) -> CRM:
    """Open the CRM of ``world`` (the caller closes it)."""
    return CRM(build_config(world.directory, enabled, plugins, world.url))


def insert_rows(model, rows: list[dict], chunk: int = CHUNK) -> None:
    """Multi-row inserts of ``rows`` into ``model``, in chunks the database accepts
    (for job data computed in Python; prefer ``INSERT ... SELECT`` when SQL can)."""
    for i in range(0, len(rows), chunk):
        model.insert_many(rows[i:i + chunk]).execute()


def values_cte(name: str, columns: Iterable[str], rows: list[tuple]) -> tuple[str, list]:
    """``name(cols) AS (VALUES (?, ?), ...)`` and its parameters, for set-based inserts."""
    cols = list(columns)
    marks = ", ".join("(" + ", ".join("?" * len(cols)) + ")" for _ in rows)
    return f"{name}({', '.join(cols)}) AS (VALUES {marks})", [v for r in rows for v in r]


def generate_world(directory: Path, n: int, *, enabled: Iterable[str] = (),
                   plugins: dict | None = None, months: int = 12,
                   start: dt.date = dt.date(2025, 1, 1)) -> World:
    """Build a deployment of ``n`` active members, each with one account per kind in
    :data:`SAVINGS` and a deposit into each every month for ``months`` months.

    Set-based: four ``INSERT ... SELECT`` statements (members from a recursive
    sequence, accounts and entries as cross joins, postings by joining entries
    to accounts) in one transaction, whatever ``n`` is.  Every member deposits
    the same amounts, so totals are predictable (jobs may check them).
    SQLite only (the SQL relies on its text dates).
    """
    directory.mkdir(parents=True, exist_ok=True)
    crm = CRM(build_config(directory, enabled, plugins))
    try:
        crm.upgrade()
        db = crm.database
        now = dt.datetime(start.year, start.month, start.day, 8, 0)
        kinds, kind_params = values_cte("k", ("kind", "amount"), list(SAVINGS.items()))
        month_rows = [(m, _add_months(start, m).isoformat()) for m in range(months)]
        month_cte, month_params = values_cte("mo", ("n", "d"), month_rows)
        with db.atomic():
            cash = crm.ledger.open_account("cash", type="asset")
            cash_id = Account.get(Account.code == cash).id
            first_member = (Member.select(Member.id).order_by(Member.id.desc()).scalar() or 0)
            db.execute_sql(
                "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq "
                "WHERE i < ?) "
                "INSERT INTO member (number, name, email, stage, marketing_opt_out, "
                "joined_on, created_at) "
                "SELECT printf('B-%06d', i), 'Anggota ' || i, 'm' || i || '@example.org', "
                "'active', 0, ?, ? FROM seq",
                [n, start.isoformat(), str(now)])
            db.execute_sql(
                f"WITH {kinds} "
                "INSERT INTO account (code, name, type, kind, member_id, commodity) "
                "SELECT k.kind || ':m' || m.id, k.kind || ' of ' || m.number, 'liability', "
                "k.kind, m.id, ? FROM member m CROSS JOIN k WHERE m.id > ? "
                "ORDER BY m.id, k.kind",
                [*kind_params, crm.currency, first_member])
            db.execute_sql(
                f"WITH {kinds}, {month_cte} "
                "INSERT INTO journal_entry (key, kind, memo, effective_date, recorded_at, "
                "actor, member_id, meta) "
                "SELECT 'bench:' || k.kind || ':' || m.id || ':' || mo.n, 'savings.deposit', "
                "k.kind, mo.d, ?, 'benchmark', m.id, '{}' "
                "FROM mo CROSS JOIN member m CROSS JOIN k WHERE m.id > ? "
                "ORDER BY mo.n, m.id, k.kind",
                [*kind_params, *month_params, str(now), first_member])
            db.execute_sql(
                f"WITH {kinds} "
                "INSERT INTO posting (entry_id, account_id, amount, commodity) "
                "SELECT e.id, ?, k.amount, ? FROM journal_entry e JOIN k ON k.kind = e.memo "
                "WHERE e.actor = 'benchmark' AND e.member_id > ? "
                "UNION ALL "
                "SELECT e.id, a.id, -k.amount, ? FROM journal_entry e "
                "JOIN k ON k.kind = e.memo "
                "JOIN account a ON a.member_id = e.member_id AND a.kind = e.memo "
                "WHERE e.actor = 'benchmark' AND e.member_id > ?",
                [*kind_params, cash_id, crm.currency, first_member, crm.currency,
                 first_member])
        member_ids = tuple(m.id for m in Member.select(Member.id).where(Member.id > first_member)
                           .order_by(Member.id))
        world = World(n=n, directory=directory, member_ids=member_ids, start=start,
                      end=_add_months(start, months - 1), months=months)
    finally:
        crm.close()  # the last connection closing folds the WAL into the file
    return world


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1, day=min(day.day, 28))


@contextmanager
def world_copy(world: World, scratch: Path) -> Iterator[World]:
    """A throwaway copy of ``world`` (its database file and folder), for a writing run.

    On a server (``world.url``) the copy is a database created from the world's as a
    template (``backends.clone_database``), dropped afterwards.
    """
    target = Path(tempfile.mkdtemp(prefix=f"n{world.n}-", dir=scratch))
    url = None
    try:
        if world.url:
            import backends

            url = backends.clone_database(world.url)
        else:
            shutil.copy2(world.database, target / "crm.db")
        yield World(n=world.n, directory=target, member_ids=world.member_ids,
                    start=world.start, end=world.end, months=world.months, url=url)
    finally:
        if url:
            import backends

            backends.drop_database(url)
        shutil.rmtree(target, ignore_errors=True)


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """Run time (best of the runs), tracemalloc peak and SQL statements of one job
    at one size."""

    job: str
    n: int
    seconds: float
    peak_bytes: int
    runs: int
    queries: int = 0
    #: CPU time of this process in the best run by CPU (``time.process_time``): on SQLite
    #: all of the work, much less disturbed than wall time by other work on the machine;
    #: on a server only the client's share.
    cpu_seconds: float = 0.0


@contextmanager
def counting_queries(crm: CRM) -> Iterator[list[int]]:
    """Count the SQL statements ``crm`` sends while the block runs (``counter[0]``).

    Every peewee query goes through ``Database.execute_sql``; the wrapper is set
    on the database object itself and removed afterwards.
    """
    database = crm.database
    original = database.execute_sql
    counter = [0]

    def execute_sql(sql, params=None, *args, **kwargs):
        counter[0] += 1
        return original(sql, params, *args, **kwargs)

    wrapped = "execute_sql" in vars(database)  # e.g. backends.portable_raw_sql
    database.execute_sql = execute_sql
    try:
        yield counter
    finally:
        if wrapped:
            database.execute_sql = original
        else:
            del database.execute_sql


def is_raw(job_: Job) -> bool:
    """A raw-SQL floor: its name is its library job's followed by `` raw``."""
    return job_.name.endswith(" raw")


def _open_for(job_: Job, world: World) -> CRM:
    crm = open_world(world, job_.enabled, job_.plugins)
    if world.url and is_raw(job_):
        import backends

        backends.portable_raw_sql(crm)
    return crm


def measure(job_: Job, world: World, scratch: Path, *, repeat: int = 3) -> Measurement:
    """Time ``job_`` on copies of ``world``, then measure its peak memory and count its
    SQL statements on another copy."""
    times, cpus = [], []
    runs = 1 if job_.writes else max(repeat, job_.min_runs)
    with world_copy(world, scratch) as copy:
        crm = _open_for(job_, copy)
        try:
            for _ in range(runs):
                gc.collect()
                # what the harness holds (worlds' lists, a floor's rows) is left out of
                # the collections the timed run triggers: they walk the job's objects only
                gc.freeze()
                try:
                    t0, c0 = time.perf_counter(), time.process_time()
                    job_.run(crm, copy)
                    times.append(time.perf_counter() - t0)
                    cpus.append(time.process_time() - c0)
                finally:
                    gc.unfreeze()
        finally:
            crm.close()
    with world_copy(world, scratch) as copy:
        crm = _open_for(job_, copy)
        try:
            gc.collect()
            with counting_queries(crm) as queries:
                tracemalloc.start()
                tracemalloc.reset_peak()
                job_.run(crm, copy)
                _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            crm.close()
    return Measurement(job=job_.name, n=world.n, seconds=min(times), peak_bytes=peak,
                       runs=len(times), queries=queries[0], cpu_seconds=min(cpus))


@dataclass(frozen=True)
class Comparison:
    """A job at two sizes, and whether the growth is within what the job expects."""

    job: Job
    small: Measurement
    large: Measurement
    factor: int

    @property
    def time_ratio(self) -> float:
        return self.large.seconds / max(self.small.seconds, 1e-9)

    @property
    def memory_ratio(self) -> float:
        return self.large.peak_bytes / max(self.small.peak_bytes, 1)

    @property
    def time_ok(self) -> bool:
        return self.time_ratio <= GROWTH[self.job.time_growth](self.factor)

    @property
    def memory_ok(self) -> bool:
        return self.memory_ratio <= GROWTH[self.job.memory_growth](self.factor)

    @property
    def queries_ok(self) -> bool:
        """Fewer than one extra statement per ``QUERY_ROWS`` extra members (``set`` jobs)."""
        if self.job.queries == "per_row":
            return True
        extra_members = max(self.large.n - self.small.n, 1)
        return (self.large.queries - self.small.queries) * QUERY_ROWS < extra_members

    @property
    def ok(self) -> bool:
        """Time, memory and statement count all within what the job expects."""
        return self.time_ok and self.memory_ok and self.queries_ok


def report(comparisons: list[Comparison]) -> str:
    """The ratio table, one line per job (``sql``: statements sent at N and at kN)."""
    head = (f"{'job':<34} {'N':>7} {'time N':>9} {'time kN':>9} {'ratio':>7} {'expect':>7} "
            f"{'peak N':>9} {'peak kN':>9} {'ratio':>7} {'expect':>7} {'sql N':>6} "
            f"{'sql kN':>6}  verdict")
    lines = [head, "-" * len(head)]
    for c in comparisons:
        verdict = "ok" if c.ok else "CHECK " + ", ".join(
            w for w, ok in (("time", c.time_ok), ("memory", c.memory_ok),
                            ("queries", c.queries_ok)) if not ok)
        if c.job.queries == "per_row" and verdict == "ok":
            verdict = "ok (per row)"
        lines.append(
            f"{c.job.name:<34} {c.small.n:>7} {_secs(c.small.seconds):>9} "
            f"{_secs(c.large.seconds):>9} {c.time_ratio:>6.1f}x {c.job.time_growth:>7} "
            f"{_kib(c.small.peak_bytes):>9} {_kib(c.large.peak_bytes):>9} "
            f"{c.memory_ratio:>6.1f}x {c.job.memory_growth:>7} {c.small.queries:>6} "
            f"{c.large.queries:>6}  {verdict}")
    if comparisons:
        factor = comparisons[0].factor
        lines.append("")
        lines.append(f"kN = {factor}×N. Expected ratios: linear ≈ {factor}x (flagged above "
                     f"{GROWTH['linear'](factor):.0f}x), flat ≈ 1x (flagged above "
                     f"{GROWTH['flat'](factor):.0f}x); sql grows by less than one "
                     f"statement per {QUERY_ROWS} extra members unless the job is per row.")
    return "\n".join(lines)


def _secs(value: float) -> str:
    return f"{value * 1000:.1f}ms" if value < 1 else f"{value:.2f}s"


def _kib(value: int) -> str:
    return f"{value / 1024:.0f}KiB" if value < 10 * 1024 * 1024 else \
        f"{value / 1024 / 1024:.1f}MiB"


__all__ = ["GROWTH", "JOBS", "QUERY_ROWS", "SAVINGS", "Comparison", "Job", "Measurement",
           "World", "build_config", "counting_queries", "generate_world", "insert_rows", "is_raw",
           "job", "measure", "open_world", "report", "world_copy"]
