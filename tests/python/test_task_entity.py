"""TaskEntity, as the seed guide tests it (namespace isolation, multiple entity types, batch
processing, JSON data storage, execution context injection) plus the isolation that codexvm
enforces between tasks."""
import json

import pytest
from core.execution import create_task_entity_class, run_code
from kybra_simple_db import Database, String

STATE = '''
from kybra_simple_db import String
class State(TaskEntity):
    __alias__ = "key"
    key = String()
    value = String()
'''


def test_factory_sets_the_task_namespace():
    TaskEntity = create_task_entity_class("tax_collection")
    assert TaskEntity.__namespace__ == "task_tax_collection"

    class ProcessingState(TaskEntity):
        __alias__ = "key"
        key = String()

    assert ProcessingState.get_full_type_name() == "task_tax_collection::ProcessingState"
    s = ProcessingState(key="batch_position")
    raw = json.loads(Database.get_instance().raw_dump_json())
    assert raw["task_tax_collection::ProcessingState@1"].startswith('{"timestamp_created"')
    assert raw["task_tax_collection::ProcessingState_alias@batch_position"] == '"1"'
    assert raw["_system@task_tax_collection::ProcessingState_id"] == '"1"'


def test_namespace_isolation_same_class_name(run_codex):
    a = run_codex(STATE + "State(key='position', value='a')\nresult = State['position'].value", task="a")
    b = run_codex(STATE + "State(key='position', value='b')\nresult = State['position'].value", task="b")
    assert (a["success"], a["result"]) == (True, "a")
    assert (b["success"], b["result"]) == (True, "b")
    again = run_codex(STATE + "result = [State['position'].value, State.count()]", task="a")
    assert again["result"] == ["a", 1]


def test_multiple_entity_types_share_the_namespace(run_codex):
    code = '''
from kybra_simple_db import String, Integer
class BatchState(TaskEntity):
    __alias__ = "key"
    key = String()
    position = Integer()
class Metrics(TaskEntity):
    __alias__ = "metric_name"
    metric_name = String()
    value = Integer()
BatchState(key="main", position=3)
Metrics(metric_name="processed", value=30)
result = [BatchState.get_full_type_name(), Metrics.get_full_type_name()]
'''
    r = run_codex(code, task="multi")
    assert r["result"] == ["task_multi::BatchState", "task_multi::Metrics"]
    raw = json.loads(Database.get_instance().raw_dump_json())
    assert "task_multi::BatchState@1" in raw and "task_multi::Metrics@1" in raw


def test_batch_processing_resumes_across_executions(run_codex):
    seed = '''
from ggg import User
for i in range(25):
    User(id="u%02d" % i)
'''
    assert run_codex(seed)["success"]
    batch = STATE + '''
from ggg import User
BATCH_SIZE = 10
state = State["main"] or State(key="main", value="0")
position = int(state.value)
users = list(User.instances())
batch = users[position:position + BATCH_SIZE]
state.value = str(min(position + BATCH_SIZE, len(users)))
result = [u.id for u in batch]
'''
    runs = [run_codex(batch, task="batch")["result"] for _ in range(4)]
    assert [len(r) for r in runs] == [10, 10, 5, 0]
    assert runs[0][0] == "u00" and runs[2][-1] == "u24"


def test_json_data_in_a_string_field(run_codex):
    code = STATE + '''
import json
stats = State(key="statistics", value=json.dumps({"processed": 10, "names": ["é", "✓"]}))
result = json.loads(State["statistics"].value)
'''
    r = run_codex(code, task="json")
    assert r["result"] == {"processed": 10, "names": ["é", "✓"]}


def test_task_entity_injected_only_in_tasks(run_codex):
    inside = run_codex("result = TaskEntity.__namespace__", task="ctx")
    assert inside["result"] == "task_ctx"
    outside = run_codex("result = TaskEntity")
    assert outside["success"] is False
    assert "NameError" in outside["error"]


def test_run_code_result_shape():
    ok = run_code("print('hi')\nresult = TaskEntity.__namespace__", task_name="shape")
    assert ok == {"success": True, "result": "task_shape", "logs": ["hi"]}
    bad = run_code("print('before')\n1/0")
    assert bad["success"] is False and "ZeroDivisionError" in bad["error"] and bad["logs"] == ["before"]


def test_failed_codex_leaves_no_writes(run_codex):
    r = run_codex(STATE + "State(key='k', value='v')\nraise RuntimeError('boom')", task="atomic")
    assert r["success"] is False and "boom" in r["error"]
    assert run_codex(STATE + "result = State.count()", task="atomic")["result"] == 0


# ------------------------------------------------------------------------- isolation between tasks

SECRET = STATE + "State(key='secret', value='42')"

