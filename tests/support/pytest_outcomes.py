"""A pytest plugin (`-p pytest_outcomes`) that writes every outcome of a run to the JSON file
named by $PYTEST_OUTCOMES, in the shape `codexvm test` reports them, for tests/it/native/pytest_layout.rs."""

import json
import os

_records = []
_warnings = []


def pytest_runtest_logreport(report):
    if report.passed and report.when != "call":
        return
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.failed:
        outcome = "failed" if report.when == "call" else "error"
    else:
        outcome = report.outcome
    _records.append({"nodeid": report.nodeid, "when": report.when, "outcome": outcome})


def pytest_collectreport(report):
    if report.failed:
        _records.append({"nodeid": report.nodeid, "when": "collect", "outcome": "error"})
    elif report.skipped:
        _records.append({"nodeid": report.nodeid, "when": "collect", "outcome": "skipped"})


def pytest_warning_recorded(warning_message, when, nodeid, location):
    _warnings.append(str(warning_message.message))


def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["PYTEST_OUTCOMES"], "w") as f:
        json.dump({"records": _records, "warnings": _warnings, "exitstatus": int(exitstatus)}, f)
