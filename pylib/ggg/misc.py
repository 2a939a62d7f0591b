"""Smaller entities of the catalogue."""
from ggg._base import Entity, Integer, ManyToOne, OneToMany, OneToOne, String, TimestampedMixin

STATUS_MAX_LENGTH = 32


class Mandate(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    metadata = String(max_length=256)
    contracts = OneToMany("Contract", "mandate")


class License(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    metadata = String(max_length=256)


class Contract(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String()
    mandate = ManyToOne("Mandate", "contracts")
    status = String(max_length=STATUS_MAX_LENGTH)
    metadata = String(max_length=256)
    trades = OneToMany("Trade", "contract")


class Dispute(Entity, TimestampedMixin):
    __alias__ = "dispute_id"
    dispute_id = String(max_length=64)
    requester = ManyToOne("User", "disputes_requested")
    defendant = ManyToOne("User", "disputes_defendant")
    case_title = String(max_length=256)
    description = String(max_length=2048)
    status = String(max_length=STATUS_MAX_LENGTH)
    verdict = String(max_length=2048)
    actions_taken = String(max_length=2048)
    metadata = String(max_length=256)


class Service(Entity, TimestampedMixin):
    __alias__ = "service_id"
    service_id = String(max_length=64)
    name = String(max_length=256)
    description = String(max_length=2048)
    provider = String(max_length=256)
    status = String(max_length=STATUS_MAX_LENGTH)
    due_date = String(max_length=64)
    link = String(max_length=512)
    user = ManyToOne("User", "services")
    metadata = String(max_length=256)


class LandType:
    UNASSIGNED = "unassigned"
    RESIDENTIAL = "residential"
    AGRICULTURAL = "agricultural"
    INDUSTRIAL = "industrial"
    COMMERCIAL = "commercial"


class Land(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    x_coordinate = Integer()
    y_coordinate = Integer()
    size_width = Integer(default=1)
    size_height = Integer(default=1)
    land_type = String(max_length=64, default="unassigned")
    owner_user = ManyToOne("User", "owned_lands")
    owner_organization = ManyToOne("Organization", "owned_lands")
    metadata = String(max_length=512, default="{}")


class Trade(Entity, TimestampedMixin):
    contract = ManyToOne("Contract", "trades")
    metadata = String(max_length=256)
    transfer_1 = OneToOne("Transfer", "trade")
    transfer_2 = OneToOne("Transfer", "trade")


class Registry(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    description = String(max_length=256)
    principal_id = String(max_length=64)


class Permission(Entity, TimestampedMixin):
    description = String(max_length=256)
