"""The Python side of `codexvm test`: a pytest-compatible session (rootdir, conftest.py files,
import modes, collection, fixtures, xunit set-ups, unittest classes, marks) run inside the
interpreter. The Rust side works out the rootdir and ini file, gives the session one store and
host, and prints what `report` receives.

`run_session(config, report)` returns pytest's exit status; `report(dict)` gets one record per
outcome (`iter_session(config)` yields them in batches instead): kind ("test", "subtest", "collect", "warning", "deselected", "interrupted",
"usage"), nodeid, outcome, when, longrepr, output."""

from .session import Session, UsageError


def start_store():
    """The database a session starts with: kybra_simple_db's default (audited, in memory),
    created on first use by `Database.get_instance()` as under CPython."""
    try:
        import _codexvm
        from kybra_simple_db.db_engine import Database
    except ImportError:
        return
    _codexvm.begin_execution()
    Database._instance = None


def iter_session(config):
    """The session as the Rust side drives it: yields lists of report records as they come
    (after collection and after each test); the last record is `{"kind": "exit", "status": n}`."""
    start_store()
    records = []
    status = 4
    try:
        steps = Session(config, records.append).steps()
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                status = stop.value
                break
            if records:
                yield list(records)
                records.clear()
    except UsageError as e:
        records.append({"kind": "usage", "nodeid": "", "outcome": "error", "when": "", "longrepr": str(e), "output": ""})
    records.append({"kind": "exit", "nodeid": "", "outcome": str(status), "when": "", "longrepr": "", "output": ""})
    yield records


def run_session(config, report):
    """Runs the session described by `config` (a dict: rootdir, inifile, ini, args as
    [(path, "::suffix")], confcutdir, keyword, exitfirst, verbose, import_mode,
    continue_on_collection_errors); returns the exit status."""
    start_store()
    try:
        session = Session(config, report)
    except UsageError as e:
        report({"kind": "usage", "nodeid": "", "outcome": "error", "when": "", "longrepr": str(e), "output": ""})
        return 4
    return session.run()
