"""kybra_simple_logging for codexvm (the 0.2 API realms used).

`get_logger(name)` returns a shared logger; each line is printed as `[LEVEL] [name] message`
(captured with the execution's output) and kept in an in-memory ring of the last 1000 entries
`{timestamp, level, logger_name, message, id}`, read back with `get_logs`.
"""

from collections import deque

from kybra import ic

LEVEL_VALUES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}

_LOGGING_ENABLED = True
_MEMORY_LOGGING_ENABLED = True
_LOGGERS = {}
_DEBUG_VARS = {}
_MAX_LOG_ENTRIES = 1000
_LOG_STORAGE = deque(maxlen=_MAX_LOG_ENTRIES)
_LOG_SEQUENCE_COUNTER = 0


class LogEntry:
    """One stored log line."""

    __slots__ = ("timestamp", "level", "logger_name", "message", "id")

    def __init__(self, timestamp, level, logger_name, message, id):
        self.timestamp = timestamp
        self.level = level
        self.logger_name = logger_name
        self.message = message
        self.id = id

    def to_dict(self):
        return {"timestamp": self.timestamp, "level": self.level, "logger_name": self.logger_name,
                "message": self.message, "id": self.id}


def _emit(level, message, logger_name):
    global _LOG_SEQUENCE_COUNTER
    if not _LOGGING_ENABLED:
        return
    ic.print(f"[{level}] [{logger_name}] {message}")
    if _MEMORY_LOGGING_ENABLED:
        _LOG_SEQUENCE_COUNTER += 1
        _LOG_STORAGE.append(LogEntry(ic.time(), level, logger_name, str(message), _LOG_SEQUENCE_COUNTER))


class SimpleLogger:
    """A named logger with a minimum level (default INFO)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"
    LEVEL_VALUES = LEVEL_VALUES

    def __init__(self, name="kybra_simple_logger", level="INFO"):
        self.name = name
        self.level = level

    def set_level(self, level):
        self.level = level

    def is_enabled_for(self, level):
        return LEVEL_VALUES.get(level, 0) >= LEVEL_VALUES.get(self.level, 0)

    def log(self, level, message):
        if self.is_enabled_for(level):
            _emit(level, message, self.name)

    def debug(self, message):
        self.log("DEBUG", message)

    def info(self, message):
        self.log("INFO", message)

    def warning(self, message):
        self.log("WARNING", message)

    def warn(self, message):
        self.warning(message)

    def error(self, message):
        self.log("ERROR", message)

    def critical(self, message):
        self.log("CRITICAL", message)


LogLevel = str


def get_logger(name="kybra_simple_logging"):
    """The logger named `name` (created on first use)."""
    logger = _LOGGERS.get(name)
    if logger is None:
        logger = _LOGGERS[name] = SimpleLogger(name)
    return logger


def set_log_level(level, logger_name=None):
    if logger_name is not None:
        if logger_name in _LOGGERS:
            _LOGGERS[logger_name].set_level(level)
    else:
        for logger in _LOGGERS.values():
            logger.set_level(level)


def disable_logging():
    global _LOGGING_ENABLED
    _LOGGING_ENABLED = False


def enable_logging():
    global _LOGGING_ENABLED
    _LOGGING_ENABLED = True


def disable_memory_logging():
    global _MEMORY_LOGGING_ENABLED
    _MEMORY_LOGGING_ENABLED = False


def enable_memory_logging():
    global _MEMORY_LOGGING_ENABLED
    _MEMORY_LOGGING_ENABLED = True


def is_memory_logging_enabled():
    return _MEMORY_LOGGING_ENABLED


def get_logs(from_entry=None, max_entries=None, min_level=None, logger_name=None):
    """Stored entries with `id >= from_entry` (of one logger, at or above a level): the last
    `max_entries` of them, oldest first, as dicts."""
    logs = list(_LOG_STORAGE)
    if from_entry:
        logs = [e for e in logs if e.id >= from_entry]
    if min_level is not None:
        floor = LEVEL_VALUES.get(min_level, 0)
        logs = [e for e in logs if LEVEL_VALUES.get(e.level, 0) >= floor]
    if logger_name is not None:
        logs = [e for e in logs if e.logger_name == logger_name]
    if max_entries is not None:
        logs = logs[-max_entries:] if max_entries > 0 else []
    return [e.to_dict() for e in logs]


def clear_logs():
    _LOG_STORAGE.clear()


def set_max_log_entries(max_entries):
    global _LOG_STORAGE, _MAX_LOG_ENTRIES
    _MAX_LOG_ENTRIES = max(1, max_entries)
    _LOG_STORAGE = deque(list(_LOG_STORAGE)[-_MAX_LOG_ENTRIES:], maxlen=_MAX_LOG_ENTRIES)


def save_var(tag, obj):
    _DEBUG_VARS[tag] = obj


def load_var(tag):
    return _DEBUG_VARS.get(tag)


def list_vars():
    return {tag: type(obj).__name__ for tag, obj in _DEBUG_VARS.items()}


logger = get_logger()
