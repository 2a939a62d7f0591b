"""Treasury: the realm's funds, synchronised with its vault extension by `refresh()`."""
from ggg._base import Entity, Integer, OneToOne, String, TimestampedMixin, get_logger

logger = get_logger("entity.treasury")


class Treasury(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(min_length=2, max_length=256)
    balance = Integer(default=0)
    realm = OneToOne("Realm", "treasury")

    def refresh(self):
        """A generator: yields the vault extension's `refresh` call and logs its answer."""
        from core.extensions import extension_async_call

        result = yield extension_async_call("vault", "refresh", "{}")
        logger.info(f"Treasury {self.name} refreshed: {result}")
        return result

    def send(self, to_principal, amount):
        """A generator: yields the vault extension's `transfer` call."""
        import json

        from core.extensions import extension_async_call

        args = json.dumps({"to_principal": to_principal, "amount": amount})
        result = yield extension_async_call("vault", "transfer", args)
        return result
