"""Typed properties (`String`, `Integer`, `Float`, `Boolean`) and relations (`OneToOne`,
`OneToMany`, `ManyToOne`, `ManyToMany`), with kybra_simple_db 0.5.0's checks and messages."""

from dataclasses import dataclass
from typing import Any, Callable, Optional

import _db

from .entity import Entity

PROPERTY_STORAGE_PREFIX = "prop"


@dataclass
class Property(_db.FieldDescriptor):
    """A typed, validated field; every assignment saves the entity.

    Reading and assigning run natively (`_db.FieldDescriptor`): a read returns the instance's
    `__dict__["_prop_<name>"]` or the default; an assignment of a built-in property type on a
    plain entity is validated and saved in one call, anything else runs `_set` below."""

    name: str
    type: type
    default: Any = None
    validator: Optional[Callable[[Any], bool]] = None

    def __set_name__(self, owner, name):
        self.name = name
        self._key = f"_{PROPERTY_STORAGE_PREFIX}_{name}"

    def _set(self, obj, value):
        """The Python path of an assignment (hooks, custom validators, audit, ...)."""
        from .constants import ACTION_CREATE, ACTION_MODIFY
        from .hooks import call_entity_hook

        key = f"_{PROPERTY_STORAGE_PREFIX}_{self.name}"
        old_value = obj.__dict__.get(key, self.default)
        action = ACTION_CREATE if not getattr(obj, "_loaded", False) else ACTION_MODIFY
        allow, value = call_entity_hook(obj, self.name, old_value, value, action)
        if not allow:
            raise ValueError(f"Hook rejected change to {self.name}")
        if value is not None:
            if not isinstance(value, self.type):
                if isinstance(value, str) and self.type in (int, float, bool):
                    try:
                        value = value.lower() in ("true", "1", "yes", "on") if self.type is bool else self.type(value)
                    except (ValueError, TypeError):
                        raise TypeError(f"{self.name} must be of type {self.type.__name__}")
                else:
                    raise TypeError(f"{self.name} must be of type {self.type.__name__}")
            if self.validator and not self.validator(value):
                raise ValueError(f"Invalid value for {self.name}: {value}")
        had = key in obj.__dict__
        obj.__dict__[key] = value
        try:
            obj._save()
        except BaseException:
            # The write did not happen: the object must not show a value that storage lacks.
            if had:
                obj.__dict__[key] = old_value
            else:
                obj.__dict__.pop(key, None)
            raise


def _bounds(lo, hi):
    def validator(value):
        if lo is not None and value < lo:
            return False
        if hi is not None and value > hi:
            return False
        return True

    return validator


class String(Property):
    """Text, with optional length bounds (inclusive)."""

    def __init__(self, min_length=None, max_length=None, default=None):
        self.min_length, self.max_length = min_length, max_length

        def validator(value):
            return (min_length is None or len(value) >= min_length) and (max_length is None or len(value) <= max_length)

        super().__init__(name="", type=str, default=default, validator=validator)


class Integer(Property):
    """An int (bool is accepted, as in Python), with optional bounds (inclusive)."""

    def __init__(self, min_value=None, max_value=None, default=None):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(name="", type=int, default=default, validator=_bounds(min_value, max_value))


class Float(Property):
    """A float (ints are refused, as in 0.5.0), with optional bounds (inclusive)."""

    def __init__(self, min_value=None, max_value=None, default=None):
        self.min_value, self.max_value = min_value, max_value
        super().__init__(name="", type=float, default=default, validator=_bounds(min_value, max_value))


class Boolean(Property):
    """A bool."""

    def __init__(self, default=None):
        super().__init__(name="", type=bool, default=default)


def _type_list(entity_types):
    return [entity_types] if isinstance(entity_types, str) else list(entity_types)


def _class_name(type_name):
    return type_name.split("::")[-1]


class Relation:
    """Base of relation descriptors; links are stored on both entities, as ids."""

    def __init__(self, entity_types, reverse_name=None, many=False):
        self.entity_types = entity_types
        self.name = None
        self.reverse_name = reverse_name
        self.many = many

    def __set_name__(self, owner, name):
        self.name = name
        if self.reverse_name is None:
            self.reverse_name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        related = obj.get_relations(self.name)
        if not self.many:
            return related[0] if related else None
        return related

    def __set__(self, obj, value):
        if self.many:
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{self.name} requires a list or tuple of entities")
            values = list(value)
        else:
            values = [value]
        existing = list(obj.get_relations(self.name))
        if isinstance(self, OneToMany):
            for entity in values:
                _steal(entity, obj, self.reverse_name, self.name)
        for entity in existing:
            if entity not in values:
                obj.remove_relation(self.name, self.reverse_name, entity)
        for entity in values:
            if entity not in existing:
                obj.add_relation(self.name, self.reverse_name, entity)

    def validate_entity(self, entity):
        if entity is None:
            return True
        if not isinstance(entity, Entity):
            raise TypeError(f"{self.name} must be set to Entity instances")
        allowed = _type_list(self.entity_types)
        if entity._type not in allowed and _class_name(entity._type) not in [_class_name(t) for t in allowed]:
            raise TypeError(
                f"{self.name} must be set an Entity instance of any of the following types: {self.entity_types}, "
                f"but got type '{entity._type}'"
            )

    def resolve_entity(self, obj, value):
        if value is None:
            return None
        if isinstance(value, Entity):
            return value
        if isinstance(value, (str, int)):
            for type_name in _type_list(self.entity_types):
                entity_class = obj.db()._entity_types.get(type_name) or Entity._class_for(type_name)
                if entity_class:
                    found = entity_class[value]
                    if found:
                        return found
            raise ValueError(f"No entity of types {self.entity_types} found with ID or name '{value}'")
        raise TypeError(f"{self.name} must be set to an Entity instance, string ID, or string name")


