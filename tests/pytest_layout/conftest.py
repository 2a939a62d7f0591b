"""Top-level conftest: the rootdir's fixtures and collection settings."""

import pytest

# broken/ would fail to collect; pytest's collect_ignore keeps it out.
collect_ignore = ["broken"]

CONFIGURED = []


def pytest_configure(config):
    config.addinivalue_line("markers", "area(name): which part of the shop a test covers")
    CONFIGURED.append(config.rootpath)


@pytest.fixture(scope="session")
def journal():
    """Events of the whole session, in order (xunit set-ups and fixtures append to it)."""
    from tester import EVENTS

    return EVENTS


@pytest.fixture
def greeting():
    return "hello from the rootdir"
