from ggg._base import Entity, OneToMany, String, TimestampedMixin


class Codex(Entity, TimestampedMixin):
    """Python source that tasks run (by name)."""

    __alias__ = "name"
    name = String()
    code = String()
    url = String()
    checksum = String()
    calls = OneToMany("Call", "codex")
