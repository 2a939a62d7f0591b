"""Helpers the codexvm executor calls around each execution (not meant for codexes)."""

import json
import linecache
import traceback


def result_json(value):
    """JSON text of a codex's `result`; values JSON cannot hold are given by their repr()."""
    return json.dumps(value, default=repr)


def format_exception(exc, filename, source):
    """The traceback of `exc` as CPython prints it, with the codex's own lines shown."""
    if source is not None:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    finally:
        if source is not None:
            linecache.cache.pop(filename, None)
