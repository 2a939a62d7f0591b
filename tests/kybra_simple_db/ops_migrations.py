"""Schema migrations on load, including migrations that rename a relation field of each kind:
the record persisted by the migrating load must hold the new key exactly as 0.5.0 writes it.
Also a migration that turns a name into a relation (given by alias, by entity, by int id): the
ids are resolved and the other side links back, as 0.5.0's descriptors do."""
from kybra_simple_db import *

db = Database.get_instance()


def migration(old, new):
    def migrate(cls, obj, from_version, to_version):
        print("migrate", cls.__name__, from_version, to_version)
        if old in obj:
            obj[new] = obj.pop(old)
        return obj

    return classmethod(migrate)


class Person(Entity):
    name = String()
    items = OneToMany("Item", "owner")


class Item(Entity):
    name = String()
    owner = ManyToOne("Person", "items")
    qty = Integer()


class Team(Entity):
    __alias__ = "name"
    name = String()
    members = OneToMany("Member", "team")


class Member(Entity):
    name = String()
    team = ManyToOne("Team", "members")


class Student(Entity):
    name = String()
    courses = ManyToMany("Course", "students")


class Course(Entity):
    title = String()
    students = ManyToMany("Student", "courses")


class Shop(Entity):
    name = String()
    product = OneToOne("Product", "shop")


class Product(Entity):
    name = String()
    shop = OneToOne("Shop", "product")
    price = Float()


class Owner(Entity):
    __alias__ = "name"
    name = String()
    things = OneToMany("Thing", "owner")


class Thing(Entity):
    name = String()
    owner_name = String()


for n in ("ann", "ben"):
    Owner(name=n)
for i, n in enumerate(["ann", "ben", "ann", "ben"]):
    Thing(name=f"t{i + 1}", owner_name=n)
alice = Person(name="alice")
Item(name="i1", owner=alice, qty=1)
Item(name="loose", qty=2)
red = Team(name="red")
Member(name="m1", team=red)
Member(name="m2", team=red)
st = Student(name="s")
st.courses = [Course(title="m")]
st.courses.add(Course(title="p"))
pr = Product(name="x", price=1.5)
pr.shop = Shop(name="s")
db.clear_registry()


# ManyToOne owner -> user (the reverse side follows)
class Person(Entity):
    name = String()
    items = OneToMany("Item", "user")


class Item(Entity):
    __version__ = 2
    name = String()
    user = ManyToOne("Person", "items")
    qty = Integer()
    migrate = migration("owner", "user")


# OneToMany members -> players
class Team(Entity):
    __alias__ = "name"
    __version__ = 2
    name = String()
    players = OneToMany("Member", "team")
    migrate = migration("members", "players")


class Member(Entity):
    name = String()
    team = ManyToOne("Team", "players")


# ManyToMany courses -> classes
class Student(Entity):
    __version__ = 3
    name = String()
    classes = ManyToMany("Course", "students")
    migrate = migration("courses", "classes")


class Course(Entity):
    title = String()
    students = ManyToMany("Student", "classes")


# OneToOne shop -> store
class Shop(Entity):
    name = String()
    product = OneToOne("Product", "store")


class Product(Entity):
    __version__ = 2
    name = String()
    store = OneToOne("Shop", "product")
    price = Float()
    migrate = migration("shop", "store")


# a plain name turned into a ManyToOne
class Owner(Entity):
    __alias__ = "name"
    name = String()
    things = OneToMany("Thing", "owner")


class Thing(Entity):
    __version__ = 2
    name = String()
    owner = ManyToOne("Owner", "things")

    @classmethod
    def migrate(cls, obj, from_version, to_version):
        name = obj.pop("owner_name")
        obj["owner"] = {"t1": name, "t2": Owner[name], "t3": 1, "t4": "2"}[obj["name"]]
        return obj


for cls in (Person, Item, Team, Member, Student, Course, Shop, Product, Owner, Thing):
    db.register_entity_type(cls)

owners = [Owner["ann"], Owner["ben"]]  # kept: 0.5.0's identity map is weak
print([Thing.load(str(i)).name for i in range(1, 5)])

print(Item.load("1").name, Item.load("2").qty)
print(Team["red"].name)
print(Student.load("1").name)
print(Product.load("1").price)
for key in ("Item@1", "Item@2", "Team@1", "Student@1", "Product@1", "Owner@1", "Owner@2", "Thing@2"):
    print(key, db._db_storage.get(key))
