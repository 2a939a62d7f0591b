raise RuntimeError("this file is in collect_ignore and must never be imported")
