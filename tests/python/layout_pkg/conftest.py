import pytest


@pytest.fixture
def package_fixture():
    return __name__
