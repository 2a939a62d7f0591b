"""Overrides the suite's per-test fresh store: these tests share the session's store, as a
suite written for pytest + kybra_simple_db does."""

import pytest


@pytest.fixture(autouse=True)
def _fresh():
    yield
