"""pytest's import rules for a test file inside a package (directory with __init__.py)."""

import sys

from runner_helper import GREETING


def test_module_is_imported_by_its_dotted_name():
    assert __name__ == "layout_pkg.test_import_rules"
    assert sys.modules[__name__].__file__ == __file__
    assert __file__.endswith("/layout_pkg/test_import_rules.py")


def test_helper_in_the_directory_above_the_package_is_importable():
    assert GREETING == "found from the package's parent directory"


def test_package_conftest_is_a_submodule(package_fixture):
    assert package_fixture == "layout_pkg.conftest"


def test_the_base_directory_is_on_sys_path():
    base = __file__.rsplit("/layout_pkg/", 1)[0]
    assert base in sys.path
