"""A helper module beside the test package `layout_pkg`: its tests import it because pytest's
prepend import mode puts the directory above the outermost package on sys.path."""

GREETING = "found from the package's parent directory"
