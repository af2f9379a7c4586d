"""Batch work with Python's cycle collector paused.

A batch that builds hundreds of thousands of objects and keeps them until it ends (a
payroll import keeps every line for its report, its postings and its receipts) makes
Python's cycle collector walk them over and over: it runs after every few hundred new
objects, and every so often through all of them.  Measured on the 100,000-line payroll
import, that was 9 of its 41 seconds, finding nothing to free.  Objects are still freed
as soon as nothing refers to them (reference counting); only garbage that refers to
itself waits until the batch ends, when the collector runs again.

:func:`gc_paused` is for batch entry points, around one action; not for small actions
(a web request), which gain nothing from it.  Nested and concurrent batches (threads)
are counted: the collector runs again when the last one ends, and not at all when it was
off before the first began (the program's choice stands).

Example::

    from dyncrm.gc_pause import gc_paused

    with gc_paused(), crm.action("payroll.import", actor, key=f"payroll:{batch}"):
        ...
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_batches = 0  # batches running now (in any thread)
_was_enabled = False  # whether the collector ran before the first of them began


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector until the block (and every other batch running) ends."""
    global _batches, _was_enabled
    with _lock:
        if _batches == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0 and _was_enabled:
                gc.enable()


__all__ = ["gc_paused"]
