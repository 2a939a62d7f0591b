"""The `canister` fixture: the same codexes in the built module (test host) as natively."""

COUNTER = """
from kybra_simple_db import Entity, Integer, String

class Counter(Entity):
    __alias__ = "name"
    name = String()
    value = Integer()

c = Counter["visits"] or Counter(name="visits", value=0)
c.value = c.value + 1
result = {"visits": c.value}
"""


def test_a_codex_gives_the_same_result_in_the_canister_as_natively(canister, run_codex):
    native = run_codex(COUNTER)
    inside = canister.run(COUNTER)
    assert native["success"] and inside["success"], inside.get("error")
    assert inside["result"] == native["result"] == {"visits": 1}
    assert inside["instructions"] > 0
    assert canister.run(COUNTER)["result"] == {"visits": 2}


def test_data_survives_an_upgrade_and_timers_fire_as_the_clock_advances(canister):
    canister.run(COUNTER)
    canister.upgrade()
    assert canister.run(COUNTER)["result"] == {"visits": 2}
    canister.run("from kybra import ic\nfrom ggg import Realm\nic.set_timer(30, lambda: Realm(name='timed'))")
    assert canister.advance(31) == []
    assert canister.run("from ggg import Realm\nresult = Realm['timed'].name")["result"] == "timed"


def test_a_failing_codex_and_an_endpoint_call(canister):
    r = canister.run("raise ValueError('nope')")
    assert r["success"] is False and "ValueError: nope" in r["error"]
    assert canister.call("stable_size", "()", query=True).startswith("(")


def test_each_test_gets_a_fresh_canister(canister):
    assert canister.run(COUNTER)["result"] == {"visits": 1}
