"""``python -m benchmarks``: every job and its raw-SQL floor, on SQLite and PostgreSQL.

    python -m benchmarks --members 100000             # 10,000 and 100,000 members
    python -m benchmarks --members 10000 --only shu   # jobs whose name contains "shu"
    python -m benchmarks --backend sqlite             # SQLite only
    python -m benchmarks generate --members 100000 DIR   # a Koperasi XYZ year (generate.py)

Prints, per backend, one row per job and size: dyncrm's time (best of ``--repeat``), its
raw floor's, their ratio, whether both passed their result checks, the ``tracemalloc``
peaks, the growth of dyncrm's peak from the small size (``--members`` / 10) to the
large one, and the SQL statements each sent.  Worlds are built on SQLite and copied
into a throwaway PostgreSQL server (``backends.py``); by default both backends run
when the PostgreSQL server binaries are found.  See benchmarks/README.md.
"""

from __future__ import annotations

import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the jobs import harness, worlds as top-level modules

import backends  # noqa: E402
import click  # noqa: E402
import harness  # noqa: E402
import pairs  # noqa: E402
from run import build, load_jobs, world_key  # noqa: E402


def select_jobs(only: tuple[str, ...]) -> list[harness.Job]:
    """Registered jobs whose name contains one of ``only`` (all when empty), with the
    floors of the selected library jobs and the library jobs of selected floors."""
    load_jobs()
    names = set(harness.JOBS)
    chosen = {n for n in names if not only or any(word in n for word in only)}
    for lib, raw in pairs.pair_up(names):
        if raw and (lib in chosen or raw in chosen):
            chosen |= {lib, raw}
    return [harness.JOBS[n] for n in sorted(chosen)]


def choose_backends(backend: str) -> tuple[list[str], str | None]:
    """The backends to run and, when PostgreSQL was wanted but cannot run, why not."""
    if backend == backends.SQLITE:
        return [backends.SQLITE], None
    reason = backends.postgres_available()
    if backend == backends.POSTGRESQL:
        if reason:
            raise click.ClickException(f"PostgreSQL cannot run here: {reason}")
        return [backends.POSTGRESQL], None
    if backend == "all" and reason:
        raise click.ClickException(f"PostgreSQL cannot run here: {reason}")
    return ([backends.SQLITE] if reason else list(backends.BACKENDS)), reason


def machine() -> str:
    """One line describing where the run happened."""
    import os

    cores = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.machine()} {cores} cores, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average {load} at the end")


def run_benchmark(members: int, small: int, backend_names: list[str], jobs: list[harness.Job],
                  repeat: int, server=None) -> pairs.Results:
    """Build the worlds, measure every job at both sizes on every backend."""
    sizes = (small, members)
    groups: dict[tuple, list[harness.Job]] = {}
    for j in jobs:
        groups.setdefault(world_key(j), []).append(j)
    total = sum(len(backend_names) * len(sizes) * (1 + len(group))
                for group in groups.values())
    results: pairs.Results = {}
    with tempfile.TemporaryDirectory(prefix="dyncrm-bench-") as tmp, \
            click.progressbar(length=total, label="benchmarks", file=sys.stderr,
                              item_show_func=lambda item: item, show_pos=True) as bar:
        scratch = Path(tmp)
        for g, group in enumerate(groups.values()):
            first = group[0]
            for n in sizes:
                worlds: dict[str, harness.World] = {}
                bar.update(0, f"building {n:,} members ({first.name})")
                t0 = time.perf_counter()
                try:
                    worlds[backends.SQLITE] = build(scratch / f"g{g}-n{n}", n, first)
                    built = time.perf_counter() - t0
                    bar.update(1, f"built {n:,} in {built:.0f}s")
                    if backends.POSTGRESQL in backend_names:
                        bar.update(0, f"copying {n:,} members into PostgreSQL")
                        worlds[backends.POSTGRESQL] = backends.copy_world(
                            worlds[backends.SQLITE], server, first.enabled, first.plugins)
                        bar.update(1, f"copied {n:,}")
                except Exception as exc:  # a plugin not written yet, a world that fails
                    for j in group:
                        for b in backend_names:
                            results[(j.name, b, n)] = pairs.Result(j.name, b, n,
                                                                   error=_why(exc))
                    bar.update(len(backend_names) * (1 + len(group)) - len(worlds))
                    continue
                for b in backend_names:
                    for j in group:
                        bar.update(0, f"{b} {n:,} {j.name}")
                        try:
                            m = harness.measure(j, worlds[b], scratch, repeat=repeat)
                            results[(j.name, b, n)] = pairs.Result(j.name, b, n, m)
                        except Exception as exc:
                            results[(j.name, b, n)] = pairs.Result(j.name, b, n,
                                                                   error=_why(exc))
                        bar.update(1, f"{b} {n:,} {j.name}")
                        if not sys.stderr.isatty():  # a log instead of the bar's redraws
                            click.echo(_line(results[(j.name, b, n)]), err=True)
                if backends.POSTGRESQL in worlds:
                    backends.drop_database(worlds[backends.POSTGRESQL].url)
                import shutil

                shutil.rmtree(scratch / f"g{g}-n{n}", ignore_errors=True)
    return results


