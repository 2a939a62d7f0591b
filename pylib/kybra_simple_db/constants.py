"""Constants of kybra_simple_db."""

LEVEL_MAX_DEFAULT = 3

# Actions passed to `on_event` hooks.
ACTION_CREATE = "create"
ACTION_MODIFY = "modify"
ACTION_DELETE = "delete"
