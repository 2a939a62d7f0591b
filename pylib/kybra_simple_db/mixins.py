"""`TimestampedMixin`: creation/update times and the creator, updater and owner of an entity."""

from .system_time import SystemTime

_STORED = ("timestamp_created", "timestamp_updated", "creator", "updater", "owner")


class TimestampedMixin:
    """Use as `class X(Entity, TimestampedMixin)` (after Entity)."""

    def __init__(self):
        self._timestamp_created = 0
        self._timestamp_updated = 0
        self._creator = None
        self._updater = None
        self._owner = None

    def _update_timestamps(self, caller_id=None):
        now = SystemTime.get_instance().get_time()
        if not self._timestamp_created:
            self._timestamp_created = now
            self._creator = caller_id
            self._owner = caller_id
        self._timestamp_updated = now
        self._updater = caller_id

    def _restore_stored_state(self, data):
        """On load: takes back the stored times and owners (which `serialize` wrote first)
        instead of treating them as plain attributes, so they keep their meaning."""
        if "timestamp_created" not in data:
            return
        self._timestamp_created = SystemTime.parse_timestamp(data.pop("timestamp_created"))
        self._timestamp_updated = SystemTime.parse_timestamp(data.pop("timestamp_updated", None))
        self._creator = data.pop("creator", None)
        self._updater = data.pop("updater", None)
        self._owner = data.pop("owner", None)

    def set_owner(self, new_owner):
        self._owner = new_owner

    def check_ownership(self, caller_id):
        return self._owner == caller_id

    def serialize(self):
        return {
            "timestamp_created": SystemTime.format_timestamp(self._timestamp_created),
            "timestamp_updated": SystemTime.format_timestamp(self._timestamp_updated),
            "creator": self._creator,
            "updater": self._updater,
            "owner": self._owner,
        }
