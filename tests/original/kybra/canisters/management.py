"""The management canister of the stand-in: `raw_rand()` yields a call the driver answers."""


class _Call:
    def __init__(self, method):
        self.method = method


class _Management:
    def raw_rand(self):
        return _Call("raw_rand")


management_canister = _Management()
