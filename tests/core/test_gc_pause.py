"""dyncrm.gc_pause: the cycle collector paused for batch work, and as it was after it."""

from __future__ import annotations

import gc
import threading

import pytest

from dyncrm.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_nested_batches_and_running_again_after_the_last() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch still runs
    assert gc.isenabled()


def test_a_failing_batch_lets_the_collector_run_again() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_program_that_turned_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_batches_in_two_threads_run_it_again_when_both_ended() -> None:
    gc.enable()
    started, finish = threading.Event(), threading.Event()

    def other_batch():
        with gc_paused():
            started.set()
            finish.wait(10)

    thread = threading.Thread(target=other_batch)
    thread.start()
    started.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's batch is still running
    finish.set()
    thread.join(10)
    assert gc.isenabled()


@gc_paused()
def _decorated() -> bool:
    return gc.isenabled()


def test_a_function_decorated_runs_with_it_paused() -> None:
    gc.enable()
    assert _decorated() is False and gc.isenabled()
