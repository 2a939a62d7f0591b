"""`ic.candid_encode` / `ic.candid_decode`: Candid text to binary and back, as in Kybra."""

import pytest

from kybra import ic


def test_encode_then_decode():
    b = ic.candid_encode('("hello", 42 : nat)')
    assert b == b"DIDL\x00\x02\x71\x7d\x05hello\x2a"
    assert ic.candid_decode(b) == '("hello", 42 : nat)'


def test_composite_values():
    b = ic.candid_encode('(record { owner = principal "aaaaa-aa"; subaccount = null : opt blob }, vec { 1 : nat64; 2 : nat64 })')
    text = ic.candid_decode(b)
    assert 'principal "aaaaa-aa"' in text and "vec { 1 : nat64; 2 : nat64 }" in text


def test_bad_text_raises_value_error_with_the_position():
    with pytest.raises(ValueError, match="invalid Candid text at character 0"):
        ic.candid_encode("42")
    with pytest.raises(ValueError, match="invalid Candid value"):
        ic.candid_encode("(-1 : nat)")
    with pytest.raises(ValueError, match="invalid binary Candid"):
        ic.candid_decode(b"nope")


def test_extension_calls_quote_their_arguments(ic_calls, run_codex):
    import core.extensions as ext

    ext.EXTENSIONS["vault"] = "ryjl3-tyaaa-aaaaa-aaaba-cai"
    try:
        ic_calls.reply("ryjl3-tyaaa-aaaaa-aaaba-cai", "extension_sync_call", ic.candid_encode('("ok")'))
        r = run_codex(
            "from core.extensions import extension_async_call\n"
            "def async_task():\n"
            "    r = yield extension_async_call('vault', 'refresh', 'say ' + chr(34) + 'hi' + chr(34) + chr(10))\n"
            "    return r.Ok\n",
            task="ext",
        )
        assert r["success"], r.get("error")
    finally:
        del ext.EXTENSIONS["vault"]
    [call] = ic_calls.calls
    text = ic.candid_decode(call["args"])
    assert '"refresh"' in text and '"say \\"hi\\"\\n"' in text, text
