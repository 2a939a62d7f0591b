"""Keeps a run counter in a StableBTreeMap: every run adds one, and the count survives between
runs because the map lives in stable memory (natively: the runner's state file).

    scripts/codexvm run codex_examples/counter_codex.py
"""
from kybra import ic, nat64, StableBTreeMap

counter = StableBTreeMap[str, nat64](memory_id=10, max_key_size=32, max_value_size=16)

runs = (counter.get("runs") or 0) + 1
counter.insert("runs", runs)
ic.print(f"run number {runs}")

result = {"runs": runs}
