from ggg._base import Entity, Integer, ManyToOne, String, TimestampedMixin


class Transfer(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    principal_from = String()
    principal_to = String()
    instrument = String()
    amount = Integer()
    timestamp = String()
    tags = String()
    status = String()
    subaccount = String(max_length=64)
    invoice = ManyToOne("Invoice", "transfers")
    balance = ManyToOne("Balance", "transfers")

    def execute(self):
        """Performs the transfer on a ledger; provided by the vault extension."""
        raise NotImplementedError("Transfer.execute is provided by the vault extension")
