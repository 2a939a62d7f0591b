"""What every ggg module imports."""
from kybra_simple_db import (  # noqa: F401
    Boolean,
    Entity,
    Float,
    Integer,
    ManyToMany,
    ManyToOne,
    OneToMany,
    OneToOne,
    String,
    TimestampedMixin,
)
from kybra_simple_logging import get_logger  # noqa: F401
