"""deserialize (upsert by id and by alias, with alias change), custom ids, versions."""
from kybra_simple_db import *


class Item(Entity):
    __alias__ = "sku"
    __version__ = 2
    sku = String()
    qty = Integer()


a = Item(sku="A-1", qty=1)
Item.deserialize({"_type": "Item", "_id": "1", "sku": "A-2", "qty": 5})
Item.deserialize({"_type": "Item", "sku": "B-1", "qty": 2})
Item.deserialize({"_type": "Item", "_id": "10", "sku": "C-1", "qty": 3})
Item.deserialize({"_type": "Item", "sku": "B-1", "qty": 7})
Item(_id="x7", sku="D-1", qty=0)
print(Item.max_id(), Item.count(), Item["A-2"].qty, Item["B-1"].qty, Item["x7"].sku, Item["A-1"])
for bad in [[1], {"sku": "no type"}, {"_type": "Other"}]:
    try:
        Item.deserialize(bad)
    except ValueError as e:
        print("ValueError", e)
try:
    Item(_id="10", sku="dup")
except ValueError as e:
    print("ValueError", e)
