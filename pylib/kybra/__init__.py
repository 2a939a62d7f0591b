"""Kybra's Python API for codexes running in codexvm.

`ic` is the system API, `Principal` the principal type, `StableBTreeMap` a persistent map in the
canister's stable memory (natively: the runner's state file), and the Candid type names are
provided so that annotations evaluate as they do under Kybra.
"""

import _ic
from kybra.calls import AsyncCall, CallResult, NotifyResult, match
from kybra.principal import Principal
from kybra.service import Service, service_query, service_update
from kybra.stable_b_tree_map import StableBTreeMap
from kybra.types import *  # noqa: F401,F403  (Candid type names)

__all__ = ["ic", "Principal", "StableBTreeMap", "CallResult", "NotifyResult", "match", "Service", "service_query", "service_update"]


class ic:
    """The Internet Computer system API (static methods, as in Kybra)."""

    @staticmethod
    def print(*args):
        """Log a line: the arguments' str() joined by spaces (captured with the codex's output)."""
        _ic.print(" ".join(str(a) for a in args))

    @staticmethod
    def time():
        """Nanoseconds since the Unix epoch (constant within one message)."""
        return _ic.time()

    @staticmethod
    def id():
        """This canister's principal."""
        return Principal(_ic.id())

    @staticmethod
    def caller():
        """The principal that sent the current message."""
        return Principal(_ic.caller())

    @staticmethod
    def performance_counter(counter_type=0):
        """Instructions used so far: 0 = this message, 1 = this call context."""
        return _ic.performance_counter(counter_type)

    @staticmethod
    def trap(message):
        """Ends the message with a trap: everything it did (state, stable memory) is undone."""
        _ic.trap(str(message))

    @staticmethod
    def set_timer(delay, func):
        """Runs `func()` once, `delay` seconds (a `Duration`) from now, in a message of its own:
        if it raises, what it wrote is undone. Returns the `TimerId`. Timers do not survive an
        upgrade (as in Kybra), and a task's codex may not set them."""
        return _ic.set_timer(_seconds_to_ns(delay), func)

    @staticmethod
    def set_timer_interval(interval, func):
        """Runs `func()` every `interval` seconds; returns the `TimerId`."""
        return _ic.set_timer_interval(_seconds_to_ns(interval), func)

    @staticmethod
    def clear_timer(timer_id):
        """Cancels a timer."""
        _ic.clear_timer(int(timer_id))

    # The message a codex runs in belongs to the runtime: it replies with the codex's result.
    @staticmethod
    def method_name():
        """Kybra allows it in `inspect_message` only, where codexes never run."""
        raise _not_in_a_codex("ic.method_name()", "it is only available in inspect_message, where codexes never run")

    @staticmethod
    def reply(value=None, value_type=None):
        raise _not_in_a_codex("ic.reply()", "the runtime replies with the codex's result (set `result`, or return it from async_task)")

    @staticmethod
    def reply_raw(buf=None):
        raise _not_in_a_codex("ic.reply_raw()", "the runtime replies with the codex's result")

    @staticmethod
    def reject(message=""):
        raise _not_in_a_codex("ic.reject()", "raise an exception instead: the execution fails and its writes are undone")

    @staticmethod
    def accept_message():
        raise _not_in_a_codex("ic.accept_message()", "it is only available in inspect_message, where codexes never run")

    @staticmethod
    def arg_data_raw():
        raise _not_in_a_codex("ic.arg_data_raw()", "the message's argument is the codex itself")

    @staticmethod
    def msg_cycles_available():
        """Cycles sent with the message: codexes are run by calls that carry none."""
        return 0

    msg_cycles_available128 = msg_cycles_available
    msg_cycles_refunded = msg_cycles_available
    msg_cycles_refunded128 = msg_cycles_available

    @staticmethod
    def msg_cycles_accept(max_amount=0):
        """Accepts cycles sent with the message: there are none, so 0."""
        return 0

    msg_cycles_accept128 = msg_cycles_accept

    @staticmethod
    def data_certificate():
        """Only queries have one; codexes run in update messages."""
        return None

    @staticmethod
    def stable_size():
        raise _raw_stable("ic.stable_size()")

    @staticmethod
    def stable64_size():
        raise _raw_stable("ic.stable64_size()")

    @staticmethod
    def stable_grow(new_pages=0):
        raise _raw_stable("ic.stable_grow()")

    @staticmethod
    def stable64_grow(new_pages=0):
        raise _raw_stable("ic.stable64_grow()")

    @staticmethod
    def stable_read(offset=0, length=0):
        raise _raw_stable("ic.stable_read()")

    @staticmethod
    def stable64_read(offset=0, length=0):
        raise _raw_stable("ic.stable64_read()")

    @staticmethod
    def stable_write(offset=0, buf=b""):
        raise _raw_stable("ic.stable_write()")

    @staticmethod
    def stable64_write(offset=0, buf=b""):
        raise _raw_stable("ic.stable64_write()")

    @staticmethod
    def stable_bytes():
        raise _raw_stable("ic.stable_bytes()")

    @staticmethod
    def set_certified_data(data=b""):
        raise _not_in_a_codex("ic.set_certified_data()", "the canister's certified data belongs to the runtime")

    @staticmethod
    def canister_balance():
        """The canister's cycle balance (nat64)."""
        return min(_ic.canister_balance(), 2**64 - 1)

    @staticmethod
    def canister_balance128():
        """The canister's cycle balance (nat)."""
        return _ic.canister_balance()

    @staticmethod
    def call_raw(canister_id, method, args_raw, payment=0):
        """A call with raw Candid arguments, for `yield` in an async codex."""
        from kybra.calls import call_raw

        return call_raw(canister_id, method, args_raw, payment)

    @staticmethod
    def call_raw128(canister_id, method, args_raw, payment=0):
        from kybra.calls import call_raw

        return call_raw(canister_id, method, args_raw, payment)

    @staticmethod
    def candid_encode(candid_string):
        """Candid text (e.g. `'("hello", 42 : nat)'`) to its binary encoding."""
        return _ic.candid_encode(candid_string)

    @staticmethod
    def candid_decode(candid_encoded):
        """Binary Candid to its text form."""
        return _ic.candid_decode(candid_encoded)


def _seconds_to_ns(seconds):
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"a Duration is a whole number of seconds (nat64), not {type(seconds).__name__}")
    if not 0 <= seconds < 2**64 // 1_000_000_000:
        raise ValueError(f"a Duration of {seconds} seconds is out of range")
    return seconds * 1_000_000_000


def _declaration(name):
    """A Kybra canister-method decorator (`@query`, `@update(guard=...)`, `@init`, ...). A
    codex's functions are not canister methods, so it leaves the function as it is."""

    def decorator(func=None, **options):
        if func is None:
            return lambda f: f
        return func

    decorator.__name__ = name
    decorator.__doc__ = f"Kybra's @{name}: marks a canister method; in a codex it changes nothing."
    return decorator


query = _declaration("query")
update = _declaration("update")
init = _declaration("init")
post_upgrade = _declaration("post_upgrade")
pre_upgrade = _declaration("pre_upgrade")
heartbeat = _declaration("heartbeat")
inspect_message = _declaration("inspect_message")


def _not_in_a_codex(what, why):
    return RuntimeError(f"{what} is not available to a codex: {why}")


def _raw_stable(what):
    return PermissionError(
        f"{what}: a codex may not use raw stable memory, which holds the runtime's store; "
        "use StableBTreeMap or kybra_simple_db")
