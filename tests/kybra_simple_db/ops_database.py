"""The raw Database API: save, load, update, delete, get_all, dump_json."""
from kybra_simple_db import *

db = Database.get_instance()
db.save("Person", "1", {"name": "Alice", "tags": ["a", "b"], "score": 1.5})
db.save("Person", "2", {"name": "Bob"})
db.update("Person", "1", "score", 2.25)
db.delete("Person", "2")
print(db.load("Person", "1"), db.load("Person", "2"))
print(db.get_all())
print(db.dump_json())
