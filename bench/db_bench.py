"""kybra_simple_db operation benchmark, run unchanged under CPython with the real package
(0.5.0) and under codexvm. The caller provides `clock()` (a monotonic counter: nanoseconds, or
instructions in the canister), `N` (entities) and `OPS` (which operations to run); the result is
`{op: [count, total]}` in `result` (cost per op = total / count).
"""
from kybra_simple_db import Database, Entity, Integer, String


class BenchUser(Entity):
    __alias__ = "name"
    name = String()
    age = Integer()


results = {}
db = Database.get_instance()
START = globals().get("START", 0)  # first entity of this batch (the canister runs batches)
# Names, ages and ids are made before any clock starts: the table times the operations, not
# Python's string formatting.
NAMES = ["user%05d" % i for i in range(START, START + N)]
AGES = [i % 90 for i in range(START, START + N)]
IDS = [str(i) for i in range(START + 1, START + N + 1)]


def measure(op, count, fn):
    args = (loaded(),) if fn in (property_set, delete) else ()
    start = clock()
    fn(*args)
    results[op] = [count, clock() - start]


def create():
    for name, age in zip(NAMES, AGES):
        BenchUser(name=name, age=age)


def property_set(users):
    for u in users:
        u.age = 42


def load_by_id():
    db.clear_registry()
    for i in IDS:
        BenchUser.load(i)


def load_by_alias():
    db.clear_registry()
    for name in NAMES:
        BenchUser[name]


def count():
    for _ in range(1000):
        BenchUser.count()


def instances():
    db.clear_registry()
    assert len(list(BenchUser.instances())) == N


def load_some():
    db.clear_registry()
    for start in range(START + 1, START + N + 1, 100):
        BenchUser.load_some(start, 100)


def delete(users):
    for u in users:
        u.delete()


def loaded():
    """The batch's entities, loaded before the clock starts (set and delete time only themselves)."""
    return [BenchUser[i] for i in IDS]


PLAN = [
    ("create", N, create),
    ("property set", N, property_set),
    ("load by id", N, load_by_id),
    ("load by alias", N, load_by_alias),
    ("count()", 1000, count),
    ("instances() of N", 1, instances),
    ("load_some(100)", N // 100, load_some),
    ("delete", N, delete),
]
for op, n, fn in PLAN:
    if op in OPS:
        measure(op, n, fn)
result = results
