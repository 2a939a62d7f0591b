"""The instruction budget of the running execution.

Every execution runs under a budget (by default 80 % of the 40 B instructions an ICP message may
use). Storage and system calls check it: past it, they raise `BudgetExceeded` (a BaseException,
so `except Exception` does not swallow it) and the execution is rolled back and recorded as
failed. Natively the count is estimated from CPU time.
"""

import _ic

BudgetExceeded = _ic.BudgetExceeded


def limit():
    """Instructions this execution may use (None outside a budgeted execution)."""
    return _ic.budget()


def used():
    """Instructions used so far in this execution."""
    return _ic.performance_counter(0)


def remaining():
    """Instructions left before the budget is exhausted (None without a budget)."""
    b = _ic.budget()
    return None if b is None else max(0, b - _ic.performance_counter(0))


def used_share():
    """The share of the budget used so far, 0.0 to 1.0 (0.0 without a budget)."""
    b = _ic.budget()
    return 0.0 if not b else min(1.0, _ic.performance_counter(0) / b)
