"""Kybra's `Service`: another canister's interface, declared as a class whose methods are
decorated with `service_query` or `service_update` and annotated with Candid types. Calling a
method gives a call for an async codex to `yield` (attach cycles with `.with_cycles(n)`); the
`CallResult`'s `Ok` is the reply decoded with the declared return type."""

import inspect

from kybra import candid
from kybra.calls import AsyncCall
from kybra.principal import Principal


class Service:
    """Subclass it to declare a canister's methods; instantiate it with the canister's id."""

    def __init__(self, canister_id):
        self.canister_id = canister_id if isinstance(canister_id, Principal) else Principal.from_str(str(canister_id))

    def __repr__(self):
        return f"{type(self).__name__}({self.canister_id.to_str()!r})"


def _service_method(method, mode):
    hints = dict(getattr(method, "__annotations__", {}))
    ret = hints.pop("return", None)
    params = [p for p in inspect.signature(method).parameters.values()][1:]  # without self
    types = [hints.get(p.name) for p in params]
    missing = [p.name for p, t in zip(params, types) if t is None]
    if missing:
        raise TypeError(f"{method.__name__}: annotate every parameter with its Candid type (missing: {', '.join(missing)})")

    def call(self, *args):
        if len(args) != len(types):
            raise TypeError(f"{method.__name__}() takes {len(types)} argument(s), got {len(args)}")
        payload = candid.encode_args(args, types)
        return AsyncCall(self.canister_id, method.__name__, payload, 0, lambda reply: candid.decode_reply(reply, ret), "call")

    call.__name__ = method.__name__
    call.__qualname__ = getattr(method, "__qualname__", method.__name__)
    call.__doc__ = method.__doc__
    call._kybra_mode = mode
    return call


def service_query(method):
    """Declares a query method of a `Service`."""
    return _service_method(method, "query")


def service_update(method):
    """Declares an update method of a `Service`."""
    return _service_method(method, "update")
