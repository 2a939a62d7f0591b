"""The database clock (milliseconds), which tests can fix or advance."""

import time
from datetime import datetime

import _db


class SystemTime:
    """A singleton clock: real time unless a fixed time was set."""

    _instance = None
    _current_time_ms = None

    def __init__(self):
        if SystemTime._instance is not None:
            raise RuntimeError("Use SystemTime.get_instance() instead")
        SystemTime._instance = self

    @classmethod
    def get_instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def get_time(self):
        """Milliseconds since the epoch (the fixed time if one is set)."""
        if self._current_time_ms is not None:
            return self._current_time_ms
        return int(time.time() * 1000)

    def set_time(self, timestamp):
        self._current_time_ms = timestamp

    def clear_time(self):
        self._current_time_ms = None

    def advance_time(self, milliseconds):
        current = self.get_time()
        print(f"Advancing time by {milliseconds} ms (current: {current}) = {current + milliseconds}")
        self.set_time(current + milliseconds)

    @staticmethod
    def format_timestamp(timestamp):
        """`YYYY-mm-dd HH:MM:SS.mmm` in local time (UTC in a canister); "None" for 0/None."""
        if not timestamp:
            return "None"
        text = _db.format_timestamp(timestamp)  # the same text, natively, where that is exact
        if text is not None:
            return text
        return datetime.fromtimestamp(timestamp / 1000).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    @staticmethod
    def parse_timestamp(text):
        """Inverse of `format_timestamp` (local time = UTC); 0 for "None" or anything unreadable."""
        if not isinstance(text, str) or len(text) != 23:
            return 0
        ms = _db.parse_timestamp(text)  # the same number, natively, where that is exact
        if ms is not None:
            return ms
        try:
            dt = datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]),
                          int(text[11:13]), int(text[14:16]), int(text[17:19]), int(text[20:23]) * 1000)
        except ValueError:
            return 0
        return int(round(dt.timestamp() * 1000))

    def print(self):
        return self.format_timestamp(self.get_time())
