"""Invoice, identified by an id that doubles as a 32-byte ledger subaccount."""
import uuid

from ggg._base import Entity, Float, ManyToOne, OneToMany, String, TimestampedMixin


class Invoice(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String(max_length=32)
    amount = Float()
    currency = String(max_length=16, default="ckBTC")
    due_date = String(max_length=64)
    status = String(max_length=32)
    user = ManyToOne("User", "invoices")
    paid_at = String(max_length=64)
    metadata = String(max_length=256)
    transfers = OneToMany("Transfer", "invoice")

    def __init__(self, **kwargs):
        if not kwargs.get("id") and not kwargs.get("_loaded"):
            kwargs["id"] = "inv_" + uuid.uuid4().hex[:12]
        super().__init__(**kwargs)

    def get_subaccount(self):
        """The id, UTF-8, padded with zeros to 32 bytes."""
        raw = self.id.encode("utf-8")[:32]
        return raw.ljust(32, b"\x00")

    def get_subaccount_hex(self):
        return self.get_subaccount().hex()

    def get_subaccount_list(self):
        return list(self.get_subaccount())

    @staticmethod
    def id_from_subaccount(subaccount):
        raw = bytes(subaccount) if not isinstance(subaccount, str) else bytes.fromhex(subaccount)
        return raw.rstrip(b"\x00").decode("utf-8")

    @staticmethod
    def from_subaccount(subaccount):
        return Invoice[Invoice.id_from_subaccount(subaccount)]
