"""`datetime` from the pure-Python implementation, which reads the runtime clock through `time`.

The native `_datetime` reads the host's system clock directly, which traps in the canister.
"""
from _pydatetime import *
from _pydatetime import __all__, __doc__  # noqa: F401
