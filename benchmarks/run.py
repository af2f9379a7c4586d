"""Run the benchmark jobs at N and factor×N members and print the ratio table.

    python benchmarks/run.py                  # every job, N=1000 and 10000
    python benchmarks/run.py -n 200 -k 5      # N=200 and 1000
    python benchmarks/run.py ledger           # only jobs whose name contains "ledger"
    python benchmarks/run.py --list           # the registered jobs
    python benchmarks/run.py --check          # exit 1 when a ratio exceeds its bound

Jobs live in benchmarks/jobs/*.py (every module there is imported); a job is one
function decorated with ``harness.job``.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402

from dyncrm.errors import DyncrmError  # noqa: E402


def load_jobs(folder: Path = HERE / "jobs") -> None:
    """Import every ``jobs/*.py`` module so its ``@job`` functions register."""
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"benchmark_jobs.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def world_key(job: harness.Job) -> tuple:
    """Jobs with the same plugins, settings and preparation share a world per size."""
    return (job.enabled, json.dumps(job.plugins, sort_keys=True, default=str), job.prepare)


def build(directory: Path, n: int, job: harness.Job) -> harness.World:
    """The world of ``n`` members that ``job`` (and its group) runs on."""
    world = harness.generate_world(directory, n, enabled=job.enabled, plugins=job.plugins)
    if job.prepare is not None:
        crm = harness.open_world(world, job.enabled, job.plugins)
        try:
            job.prepare(crm, world)
        finally:
            crm.close()
    return world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filters", nargs="*", help="run jobs whose name contains one of these")
    parser.add_argument("-n", type=int, default=1000, help="members in the small world")
    parser.add_argument("-k", "--factor", type=int, default=10,
                        help="the large world has factor×N members")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per read-only job; the best is kept")
    parser.add_argument("--list", action="store_true", help="list jobs and exit")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a ratio is beyond what the job expects")
    args = parser.parse_args(argv)

    load_jobs()
    jobs = [j for name, j in sorted(harness.JOBS.items())
            if not args.filters or any(f in name for f in args.filters)]
    if args.list:
        for j in jobs:
            plugins = f"  [{', '.join(j.enabled)}]" if j.enabled else ""
            print(f"{j.name:<34} time {j.time_growth}, memory {j.memory_growth}, "
                  f"sql {j.queries}"
                  f"{plugins}  {j.description}")
        return 0
    if not jobs:
        print("no benchmark job matches", file=sys.stderr)
        return 2

    groups: dict[tuple, list[harness.Job]] = {}
    for j in jobs:
        groups.setdefault(world_key(j), []).append(j)
    comparisons: list[harness.Comparison] = []
    skipped: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="dyncrm-bench-") as tmp:
        scratch = Path(tmp)
        for g, group in enumerate(groups.values()):
            first = group[0]
            worlds = {}
            try:
                for n in (args.n, args.n * args.factor):
                    t0 = time.perf_counter()
                    worlds[n] = build(scratch / f"g{g}-n{n}", n, first)
                    print(f"built world of {n} members ({', '.join(first.enabled) or 'core'}) "
                          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
            except DyncrmError as exc:  # e.g. a plugin that is not written yet
                skipped += [(j.name, str(exc)) for j in group]
                continue
            for j in group:
                small = harness.measure(j, worlds[args.n], scratch, repeat=args.repeat)
                large = harness.measure(j, worlds[args.n * args.factor], scratch,
                                        repeat=args.repeat)
                comparisons.append(harness.Comparison(j, small, large, args.factor))
                print(f"measured {j.name}", file=sys.stderr)
    print(harness.report(comparisons))
    for name, reason in skipped:
        print(f"skipped {name}: {reason}")
    if args.check and (skipped or not all(c.ok for c in comparisons)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
