"""Driving an async codex: `async_task()` is a generator that yields calls to other canisters
(and generators that do); the runtime performs each call and sends back a `CallResult`.

Unlike Kybra's driver, an exception raised inside a yielded generator is thrown into the
generator that yielded it, exactly as `yield from` does in Python, so the codex's own
`try/except` around the `yield` sees it (Kybra returned it upwards and the task hung).
"""

import types


def call_spec(item):
    """The runtime-facing description of a call object (None if `item` is not one)."""
    spec = getattr(item, "_codexvm_call", None)
    return spec() if callable(spec) else None


class Driver:
    """Advances a generator stack one call at a time."""

    def __init__(self, gen):
        self.stack = [gen]
        self.pending = None

    def advance(self, value=None, exc=None):
        """Runs until the next call (`("call", spec)`) or the end (`("done", result)`); an
        exception the codex does not catch propagates."""
        if self.pending is not None and exc is None:
            value = self.pending.result(value)
        self.pending = None
        while True:
            gen = self.stack[-1]
            try:
                item = gen.throw(exc) if exc is not None else gen.send(value)
            except StopIteration as stop:
                self.stack.pop()
                if not self.stack:
                    return ("done", stop.value)
                value, exc = stop.value, None
                continue
            except BaseException as e:
                self.stack.pop()
                if not self.stack:
                    raise
                value, exc = None, e
                continue
            value = exc = None
            if isinstance(item, types.GeneratorType):
                self.stack.append(item)
                continue
            spec = call_spec(item)
            if spec is not None:
                self.pending = item
                return ("call", spec)
            exc = TypeError(
                f"async_task yielded {type(item).__name__} {item!r}: yield an inter-canister call "
                "(ic.call_raw, a Service method, management_canister.raw_rand(), ...) or a generator")
