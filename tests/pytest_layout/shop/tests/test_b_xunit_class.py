"""Class-level xunit set-ups, and errors in them reported as pytest does."""

import pytest

from tester import Tester, record


class TestAccount:
    @classmethod
    def setup_class(cls):
        record("setup_class TestAccount")
        cls.balance = 100

    @classmethod
    def teardown_class(cls):
        record("teardown_class TestAccount")

    def setup_method(self, method):
        record(f"setup_method {method.__name__}")
        self.tester = Tester("account")

    def teardown_method(self, method):
        record(f"teardown_method {method.__name__}")

    def test_balance(self, journal):
        assert self.balance == 100
        assert journal[-2:] == ["setup_class TestAccount", "setup_method test_balance"]

    def test_withdraw(self, journal):
        assert self.tester.check(self.balance - 30, 70)
        assert journal[-1] == "setup_method test_withdraw"


class TestBrokenSetupClass:
    """setup_class raises: every test of the class is an error, none runs."""

    def setup_class(cls):
        raise RuntimeError("no database")

    def test_one(self):
        raise AssertionError("not run")

    def test_two(self):
        raise AssertionError("not run")


class TestBrokenSetupMethod:
    def setup_method(self, method):
        if method.__name__ == "test_bad":
            raise ValueError("setup failed for this test only")

    def test_bad(self):
        raise AssertionError("not run")

    def test_good(self):
        pass


class TestBrokenTeardownClass:
    """teardown_class raises: the tests pass, and the last one also gets an error."""

    def teardown_class(cls):
        raise RuntimeError("teardown_class failed")

    def test_passes(self):
        pass

    def test_passes_too(self):
        pass


class TestBrokenTeardownMethod:
    def teardown_method(self, method):
        raise RuntimeError("teardown_method failed")

    def test_passes_then_errors(self):
        pass


class TestHasInit:
    """Not collected (pytest warns that it has an __init__ constructor)."""

    def __init__(self):
        self.x = 1

    def test_never(self):
        raise AssertionError("not collected")


class TestFailing:
    def test_fails(self, tester):
        assert tester.check(1 + 1, 3)


class Base:
    def test_inherited(self):
        assert self.kind in ("base", "child")


class TestChild(Base):
    kind = "child"

    def test_own(self):
        assert self.kind == "child"