def _steal(entity, new_owner, reverse_name, name):
    """One-to-many: a child moves from its old parent to `new_owner` (in memory, as in 0.5.0)."""
    current = entity.get_relations(reverse_name)
    if current:
        old = current[0]
        if old != new_owner:
            old._relation_list(name).remove(entity)
            entity._relation_list(reverse_name).remove(old)


class RelationList:
    """The to-many side of a relation: `add`, `remove`, iteration and `len`."""

    def __init__(self, obj, prop):
        self.obj = obj
        self.prop = prop

    def add(self, entity):
        entity = self.prop.resolve_entity(self.obj, entity)
        self.prop.validate_entity(entity)
        if isinstance(self.prop, OneToMany):
            _steal(entity, self.obj, self.prop.reverse_name, self.prop.name)
        self.obj.add_relation(self.prop.name, self.prop.reverse_name, entity)

    def remove(self, entity):
        self.obj.remove_relation(self.prop.name, self.prop.reverse_name, entity)

    def __iter__(self):
        return iter(list(self.obj.get_relations(self.prop.name)))

    def __len__(self):
        return len(self.obj.get_relations(self.prop.name))


class OneToOne(Relation):
    """Each side links to at most one entity of the other."""

    def __init__(self, entity_types, reverse_name=None):
        super().__init__(entity_types, reverse_name, many=False)

    def __set__(self, obj, value):
        if value is not None:
            if isinstance(value, (list, tuple)):
                raise ValueError(f"{self.name} cannot be set to multiple values (one-to-one relationship)")
            value = self.resolve_entity(obj, value)
            if not isinstance(value.__class__.__dict__.get(self.reverse_name), OneToOne):
                raise ValueError(f"Reverse property '{self.reverse_name}' must be OneToOne")
            current = self.__get__(obj)
            if current is not None:
                obj.remove_relation(self.name, self.reverse_name, current)
            partners = value.get_relations(self.reverse_name)
            if partners:
                partner = partners[0]
                partner.remove_relation(self.name, self.reverse_name, value)
                value.remove_relation(self.reverse_name, self.name, partner)
        else:
            current = self.__get__(obj)
            if current is not None:
                obj.remove_relation(self.name, self.reverse_name, current)
            return
        super().__set__(obj, value)


class OneToMany(Relation):
    """The parent side: a list of children, each with at most one parent."""

    def __init__(self, entity_types, reverse_name):
        super().__init__(entity_types, reverse_name, many=True)

    def __set__(self, obj, values):
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"{self.name} must be set to a list of entities")
        resolved = []
        for value in values:
            entity = self.resolve_entity(obj, value)
            self.validate_entity(entity)
            resolved.append(entity)
            if not isinstance(entity.__class__.__dict__.get(self.reverse_name), ManyToOne):
                raise ValueError(f"Reverse property '{self.reverse_name}' must be ManyToOne")
        super().__set__(obj, resolved)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return RelationList(obj, self)


class ManyToOne(Relation):
    """The child side: at most one parent."""

    def __init__(self, entity_types, reverse_name=None):
        super().__init__(entity_types, reverse_name, many=False)

    def __set__(self, obj, value):
        if value is None:
            current = self.__get__(obj)
            if current is not None:
                obj.remove_relation(self.name, self.reverse_name, current)
            return
        if isinstance(value, (list, tuple)):
            raise ValueError(f"{self.name} cannot be set to multiple values (many-to-one relationship)")
        value = self.resolve_entity(obj, value)
        self.validate_entity(value)
        reverse = value.__class__.__dict__.get(self.reverse_name)
        if not reverse:
            raise ValueError(f"Reverse property '{self.reverse_name}' not found in {value.__class__.__name__} entity")
        if not isinstance(reverse, OneToMany):
            raise ValueError(
                f"Reverse property '{self.reverse_name}' must be OneToMany and it is '{reverse.__class__.__name__}'"
            )
        super().__set__(obj, value)


class ManyToMany(Relation):
    """Lists on both sides."""

    def __init__(self, entity_types, reverse_name):
        super().__init__(entity_types, reverse_name, many=True)

    def __set__(self, obj, values):
        if isinstance(values, (Entity, str, int)):
            values = [values]
        elif values is not None and not isinstance(values, (list, tuple)):
            raise TypeError(f"{self.name} must be set to an entity or list of entities")
        if values is not None:
            resolved = []
            for value in values:
                entity = self.resolve_entity(obj, value)
                self.validate_entity(entity)
                resolved.append(entity)
                if not isinstance(entity.__class__.__dict__.get(self.reverse_name), ManyToMany):
                    raise ValueError(f"Reverse property '{self.reverse_name}' must be ManyToMany")
            values = resolved
        super().__set__(obj, values)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return RelationList(obj, self)
