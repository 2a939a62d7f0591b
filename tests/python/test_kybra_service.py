"""Kybra's `Service`, `service_query`, `service_update` and the Candid types of its methods."""

import pytest

from kybra import Principal, Service, ic, nat, query, service_update, text, update

LEDGER = "ryjl3-tyaaa-aaaaa-aaaba-cai"


# The ledger's interface, declared once: the tests use it directly, and the codex below (which
# runs as a task, so cannot import this file) starts with the same text.
LEDGER_TYPES = """
from kybra import ic, Opt, Principal, Record, Service, Variant, Vec, blob, nat, nat64, text, service_query, service_update, CallResult

class Account(Record):
    owner: Principal
    subaccount: Opt[blob]

class TransferArg(Record):
    to: Account
    amount: nat
    memo: Opt[blob]
    created_at_time: Opt[nat64]

class TransferError(Variant, total=False):
    InsufficientFunds: Record
    TooOld: None
    GenericError: text

class TransferResult(Variant, total=False):
    Ok: nat
    Err: TransferError

class Ledger(Service):
    @service_query
    def icrc1_balance_of(self, account: Account) -> nat: ...

    @service_update
    def icrc1_transfer(self, args: TransferArg) -> TransferResult: ...

    @service_query
    def icrc1_symbol(self) -> text: ...

    @service_query
    def balances(self, accounts: Vec[Account]) -> Vec[nat]: ...
"""
exec(LEDGER_TYPES)

CODEX = LEDGER_TYPES + '''
ledger = Ledger(Principal.from_str("ryjl3-tyaaa-aaaaa-aaaba-cai"))

def async_task():
    me = {"owner": ic.id(), "subaccount": None}
    balance: CallResult = yield ledger.icrc1_balance_of(me)
    sent: CallResult = yield ledger.icrc1_transfer({"to": me, "amount": 5, "memo": None, "created_at_time": None}).with_cycles(0)
    symbol: CallResult = yield ledger.icrc1_symbol()
    return {"balance": balance.Ok, "sent": sent.Ok, "symbol": symbol.Ok}
'''


def test_arguments_are_encoded_with_their_declared_types(ic_calls):
    ledger = Ledger(LEDGER)
    call = ledger.icrc1_balance_of({"owner": Principal.from_str("aaaaa-aa"), "subaccount": None})
    text = ic.candid_decode(call.args)
    assert 'principal "aaaaa-aa"' in text and "null" in text, text
    assert call.method == "icrc1_balance_of" and call.canister == Principal.from_str(LEDGER)
    t = ledger.icrc1_transfer({"to": {"owner": Principal.from_str("aaaaa-aa"), "subaccount": b"\x01"}, "amount": 7,
                               "memo": None, "created_at_time": 3})
    decoded = ic.candid_decode(t.args)
    assert "7 : nat" in decoded and "opt (3 : nat64)" in decoded and 'opt blob "\\01"' in decoded, decoded


def test_replies_are_decoded_with_the_declared_return_type():
    ledger = Ledger(LEDGER)
    ok = ledger.icrc1_transfer.__get__(ledger)  # bound method
    call = ok({"to": {"owner": Principal.anonymous(), "subaccount": None}, "amount": 1, "memo": None, "created_at_time": None})
    reply = ic.candid_encode('(variant { Err = variant { GenericError = "no" } })')
    assert call.result(("Ok", reply)).Ok == {"Err": {"GenericError": "no"}}
    reply = ic.candid_encode("(variant { Ok = 42 : nat })")
    assert call.result(("Ok", reply)).Ok == {"Ok": 42}
    many = ledger.balances([{"owner": Principal.anonymous(), "subaccount": None}])
    assert many.result(("Ok", ic.candid_encode("(vec { 1 : nat; 2 : nat })"))).Ok == [1, 2]
    acct = Ledger(LEDGER).icrc1_balance_of({"owner": Principal.anonymous(), "subaccount": None})
    assert acct.result(("Err", "rejected")).Err == "rejected"


def test_a_codex_yields_service_calls(ic_calls, run_codex):
    ic_calls.reply(LEDGER, "icrc1_balance_of", ic.candid_encode("(1_000 : nat)"))
    ic_calls.reply(LEDGER, "icrc1_transfer", ic.candid_encode("(variant { Ok = 17 : nat })"))
    ic_calls.reply(LEDGER, "icrc1_symbol", ic.candid_encode('("ICP")'))
    r = run_codex(CODEX, task="payer")
    assert r["success"], r.get("error")
    assert r["result"] == {"balance": 1000, "sent": {"Ok": 17}, "symbol": "ICP"}
    assert [c["method"] for c in ic_calls.calls] == ["icrc1_balance_of", "icrc1_transfer", "icrc1_symbol"]


def test_bad_values_and_undeclared_types_are_refused():
    ledger = Ledger(LEDGER)
    with pytest.raises(TypeError, match="needs field 'owner'"):
        ledger.icrc1_balance_of({"subaccount": None})
    with pytest.raises(TypeError, match="is not a nat"):
        ledger.icrc1_transfer({"to": {"owner": Principal.anonymous(), "subaccount": None}, "amount": "5", "memo": None, "created_at_time": None})
    with pytest.raises(TypeError, match="takes 1 argument"):
        ledger.icrc1_balance_of()
    with pytest.raises(ValueError, match="invalid Candid value"):
        ledger.icrc1_transfer({"to": {"owner": Principal.anonymous(), "subaccount": None}, "amount": -1, "memo": None, "created_at_time": None})
    with pytest.raises(TypeError, match="annotate every parameter"):
        class Bad(Service):
            @service_update
            def f(self, x):
                ...


def test_method_decorators_leave_functions_alone():
    @query
    def a():
        return 1

    @update(guard="is_admin")
    def b():
        return 2

    assert (a(), b()) == (1, 2)


def test_the_rest_of_the_ic_api_says_what_a_codex_can_and_cannot_do():
    from kybra import Func, GuardResult, Query, RejectionCode, Tuple

    for call in (ic.method_name, ic.accept_message, ic.arg_data_raw, lambda: ic.reply(1), lambda: ic.reject("no")):
        with pytest.raises(RuntimeError, match="not available to a codex"):
            call()
    for call in (ic.stable_size, lambda: ic.stable_grow(1), lambda: ic.stable64_write(0, b"x"), lambda: ic.stable_read(0, 1)):
        with pytest.raises(PermissionError, match="raw stable memory"):
            call()
    assert (ic.msg_cycles_available(), ic.msg_cycles_accept(10), ic.data_certificate()) == (0, 0, None)
    assert set(RejectionCode.fields()) >= {"SysFatal", "CanisterReject", "CanisterError"}
    assert set(GuardResult.fields()) == {"Ok", "Err"}
    Func[Query[[], text]]  # subscriptable in annotations
    assert Tuple[text, nat]._params == (text, nat)
