"""The caller identity entities are saved as (owner, creator, updater).

A module-level value, as in kybra_simple_db 0.5.0: a canister handles one message at a time.
codexvm resets it to "system" at the start of every execution.
"""

_current_caller = "system"


def get_caller_id():
    """The current caller id (default "system")."""
    return _current_caller


def set_caller_id(caller_id):
    """Set the current caller id."""
    global _current_caller
    _current_caller = caller_id
