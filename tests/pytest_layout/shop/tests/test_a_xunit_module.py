"""Module-level xunit set-ups: setup_module/teardown_module and setup_function/teardown_function,
written with and without their argument."""

from tester import record


def setup_module(module):
    record(f"setup_module {module.__name__}")


def teardown_module():
    record("teardown_module")


def setup_function(function):
    record(f"setup_function {function.__name__}")


def teardown_function():
    record("teardown_function")


def test_first(journal):
    assert journal[-2:] == ["setup_module tests.test_a_xunit_module", "setup_function test_first"]


def test_second(journal):
    assert journal[-3:] == ["setup_function test_first", "teardown_function", "setup_function test_second"]


class TestInModule:
    def setup_method(self):
        record("setup_method (no argument)")

    def test_method_has_no_setup_function(self, journal):
        # setup_function is for plain functions; methods get setup_method only.
        assert journal[-1] == "setup_method (no argument)"
        assert journal[-2] == "teardown_function"
