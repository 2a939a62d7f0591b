"""Every test in this suite starts on an empty store and a fresh native host (`fresh_store`),
as codexvm's own tests always have; suites written for pytest + kybra_simple_db share one
store for the session instead, as they would in one CPython process."""

import pytest


@pytest.fixture(autouse=True)
def _fresh(fresh_store):
    yield
