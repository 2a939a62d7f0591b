"""`management_canister.http_request` (HTTPS outcalls), scripted with the `ic_calls` fixture."""

import pytest

from kybra import ic

FETCH = '''
from kybra import ic, CallResult, match
from kybra.canisters.management import management_canister

def async_task():
    result: CallResult = yield management_canister.http_request({
        "url": "https://example.com/data.json",
        "max_response_bytes": 10_000,
        "method": {"get": None},
        "headers": [{"name": "User-Agent", "value": "codexvm"}],
        "body": None,
        "transform": {"function": (ic.id(), "http_transform"), "context": b""},
    }).with_cycles(100_000_000)
    return match(result, {
        "Ok": lambda r: {"status": r["status"], "body": r["body"].decode(), "headers": r["headers"]},
        "Err": lambda e: {"error": e},
    })
'''


def test_an_outcall_sends_the_request_and_decodes_the_response(ic_calls, run_codex):
    ic_calls.reply("aaaaa-aa", "http_request", ic.candid_encode(
        '(record { status = 200 : nat; headers = vec { record { name = "content-type"; value = "application/json" } }; body = blob "{\\"ok\\": 1}" })'))
    r = run_codex(FETCH, task="fetcher")
    assert r["success"], r.get("error")
    assert r["result"] == {"status": 200, "body": '{"ok": 1}', "headers": [{"name": "content-type", "value": "application/json"}]}
    [call] = ic_calls.calls
    assert call["canister"] == "aaaaa-aa" and call["method"] == "http_request" and call["cycles"] == 100_000_000
    sent = ic.candid_decode(call["args"])
    assert '"https://example.com/data.json"' in sent and '"User-Agent"' in sent and ".http_transform" in sent, sent


def test_a_rejected_outcall_is_an_err(ic_calls, run_codex):
    ic_calls.reject("aaaaa-aa", "http_request", "Timeout expired", code=2)
    r = run_codex(FETCH, task="fetcher")
    assert r["result"] == {"error": "Timeout expired"} or "Timeout expired" in r["result"]["error"]


def test_bad_requests_are_refused_before_any_call():
    from kybra.canisters.management import management_canister

    with pytest.raises(TypeError, match="needs a url"):
        management_canister.http_request({"method": {"get": None}})
    with pytest.raises(TypeError, match="unknown fields"):
        management_canister.http_request({"url": "https://x", "verb": "get"})
    with pytest.raises(ValueError, match="get, head or post"):
        management_canister.http_request({"url": "https://x", "method": {"put": None}})
