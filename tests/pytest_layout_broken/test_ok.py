import pytest


def test_runs():
    pass


def test_yield_is_not_a_test_style():
    assert True


@pytest.mark.parametrize("n", [])
def test_empty_parameter_set(n):
    raise AssertionError("not run")
