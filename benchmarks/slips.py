"""Issuing a year's SHU slips: the time per slip and the memory, with and without the font
programs cut down once per glyph set (:mod:`dyncrm.pdf_subsets`), in one run.

``python benchmarks/slips.py -n 2000`` builds a Koperasi world of ``-n`` members, enters,
approves and posts its SHU of 2025 (as the ``shu.post`` job prepares it), then issues the
slips twice on two copies of it (``koperasi_xyz.shu.issued.issue``: every member's slip
rendered into a temporary folder and archived): once with fpdf2 cutting the font down for
each document itself, once as dyncrm does.  It prints the time per slip of each, their
ratio, the ``tracemalloc`` peak of each and the bytes archived.  The two runs archive the
same slips but for the moment each was printed (the PDFs' creation dates); that the PDFs
are otherwise byte for byte the same is ``tests/core/test_pdf_subsets.py``'s to show.

Not part of ``python -m benchmarks``: there is no raw-SQL floor for drawing PDFs, and
10,000 slips take minutes.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script

import harness
from worlds import ENABLED, PLUGINS


def _fpdf2s_own_map(font, source, data):
    """fpdf2's own glyph map: the font cut down by fpdf2 for each document."""
    from fpdf.fonts import SubsetMap

    return SubsetMap(font)


def issue_on(world, scratch: Path, *, per_document: bool, memory: bool = False
             ) -> tuple[float, int, int, int]:
    """Issue the slips on a copy of ``world``: seconds, slips, the ``tracemalloc`` peak
    (when ``memory``: the run is then slower) and the bytes archived."""
    from dyncrm import pdf_subsets
    from dyncrm.values import Actor
    from koperasi_xyz.shu import issued

    ours = pdf_subsets.subset_map
    if per_document:
        pdf_subsets.subset_map = _fpdf2s_own_map
    pdf_subsets.clear()
    try:
        with harness.world_copy(world, scratch) as copy:
            crm = harness.open_world(copy, ENABLED, PLUGINS)
            try:
                gc.collect()
                if memory:
                    tracemalloc.start()
                t0 = time.perf_counter()
                done = issued.issue(crm, Actor("ketua", frozenset({"admin"})), 2025)
                seconds = time.perf_counter() - t0
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
                crm.close()
    finally:
        pdf_subsets.subset_map = ours
    return seconds, done.count, peak, sum(f.size for f in done.archived.files)


def main(argv: list[str] | None = None) -> int:
    """Time issuing the slips of a world of ``-n`` members, with the font cut down per
    document and per glyph set; with ``--memory`` also the peak of the latter."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "jobs"))
    import shu

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--memory", action="store_true",
                        help="issue once more with tracemalloc on, for the peak")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dyncrm-slips-") as tmp:
        scratch = Path(tmp)
        world = harness.generate_world(scratch / "world", args.n, enabled=ENABLED,
                                       plugins=PLUGINS)
        crm = harness.open_world(world, ENABLED, PLUGINS)
        try:
            shu._prepare_shu_approved(crm, world)
            shu.post(crm, world)
        finally:
            crm.close()
        runs = {name: issue_on(world, scratch, per_document=name == "per document")
                for name in ("per document", "per glyph set")}
        peak = issue_on(world, scratch, per_document=False, memory=True)[2] \
            if args.memory else None
    for name, (seconds, count, _, size) in runs.items():
        print(f"font cut down {name:<14} {count:,} slips in {seconds:7.1f} s: "
              f"{seconds / count * 1000:5.1f} ms a slip, archived {size / 2**20:6.1f} MiB")
    before, after = runs["per document"][0], runs["per glyph set"][0]
    print(f"per glyph set / per document: {after / before:.2f}x the time")
    if peak is not None:
        print(f"tracemalloc peak of issuing them: {peak / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
