"""`on_event` hooks: an entity class may intercept, veto or rewrite changes.

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        return True, new_value        # or False to veto, or (True, other) to rewrite
"""


def call_entity_hook(entity, field_name, old_value, new_value, action):
    """Calls the class's `on_event` if it has one; returns `(allow, value)`."""
    hook = getattr(entity.__class__, "on_event", None)
    if hook is not None and callable(hook):
        result = hook(entity, field_name, old_value, new_value, action)
        if isinstance(result, tuple) and len(result) == 2:
            return result
        if isinstance(result, bool):
            return result, new_value
    return True, new_value