ROUTES = {
    "overridden __namespace__": '''
from kybra_simple_db import String
class State(TaskEntity):
    __namespace__ = "task_victim"
    __alias__ = "key"
    key = String()
    value = String()
result = State["secret"].value
''',
    "factory for another task": '''
from core.execution import create_task_entity_class
from kybra_simple_db import String
Other = create_task_entity_class("victim")
class State(Other):
    __alias__ = "key"
    key = String()
    value = String()
result = State["1"].value
''',
    "Database internals": '''
from kybra_simple_db import Database
result = Database.get_instance().load("task_victim::State", "1")
''',
    "raw storage key": '''
from kybra_simple_db import Database
result = Database.get_instance()._db_storage.get("task_victim::State@1")
''',
    "native module": '''
import sys
_db = sys.modules["_db"]
result = _db.get((1, 100, 10000), "task_victim::State@1")
''',
    "raw StableBTreeMap": '''
from kybra import StableBTreeMap
m = StableBTreeMap[str, str](memory_id=1, max_key_size=100, max_value_size=10000)
result = m.get("task_victim::State@1")
''',
    "raw _stable": '''
import sys
_stable = sys.modules["_stable"]
result = _stable.get(1, b"task_victim::State@1")
''',
    "write through Database": '''
from kybra_simple_db import Database
Database.get_instance().save("task_victim::State", "9", {"value": "mine"})
''',
    "exec in fresh globals": '''
ns = {}
exec("import sys\\nr = sys.modules['_db'].get((1, 100, 10000), 'task_victim::State@1')", ns)
result = ns["r"]
''',
    "eval and __import__": '''
result = eval("__import__('sys').modules['_stable'].get(1, b'task_victim::State@1')", {})
''',
    "compiled code in new globals": '''
code = compile("from kybra_simple_db import Database\\nr = Database.get_instance().load('task_victim::State', '1')", "x", "exec")
g = {}
exec(code, g)
result = g["r"]
''',
    "builtins taken from a library function": '''
import json
b = json.dumps.__globals__["__builtins__"]
imp = b["__import__"] if isinstance(b, dict) else b.__import__
result = imp("_db").get((1, 100, 10000), "task_victim::State@1")
''',
    "counters": '''
from kybra_simple_db import Database
result = Database.get_instance()._b.counter("_system@task_victim::State_count")
''',
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_task_cannot_reach_another_tasks_records(run_codex, route):
    assert run_codex(SECRET, task="victim")["success"]
    r = run_codex(ROUTES[route], task="attacker")
    assert r["success"] is False, f"{route}: got {r.get('result')!r}"
    assert "PermissionError" in r["error"], r["error"]


IMPORTS = {
    "native module": "import _db",
    "from a native module": "from _stable import get",
    "dotted": "import importlib.machinery",
    "builtins": "import builtins",
    "collector": "import gc",
    "test harness": "import codexvm_testing",
    "__import__": "m = __import__('_runtime')",
    "exec in fresh globals": "exec('import _db', {})",
    "eval in fresh globals": "eval(\"__import__('_db')\", {'x': 1})",
    "exec in own globals": "exec('import _stable')",
    "function defined by the codex": "def f():\n    import _db\nf()",
}


@pytest.mark.parametrize("route", sorted(IMPORTS))
def test_a_tasks_codex_imports_only_allowed_modules(run_codex, route):
    r = run_codex(IMPORTS[route], task="attacker")
    assert r["success"] is False, f"{route}: got {r.get('result')!r}"
    assert "ImportError: task 'attacker' may not import" in r["error"], r["error"]


def test_allowed_imports_and_library_imports_still_work(run_codex):
    r = run_codex('''
import json, datetime, re, collections, sys, os.path, kybra_simple_db.properties
from ggg import User
from kybra import ic
from core.task_manager import TaskManager
from codexvm import budget
import statistics  # whose own imports (fractions, decimal, ...) are not limited
result = [json.dumps(statistics.mean([1, 2, 3])), os.path.join("a", "b")]
''', task="importer")
    assert r["success"], r.get("error")
    assert r["result"] == ["2", "a/b"]


def test_imports_outside_tasks_are_not_limited(run_codex):
    r = run_codex("import gc, builtins\nresult = gc.isenabled()")
    assert r["success"] and r["result"] is True


def test_files_cannot_be_opened(run_codex):
    r = run_codex("result = open('/etc/hostname').read()", task="attacker")
    assert r["success"] is False and "UnsupportedOperation" in r["error"], r


def test_a_tasks_own_class_does_not_see_another_tasks_records(run_codex):
    assert run_codex(SECRET, task="victim")["success"]
    r = run_codex(STATE + "result = [State['secret'], State['1'], State.count(), State.instances()]", task="attacker")
    assert r["result"] == [None, None, 0, []]


def test_scans_skip_other_namespaces(run_codex):
    assert run_codex(SECRET, task="victim")["success"]
    r = run_codex('''
from kybra_simple_db import Database
keys = list(Database.get_instance()._db_storage.keys())
result = [k for k in keys if "victim" in k]
''', task="attacker")
    assert r["success"] and r["result"] == []


def test_grants_open_a_namespace_for_reading_then_writing(task, run_codex):
    assert run_codex(SECRET, task="victim")["success"]
    reader = ROUTES["factory for another task"]
    assert run_codex(reader, task="test_task")["success"] is False
    task.grant("victim")
    assert run_codex(reader, task="test_task")["result"] == "42"
    write = reader.replace('result = State["1"].value', 'State["1"].value = "changed"')
    denied = run_codex(write, task="test_task")
    assert denied["success"] is False and "may not write" in denied["error"]
    task.grant("victim", write=True)
    assert run_codex(write, task="test_task")["success"]
    task.revoke("victim")
    assert run_codex(reader, task="test_task")["success"] is False


def test_privileged_code_sees_every_namespace(run_codex):
    assert run_codex(SECRET, task="victim")["success"]
    r = run_codex('from kybra_simple_db import Database\nresult = Database.get_instance().load("task_victim::State", "1")["value"]')
    assert r["result"] == "42"


def test_a_task_cannot_run_codexes_or_grant():
    r = run_code("import _runtime\n_runtime.grant('x', 'task_victim', True)", task_name="sneaky")
    assert r["success"] is True  # run_code runs in the caller's (privileged) context
    import _runtime

    r = _runtime.run_codex("import sys\nsys.modules['_runtime'].run_codex('result = 1', 'victim')", "sneaky")
    assert r["success"] is False and "PermissionError" in r["error"]
    r = _runtime.run_codex("import sys\nsys.modules['_runtime'].grant('sneaky', 'task_victim', True)", "sneaky")
    assert r["success"] is False and "PermissionError" in r["error"]
