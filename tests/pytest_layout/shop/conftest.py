"""The shop's conftest, one folder above the test package (which has an __init__.py)."""

import pytest

from tester import Tester, record


@pytest.fixture
def tester():
    t = Tester("shop")
    record("tester up")
    yield t
    record("tester down")


@pytest.fixture
def greeting(greeting):
    """Overrides the rootdir's fixture of the same name and builds on it."""
    return greeting + ", and from the shop"


@pytest.fixture(scope="module")
def module_counter():
    record("module_counter up")
    yield {"n": 0}
    record("module_counter down")


@pytest.fixture(params=["euro", "dollar"])
def currency(request):
    return request.param
