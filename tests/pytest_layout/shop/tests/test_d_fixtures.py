"""Fixtures: scopes, parameters, overriding, marks."""

import pytest

from tester import record


def test_override_builds_on_outer(greeting):
    # The module overrides `greeting` below: the override counts for the whole module.
    assert greeting == "hello from the rootdir, and from the shop!"


@pytest.fixture
def greeting(greeting):
    return greeting + "!"


def test_module_override(greeting):
    assert greeting.endswith("shop!")


def test_module_scope_shared_1(module_counter):
    module_counter["n"] += 1
    assert module_counter["n"] == 1


def test_module_scope_shared_2(module_counter):
    module_counter["n"] += 1
    assert module_counter["n"] == 2


def test_param_fixture(currency):
    assert currency in ("euro", "dollar")


@pytest.mark.parametrize("a,b,total", [(1, 2, 3), (2, 2, 4), pytest.param(1, 1, 3, id="wrong")])
def test_parametrize(a, b, total):
    assert a + b == total


@pytest.mark.parametrize("x", [0, 1])
@pytest.mark.parametrize("y", ["p", "q"])
def test_stacked(x, y):
    assert isinstance(x, int) and y in "pq"


@pytest.fixture
def finalized(request):
    request.addfinalizer(lambda: record(f"finalizer of {request.node.name}"))
    return request.function.__name__


def test_request(finalized):
    assert finalized == "test_request"


def test_finalizer_ran(journal):
    assert "finalizer of test_request" in journal


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture set-up failed")


def test_uses_broken_fixture(broken_fixture):
    pass


@pytest.fixture
def broken_teardown():
    yield 1
    raise RuntimeError("fixture teardown failed")


def test_broken_fixture_teardown(broken_teardown):
    assert broken_teardown == 1


def test_missing_fixture(no_such_fixture):
    pass


@pytest.mark.skip(reason="marked")
def test_skip_mark():
    raise AssertionError("not run")


@pytest.mark.skipif("sys.version_info < (3, 0)", reason="never")
def test_skipif_false():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed now")
def test_xpass():
    pass


@pytest.mark.xfail(strict=True, reason="must fail")
def test_xpass_strict():
    pass


def test_imperative_skip():
    pytest.skip("skipped from inside")


def test_imperative_xfail():
    pytest.xfail("xfailed from inside")


@pytest.mark.usefixtures("tester")
def test_usefixtures(journal):
    assert journal[-1] == "tester up"


@pytest.fixture(autouse=True)
def _autouse_marker(request):
    request.node.add_marker("area")
    yield


@pytest.mark.slow
def test_custom_mark():
    pass


@pytest.fixture(scope="class")
def shared():
    return []


class TestClassScope:
    def test_one(self, shared):
        shared.append(1)
        assert shared == [1]

    def test_two(self, shared):
        shared.append(2)
        assert shared == [1, 2]


def test_raises():
    with pytest.raises(ZeroDivisionError, match="division"):
        1 / 0
    with pytest.raises(pytest.fail.Exception):
        with pytest.raises(ValueError):
            pass


def test_approx():
    assert 0.1 + 0.2 == pytest.approx(0.3)
    assert [0.1 + 0.2, 1.0] == pytest.approx([0.3, 1.0])
