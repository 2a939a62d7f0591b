"""Relations: one-to-many, many-to-one, many-to-many, one-to-one, by entity, id and alias."""
from kybra_simple_db import *


class Parent(Entity):
    __alias__ = "name"
    name = String()
    children = OneToMany("Child", "parent")
    favorite = OneToOne("Child", "favorite_of")


class Child(Entity):
    name = String()
    parent = ManyToOne("Parent", "children")
    favorite_of = OneToOne("Parent", "favorite")


class Student(Entity):
    __alias__ = "name"
    name = String()
    courses = ManyToMany("Course", "students")


class Course(Entity):
    __alias__ = "title"
    title = String()
    students = ManyToMany("Student", "courses")


alice = Parent(name="Alice")
bob = Parent(name="Bob")
c1 = Child(name="c1", parent=alice)
c2 = Child(name="c2")
c2.parent = "Alice"  # by alias
c3 = Child(name="c3", parent="2")  # by id
alice.children.add(c3)  # steals c3 from Bob (in memory)
alice.favorite = c1
print([c.name for c in alice.children], [c.name for c in bob.children], c1.favorite_of.name)
print(alice.serialize())

s = Student(name="Sam")
m = Course(title="Math")
p = Course(title="Physics")
s.courses = [m]
s.courses.add(p)
p.students.add(Student(name="Kim"))
m.students.remove(s)
print(sorted(c.title for c in s.courses), [x.name for x in p.students], len(m.students))
try:
    c1.parent = "Nobody"
except ValueError as e:
    print("ValueError", e)
