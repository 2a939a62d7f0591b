from ggg._base import Entity, Integer, ManyToOne, OneToMany, String, TimestampedMixin


class Balance(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    user = ManyToOne("User", "balances")
    instrument = String()
    amount = Integer()
    transfers = OneToMany("Transfer", "balance")
    tag = String()

    def refresh(self):
        raise NotImplementedError("Balance.refresh is provided by the vault extension")
