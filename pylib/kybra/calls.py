"""Inter-canister calls as Kybra's codexes yield them, and their results.

A call object does nothing until an async codex yields it; the runtime then performs it (a
commit point, as every `await` on the IC) and sends back a `CallResult` with `Ok` or `Err`.
"""

import _ic


class CallResult:
    """The outcome of a call: `.Ok` (the decoded reply) or `.Err` (the rejection message)."""

    def __init__(self, Ok=None, Err=None):
        self.Ok = Ok
        self.Err = Err

    def __repr__(self):
        return f"CallResult(Err={self.Err!r})" if self.Err is not None else f"CallResult(Ok={self.Ok!r})"

    def __class_getitem__(cls, item):
        return cls


class NotifyResult(CallResult):
    pass


def match(variant, matcher):
    """Kybra's `match`: dispatches a one-key variant dict or a CallResult to `matcher[key]`
    (`"_"` is the default arm)."""
    if isinstance(variant, CallResult):
        key, value = ("Err", variant.Err) if variant.Err is not None else ("Ok", variant.Ok)
    elif isinstance(variant, dict) and len(variant) == 1:
        key, value = next(iter(variant.items()))
    else:
        raise TypeError(f"match() needs a one-key variant or a CallResult, not {variant!r}")
    if key in matcher:
        return matcher[key](value)
    if "_" in matcher:
        return matcher["_"](value)
    raise ValueError(f"match(): no arm for {key!r}")


class AsyncCall:
    """A call to `method` of `canister` with Candid-encoded `args`; `decode` turns the reply
    bytes into the `Ok` value (the raw bytes by default)."""

    def __init__(self, canister, method, args=b"DIDL\x00\x00", cycles=0, decode=None, kind="call_raw"):
        self.canister = canister
        self.method = method
        self.args = args
        self.cycles = cycles
        self.decode = decode
        self.name = kind

    def with_cycles(self, cycles):
        self.cycles = int(cycles)
        self.name = "call_with_payment"
        return self

    def with_cycles128(self, cycles):
        self.cycles = int(cycles)
        self.name = "call_with_payment128"
        return self

    def _codexvm_call(self):
        from kybra.principal import Principal

        target = self.canister.bytes if isinstance(self.canister, Principal) else bytes(self.canister)
        return {"canister": target, "method": self.method, "args": bytes(self.args), "cycles": int(self.cycles)}

    def result(self, reply):
        kind, value = reply
        if kind == "Err":
            return CallResult(Err=value)
        try:
            return CallResult(Ok=self.decode(value) if self.decode else value)
        except Exception as e:
            return CallResult(Err=f"could not decode the reply of {self.method}: {e}")

    def __repr__(self):
        return f"<call {self.method} on {self.canister}>"


def call_raw(canister_id, method, args_raw, payment=0):
    """`ic.call_raw`: a call with raw Candid arguments; `Ok` is the raw reply."""
    return AsyncCall(canister_id, method, bytes(args_raw), payment, None, "call_raw")
