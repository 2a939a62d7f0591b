"""Every test in this suite starts on an empty store and a fresh native host (`fresh_store`),
as codexvm's own tests always have; suites written for pytest + kybra_simple_db share one
store for the session instead, as they would in one CPython process. (Under CPython, where
there is no `fresh_store`, the files that need no codexvm fixture run as they are.)"""

import pytest


@pytest.fixture(autouse=True)
def _fresh(request):
    try:
        import _testsession  # noqa: F401  (only codexvm's runner has it)
    except ImportError:
        yield
        return
    request.getfixturevalue("fresh_store")
    yield
