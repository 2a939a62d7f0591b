"""The order in which xunit set-ups, teardowns and fixtures ran in the files before this one."""

import conftest as _unused  # noqa: F401  (the shop's conftest module is importable as `conftest`)


def test_order(journal):
    expected_prefix = [
        "setup_module tests.test_a_xunit_module",
        "setup_function test_first",
        "teardown_function",
        "setup_function test_second",
        "teardown_function",
        "setup_method (no argument)",
        "teardown_module",
        "setup_class TestAccount",
        "setup_method test_balance",
        "teardown_method test_balance",
        "setup_method test_withdraw",
        "teardown_method test_withdraw",
        "teardown_class TestAccount",
        "tester up",
        "tester down",
        "setUpModule",
        "setUpClass",
        "tearDown",
        "cleanup",
        "tearDown",
        "cleanup",
        "tearDown",
        "cleanup",
        "tearDown",
        "cleanup",
    ]
    assert journal[: len(expected_prefix)] == expected_prefix
    assert "tearDownClass" in journal and "tearDownModule" in journal
    assert journal.index("tearDownClass") < journal.index("tearDownModule")
    assert "module_counter up" in journal and "module_counter down" in journal
