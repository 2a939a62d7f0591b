"""The fixtures of `codexvm test`: clock, ic_calls, logs, task and run_codex."""

import pytest

from kybra import ic


def test_clock_stops_and_advances(clock):
    t0 = clock.now()
    assert ic.time() == t0
    clock.advance(seconds=90)
    assert ic.time() == t0 + 90_000_000_000
    clock.set(1_800_000_000_000_000_000)
    assert ic.time() == 1_800_000_000_000_000_000


def test_a_codex_sees_the_fixture_clock(clock, run_codex):
    clock.set(1_700_000_000_000_000_000)
    r = run_codex("from kybra import ic\nresult = ic.time()", task="timed")
    assert r["result"] == 1_700_000_000_000_000_000


def test_the_clock_runs_again_after_the_test():
    a = ic.time()
    b = ic.time()
    assert a > 1_700_000_000_000_000_000 and b >= a


LEDGER = "ryjl3-tyaaa-aaaaa-aaaba-cai"

ASYNC = '''
from kybra import ic, Principal
def async_task():
    r = yield ic.call_raw(Principal.from_str("ryjl3-tyaaa-aaaaa-aaaba-cai"), "icrc1_balance_of", b"DIDL\\x00\\x01\\x7d\\x2a")
    if r.Err is not None:
        return "rejected: " + r.Err
    return r.Ok.hex()
'''


def test_scripted_replies_reach_an_async_codex_and_calls_are_recorded(ic_calls, run_codex):
    ic_calls.reply(LEDGER, "icrc1_balance_of", b"DIDL\x00\x01\x7d\xe8\x07")  # (1_000 : nat)
    r = run_codex(ASYNC, task="payer")
    assert r["success"], r.get("error")
    assert r["result"] == "4449444c00017de807"
    [call] = ic_calls.calls
    assert call["canister"] == LEDGER and call["method"] == "icrc1_balance_of" and call["cycles"] == 0
    assert call["args"] == b"DIDL\x00\x01\x7d\x2a"  # (42 : nat)
    ic_calls.clear()
    assert ic_calls.calls == []


def test_scripted_rejects_and_unscripted_calls(ic_calls, run_codex):
    ic_calls.reject(LEDGER, "icrc1_balance_of", "out of cycles", code=2)
    assert "rejected: " in run_codex(ASYNC, task="payer")["result"]
    assert "out of cycles" in run_codex(ASYNC, task="payer")["result"]


def test_an_unscripted_call_is_rejected_with_a_hint(run_codex):
    r = run_codex(ASYNC, task="payer")
    assert "script a reply (the ic_calls fixture)" in r["result"]


def test_each_test_starts_with_no_scripted_replies_or_calls(ic_calls):
    assert ic_calls.calls == []


def test_logs_per_logger_and_per_task(logs, run_codex):
    code = "from kybra_simple_logging import get_logger\nget_logger('payroll').info('paid 3')\nget_logger('audit').warning('checked')\nprint('done')"
    r = run_codex(code)
    assert r["success"], r.get("error")
    assert [e["message"] for e in logs.of("payroll")] == ["paid 3"]
    assert [e["level"] for e in logs.of("audit")] == ["WARNING"]
    assert len(logs.all()) == 2
    logs.clear()
    assert logs.all() == []


def test_logs_of_a_tasks_executions(logs):
    from ggg import Task, TaskExecution

    t = Task(name="payroll")
    for i, text in enumerate(["batch 1 paid", "batch 2 paid"]):
        TaskExecution(name=f"payroll_{i}", task=t, status="completed", logs=text)
    assert logs.of_task("payroll") == ["batch 1 paid", "batch 2 paid"]
    with pytest.raises(KeyError):
        logs.of_task("nobody")


def test_a_tasks_codex_cannot_script_the_host(run_codex):
    r = run_codex("import json\nb = json.dumps.__globals__['__builtins__']\nimp = b['__import__'] if isinstance(b, dict) else b.__import__\nimp('_testhost').set_time(0)", task="sneaky")
    assert r["success"] is False and "cannot script the host" in r["error"]


def test_a_tasks_codex_cannot_use_the_test_sessions_files(run_codex):
    r = run_codex("import _testsession", task="sneaky")
    assert r["success"] is False and "may not import '_testsession'" in r["error"]
    # Past the import check, through a standard module's builtins: the module itself refuses.
    r = run_codex("import json\nb = json.dumps.__globals__['__builtins__']\nimp = b['__import__'] if isinstance(b, dict) else b.__import__\nimp('_testsession').read_text('/etc/hostname')", task="sneaky")
    assert r["success"] is False and "only available to the `codexvm test` runner" in r["error"]
