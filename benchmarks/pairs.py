"""Library jobs next to their raw-SQL floors: pairing, results and the comparison table.

A floor is the job named like its library job with `` raw`` at the end
(``reminders.plan`` / ``reminders.plan raw``), or, when the library job's name has one
more word, the one job sharing the rest (``shu.compute draft`` / ``shu.compute raw``).
Each job checks its own result (against what the world implies, and the floors of
``shu`` and ``payroll_list`` against the other job's digest); a check that fails
raises, and the table shows it instead of a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import harness


def floor_of(name: str, names: Iterable[str]) -> str | None:
    """The raw floor of the library job ``name`` among ``names``, if it has one."""
    names = set(names)
    if name.endswith(" raw"):
        return None
    if f"{name} raw" in names:
        return f"{name} raw"
    base = name.rsplit(" ", 1)[0]
    if base != name and f"{base} raw" in names and base not in names:
        siblings = [n for n in names if n.startswith(base + " ") and not n.endswith(" raw")]
        if siblings == [name]:
            return f"{base} raw"
    return None


def pair_up(names: Iterable[str]) -> list[tuple[str, str | None]]:
    """``(library job, its floor or None)`` for every non-raw job in ``names``, sorted;
    a floor whose library job is not among ``names`` stands alone."""
    names = sorted(set(names))
    pairs = [(n, floor_of(n, names)) for n in names if not n.endswith(" raw")]
    paired = {raw for _, raw in pairs if raw}
    pairs += [(n, None) for n in names if n.endswith(" raw") and n not in paired]
    return sorted(pairs)


@dataclass(frozen=True)
class Result:
    """One job at one size on one backend: its measurement, or the error it raised."""

    job: str
    backend: str
    n: int
    measurement: harness.Measurement | None = None
    error: str | None = None


Results = dict[tuple[str, str, int], Result]


def _secs(value: float) -> str:
    return f"{value * 1000:.1f}ms" if value < 1 else f"{value:.2f}s"


def _size(value: int) -> str:
    if value < 1024 * 1024:
        return f"{value / 1024:.0f}KiB"
    return f"{value / 1024 / 1024:.1f}MiB"


def _cell(result: Result | None, what: str) -> str:
    if result is None:
        return ""
    if result.measurement is None:
        return "FAILED"
    m = result.measurement
    return {"time": _secs(m.seconds), "peak": _size(m.peak_bytes),
            "sql": str(m.queries)}[what]


def verdict(lib: Result | None, raw: Result | None) -> str:
    """``ok`` when the job (and its floor) ran and passed their result checks."""
    if lib is None:
        return "not run"
    if lib.error:
        return "FAIL: " + lib.error[:60]
    if raw is not None and raw.error:
        return "FAIL (raw): " + raw.error[:54]
    return "identical" if raw is not None else "ok"


def table(results: Results, backend: str, sizes: tuple[int, int], *,
          markdown: bool = False) -> str:
    """Per job and size: dyncrm time, raw time, ratio, result check, peaks, statements;
    the large size's row ends with the growth of dyncrm's peak (large / small)."""
    names = {job for job, b, _ in results if b == backend}
    head = ("job", "members", "dyncrm", "raw", "ratio", "cpu ratio", "result", "peak",
            "peak raw", "peak growth", "sql", "sql raw")
    rows: list[tuple[str, ...]] = []
    for lib_name, raw_name in pair_up(names):
        for n in sizes:
            lib = results.get((lib_name, backend, n))
            raw = results.get((raw_name, backend, n)) if raw_name else None
            ratio = cpu = ""
            if lib and raw and lib.measurement and raw.measurement:
                ratio = f"{lib.measurement.seconds / max(raw.measurement.seconds, 1e-9):.2f}x"
                if lib.measurement.cpu_seconds and raw.measurement.cpu_seconds:
                    cpu = f"{lib.measurement.cpu_seconds / raw.measurement.cpu_seconds:.2f}x"
            growth = ""
            small = results.get((lib_name, backend, sizes[0]))
            if n == sizes[1] and lib and lib.measurement and small and small.measurement:
                grew = lib.measurement.peak_bytes / max(small.measurement.peak_bytes, 1)
                growth = f"{grew:.1f}x"
            rows.append((lib_name, f"{n:,}", _cell(lib, "time"), _cell(raw, "time"), ratio,
                         cpu, verdict(lib, raw), _cell(lib, "peak"), _cell(raw, "peak"), growth,
                         _cell(lib, "sql"), _cell(raw, "sql")))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    left = {0, 6}

    def fmt(row):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    lines = [fmt(head), "-" * len(fmt(head))] + [fmt(r) for r in rows]
    return "\n".join(lines)


__all__ = ["Result", "Results", "floor_of", "pair_up", "table", "verdict"]
