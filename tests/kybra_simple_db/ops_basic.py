"""Ids, aliases, namespaces, counters, updates and deletes."""
from kybra_simple_db import *


class State(Entity):
    __namespace__ = "task_tax_collection"
    __alias__ = "key"
    key = String()
    value = String(max_length=5000)


class Person(Entity):
    __alias__ = "name"
    name = String(min_length=2, max_length=50)
    age = Integer(min_value=0, max_value=200)
    height = Float()
    active = Boolean(default=True)


a = State(key="batch_position", value="0")
a.value = "100"
b = State(key="statistics", value='{"total": 3, "names": ["é", "✓"]}')
print(State["batch_position"].value, State[1]._id, State["2"].key, State.count(), State.max_id())
c = State(key="tmp")
c.delete()
print(State.count(), State.max_id(), State["tmp"])

p = Person(name="Alice", age="31", height=1.75)
q = Person(name="Bob", age=40, height=1.8, active="no", nickname="bobby")
q.age = 41
q.nickname = "robert"  # a plain attribute: stored with the next save
q.height = 1.81
for i in range(12):
    Person(name="P%02d" % i, age=i)
print([x.name for x in Person.load_some(3, 4)], Person.count(), Person.max_id())
print(sorted(x.name for x in Person.instances())[:3], len(Person.instances()))
print(Person["Alice"].serialize())
