"""`posix` is the sandboxed `os` (importlib's external loader imports it by this name)."""
import sys
import os

sys.modules[__name__] = os
