"""xunit-style set-up in `codexvm test`, in pytest's order and with its signatures."""

import unittest

import pytest

EVENTS = []


def setup_module():
    EVENTS.append("setup_module")


def teardown_module(module):
    EVENTS.append(f"teardown_module {module.__name__}")


def setup_function(function):
    EVENTS.append(f"setup_function {function.__name__}")


def teardown_function(function):
    EVENTS.append(f"teardown_function {function.__name__}")


def test_module_set_up_ran_first():
    assert EVENTS == ["setup_module", "setup_function test_module_set_up_ran_first"]


def test_function_teardown_ran_after_the_previous_test():
    assert EVENTS[-2:] == ["teardown_function test_module_set_up_ran_first",
                           "setup_function test_function_teardown_ran_after_the_previous_test"]


class TestNoArgumentSetups:
    """setup_method/teardown_method may leave out the `method` argument."""

    @classmethod
    def setup_class(cls):
        EVENTS.append("setup_class")
        cls.shared = []

    @classmethod
    def teardown_class(cls):
        EVENTS.append("teardown_class")

    def setup_method(self):
        EVENTS.append("setup_method")
        self.shared.append(len(self.shared))

    def teardown_method(self):
        EVENTS.append("teardown_method")

    def test_first(self):
        assert EVENTS[-2:] == ["setup_class", "setup_method"]
        assert self.shared == [0]

    def test_second_shares_the_class_state(self):
        assert EVENTS[-3:] == ["setup_method", "teardown_method", "setup_method"]
        assert self.shared == [0, 1]


class TestMethodArgument:
    def setup_method(self, method):
        self.name = method.__name__

    def test_gets_the_method(self):
        assert self.name == "test_gets_the_method"


class TestPlainClassHasNoSetUp:
    """pytest calls setUp only on unittest.TestCase classes."""

    def setUp(self):
        raise AssertionError("setUp must not run on a plain test class")

    def test_runs_without_setUp(self):
        pass


class CaseWithClassSetUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        EVENTS.append("setUpClass")
        cls.resource = {"opened": 1}

    @classmethod
    def tearDownClass(cls):
        EVENTS.append("tearDownClass")

    def test_sees_class_resource(self):
        self.assertEqual(self.resource["opened"], 1)
        self.resource["opened"] += 1

    def test_class_resource_is_shared(self):
        # unittest runs test methods sorted by name: this one comes first.
        self.assertEqual(self.resource["opened"], 1)


def test_class_teardowns_ran_in_order():
    for name in ("teardown_class", "tearDownClass"):
        assert name in EVENTS
    assert EVENTS.index("setup_class") < EVENTS.index("teardown_class") < EVENTS.index("setUpClass")


@pytest.fixture(scope="module")
def module_resource():
    EVENTS.append("module_resource up")
    yield "r"
    EVENTS.append("module_resource down")


def test_module_fixture_once_1(module_resource):
    assert EVENTS.count("module_resource up") == 1


def test_module_fixture_once_2(module_resource):
    assert EVENTS.count("module_resource up") == 1
    assert "module_resource down" not in EVENTS
