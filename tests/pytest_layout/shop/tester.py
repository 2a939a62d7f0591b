"""A helper module beside the test package: `from tester import Tester` finds it because the
directory above the outermost package is put on sys.path."""

EVENTS = []


def record(event):
    EVENTS.append(event)


class Tester:
    def __init__(self, name):
        self.name = name

    def check(self, value, expected):
        assert value == expected, f"{self.name}: {value!r} != {expected!r}"
        return True
