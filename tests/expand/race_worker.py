"""What each process of the race tests runs (no tests of its own).

:func:`run_racers` starts N real processes (``spawn``: nothing is inherited but
the configuration), lets them start together at a barrier, and collects what
every operation came to.  Each process opens the deployment itself, as a second
cashier's computer or a cron job would, and runs its list of operations through
the plugins' library API.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections import Counter
from typing import Any

#: How long a race may take before the test gives up on it (seconds).
RACE_TIMEOUT = 120


def perform(crm, actor, op: tuple) -> tuple:
    """Run one operation; ``("ok", replayed)``, ``("refused", class, message)`` or
    ``("crash", traceback)`` for anything that is not a ``DyncrmError``."""
    from dyncrm.errors import DyncrmError
    from dyncrm_expand import loans, rewards, savings

    kind, *args = op
    try:
        if kind == "deposit":
            member_id, amount, reference = args
            result = savings.deposit(crm, actor, member_id, "sukarela", crm.money(amount),
                                     method="cash", reference=reference)
        elif kind == "withdraw":
            member_id, amount, reference = args
            result = savings.withdraw(crm, actor, member_id, crm.money(amount),
                                      reference=reference)
        elif kind == "debit":  # a program funding a product from sukarela
            member_id, amount, reference = args
            result = savings.debit_sukarela(crm, actor, member_id, crm.money(amount),
                                            reference=reference,
                                            target_account="deposito.principal")
        elif kind == "redeem":
            member_id, item, reference = args
            result = rewards.redeem(crm, actor, member_id, item, reference=reference)
        elif kind == "approve":
            (loan_id,) = args
            loans.approve(crm, actor, loan_id, reason="approved at the counter")
            return ("ok", False)
        elif kind == "disburse":
            loan_id, reference = args
            result = loans.disburse(crm, actor, loan_id, method="cash", reference=reference)
        elif kind == "seal":  # the same list archived from two desks at once
            key, text = args
            from dyncrm import archive

            result = archive.seal(crm, actor, "race.list", key,
                                  [archive.Document("list.csv", text.encode(), "text/csv")])
        else:  # pragma: no cover - a mistake in the test itself
            raise AssertionError(f"unknown operation {kind!r}")
        return ("ok", bool(result.replayed))
    except DyncrmError as exc:
        return ("refused", type(exc).__name__, str(exc))
    except Exception:
        return ("crash", traceback.format_exc())


def racer(config, username: str, ops: list[tuple], barrier, results) -> None:
    """One process: open the deployment, wait for the others, run ``ops``."""
    from dyncrm.app import CRM

    outcomes: list[tuple] = []
    try:
        crm = CRM(config)
        actor = crm.actor(username)
        crm.ledger.exponent(crm.currency)  # warm up before the start
    except Exception:
        barrier.abort()  # the others need not wait for a process that cannot start
        results.put((os.getpid(), [(("process",), ("crash", traceback.format_exc()))]))
        return
    try:
        barrier.wait(RACE_TIMEOUT)
        for op in ops:
            outcomes.append((op, perform(crm, actor, op)))
        crm.close()
    except Exception:
        outcomes.append((("process",), ("crash", traceback.format_exc())))
    results.put((os.getpid(), outcomes))


def run_racers(config, username: str, plans: list[list[tuple]]) -> tuple[list[tuple], float]:
    """Run one process per plan at the same time; every ``(op, outcome)`` and the seconds
    the race took (from the barrier to the last result)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(plans) + 1), ctx.Queue()
    procs = [ctx.Process(target=racer, args=(config, username, plan, barrier, results),
                         daemon=True) for plan in plans]
    for p in procs:
        p.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(RACE_TIMEOUT)  # broken when a process cannot start: its report says why
    started = time.monotonic()
    collected: list[tuple] = []
    try:
        for _ in procs:
            _pid, outcomes = results.get(timeout=RACE_TIMEOUT)
            collected.extend(outcomes)
    except queue.Empty:
        raise AssertionError("a racing process did not report back") from None
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    return collected, time.monotonic() - started


def tally(outcomes: list[tuple], kind: str) -> Counter:
    """How the operations of ``kind`` ended: ``ok``, ``replayed``, refusal class, crash."""
    counts: Counter = Counter()
    for op, outcome in outcomes:
        if op[0] != kind:
            continue
        if outcome[0] == "ok":
            counts["replayed" if outcome[1] else "ok"] += 1
        else:
            counts[outcome[1] if outcome[0] == "refused" else "crash"] += 1
    return counts


def crashes(outcomes: list[tuple]) -> list[Any]:
    """Every operation that ended in something other than a result or a DyncrmError."""
    return [(op, outcome[1]) for op, outcome in outcomes if outcome[0] == "crash"]
