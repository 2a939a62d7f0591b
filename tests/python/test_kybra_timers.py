"""Kybra's timers: `ic.set_timer`, `ic.set_timer_interval`, `ic.clear_timer`, with the `timers`
and `clock` fixtures."""

import pytest

from kybra import ic

SETS_A_TIMER = """
from kybra import ic
from ggg import Realm

GREETING = "hello from a timer"

def later():
    Realm(name=GREETING)   # the codex's globals outlive its execution while the timer waits
    print("fired")

result = ic.set_timer(60, later)
"""


def test_a_timer_fires_when_due_with_the_codex_globals(clock, timers, run_codex):
    r = run_codex(SETS_A_TIMER)
    assert r["success"], r.get("error")
    [t] = timers.pending
    assert t["id"] == r["result"] and t["interval"] is None
    assert t["due"] == clock.now() + 60_000_000_000
    assert timers.fire_due() == []  # not due yet
    clock.advance(seconds=60)
    [fired] = timers.fire_due()
    assert fired == {"ran": True, "error": None, "logs": ["fired"]}
    from ggg import Realm

    assert Realm["hello from a timer"] is not None
    assert timers.pending == []


def test_an_interval_timer_repeats_until_cleared(clock, timers):
    count = []
    tid = ic.set_timer_interval(10, lambda: count.append(ic.time()))
    clock.advance(seconds=35)
    assert len(timers.fire_due()) == 3
    assert len(count) == 3
    ic.clear_timer(tid)
    clock.advance(seconds=100)
    assert timers.fire_due() == [] and len(count) == 3
    ic.clear_timer(tid)  # clearing twice is harmless


def test_a_closure_keeps_its_state(timers):
    def make():
        n = 0

        def tick():
            nonlocal n
            n += 1
            print(n)

        return tick

    tid = ic.set_timer_interval(1, make())
    assert timers.fire(tid)["logs"] == ["1"]
    assert timers.fire(tid)["logs"] == ["2"]


def test_a_callback_that_raises_keeps_none_of_its_writes(timers):
    from ggg import Realm

    def broken():
        Realm(name="half written")
        raise RuntimeError("boom")

    tid = ic.set_timer(0, broken)
    out = timers.fire(tid)
    assert out["ran"] and "RuntimeError: boom" in out["error"]
    assert Realm["half written"] is None


def test_a_cleared_timer_does_not_fire(timers):
    tid = ic.set_timer(5, lambda: print("no"))
    ic.clear_timer(tid)
    assert timers.fire(tid) == {"ran": False, "error": None, "logs": []}


def test_a_tasks_codex_may_not_set_timers(run_codex, timers):
    r = run_codex("from kybra import ic\nic.set_timer(1, lambda: None)", task="sneaky")
    assert r["success"] is False and "task 'sneaky' may not set timers" in r["error"]
    assert timers.pending == []


def test_bad_arguments():
    with pytest.raises(TypeError, match="whole number of seconds"):
        ic.set_timer(1.5, lambda: None)
    with pytest.raises(TypeError, match="callable"):
        ic.set_timer(1, "not a function")
    with pytest.raises(ValueError, match="out of range"):
        ic.set_timer(-1, lambda: None)
    with pytest.raises(ValueError, match="at least"):
        ic.set_timer_interval(0, lambda: None)


def test_the_codex_globals_are_emptied_once_its_last_timer_is_gone(timers, run_codex):
    import json

    r = run_codex("from kybra import ic\nimport json\ndef later():\n    pass\njson._stash = later\nresult = [ic.set_timer(1, later), ic.set_timer(2, later)]")
    first, second = r["result"]
    g = json._stash.__globals__
    del json._stash
    assert "later" in g
    timers.fire(first)
    assert "later" in g  # the second timer still runs in them
    ic.clear_timer(second)
    assert g == {}


def test_an_async_callback_is_refused_when_it_fires(timers):
    def gen():
        yield 1

    tid = ic.set_timer(0, gen)
    out = timers.fire(tid)
    assert out["ran"] and "cannot be a generator" in out["error"]
