"""unittest.TestCase classes under pytest's rules."""

import unittest

from tester import record


def setUpModule():
    record("setUpModule")


def tearDownModule():
    record("tearDownModule")


class LedgerCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        record("setUpClass")
        cls.entries = []

    @classmethod
    def tearDownClass(cls):
        record("tearDownClass")

    def setUp(self):
        self.entries.append("x")
        self.addCleanup(record, "cleanup")

    def tearDown(self):
        record("tearDown")

    def test_append(self):
        self.assertEqual(self.entries[-1], "x")

    def test_count(self):
        self.assertEqual(len(self.entries), 2)

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_unexpected_success(self):
        self.assertEqual(1, 1)

    @unittest.skip("not today")
    def test_skipped(self):
        raise AssertionError("not run")

    def test_skip_inside(self):
        self.skipTest("decided at run time")

    def test_fails(self):
        self.assertIn("y", self.entries)


class BrokenSetUpClass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("setUpClass failed")

    def test_a(self):
        pass

    def test_b(self):
        pass


class BrokenSetUp(unittest.TestCase):
    def setUp(self):
        raise RuntimeError("setUp failed")

    def test_reported_as_failure(self):
        pass


class BrokenTearDownClass(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        raise RuntimeError("tearDownClass failed")

    def test_passes(self):
        pass


@unittest.skip("whole class skipped")
class SkippedCase(unittest.TestCase):
    def test_a(self):
        raise AssertionError("not run")