def _line(result: pairs.Result) -> str:
    """One measurement as a log line (when stderr is not a terminal)."""
    m = result.measurement
    what = (f"{m.seconds:.3f}s (cpu {m.cpu_seconds:.3f}s), peak {m.peak_bytes / 1024:.0f} KiB, "
            f"{m.queries} statements" if m else result.error)
    return f"{result.backend} {result.n:>7,} {result.job}: {what}"


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


@click.group(invoke_without_command=True, help=__doc__.split("\n\n")[0])
@click.option("--members", type=click.IntRange(10), default=10_000, show_default=True,
              help="Members of the large world; the small one has a tenth.")
@click.option("--small", type=click.IntRange(1), default=None,
              help="Members of the small world (default: --members / 10).")
@click.option("--backend", type=click.Choice(["auto", "all", *backends.BACKENDS]),
              default="auto", show_default=True,
              help="auto: SQLite, and PostgreSQL too when its server binaries are found.")
@click.option("--only", multiple=True, metavar="WORD",
              help="Jobs whose name contains WORD (repeatable); floors come with their jobs.")
@click.option("--repeat", type=click.IntRange(1), default=3, show_default=True,
              help="Timed runs per read-only job; the best is kept.")
@click.option("--markdown", is_flag=True, help="Print the tables as Markdown.")
@click.option("--list", "list_only", is_flag=True, help="List the jobs and their floors.")
@click.pass_context
def main(ctx: click.Context, members: int, small: int | None, backend: str,
         only: tuple[str, ...], repeat: int, markdown: bool, list_only: bool) -> None:
    """Measure every job next to its raw-SQL floor at two sizes, on each backend."""
    if ctx.invoked_subcommand is not None:
        return
    jobs = select_jobs(only)
    if list_only:
        for lib, raw in pairs.pair_up(j.name for j in jobs):
            click.echo(f"{lib:<34} {raw or '(no raw floor)'}")
        return
    if not jobs:
        raise click.ClickException("no benchmark job matches")
    names, reason = choose_backends(backend)
    if reason and backend == "auto":
        click.echo(f"PostgreSQL skipped: {reason}", err=True)
    small = small or max(members // 10, 1)
    started = time.perf_counter()
    if backends.POSTGRESQL in names:
        with backends.postgres_server() as server:
            results = run_benchmark(members, small, names, jobs, repeat, server)
    else:
        results = run_benchmark(members, small, names, jobs, repeat)
    for b in names:
        click.echo(f"\n{b}: {small:,} and {members:,} members\n")
        click.echo(pairs.table(results, b, (small, members), markdown=markdown))
    click.echo(f"\n{machine()}; {time.perf_counter() - started:.0f}s in all.")
    failed = sorted({f"{r.job} ({r.backend}, {r.n:,}): {r.error}" for r in results.values()
                     if r.error})
    for line in failed:
        click.echo(f"failed: {line}")
    ctx.exit(1 if failed else 0)


@main.command("generate")
@click.option("--members", type=click.IntRange(10), default=100_000, show_default=True)
@click.option("--seed", type=int, default=2025, show_default=True)
@click.option("--force", is_flag=True, help="Replace a deployment already in DIR.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def generate_cmd(members: int, seed: int, force: bool, directory: Path) -> None:
    """Generate a Koperasi XYZ year of MEMBERS members in DIR through the library's
    public bulk paths (see benchmarks/generate.py)."""
    import generate

    generate.main(directory, members=members, seed=seed, force=force)


if __name__ == "__main__":
    main(prog_name="python -m benchmarks")
