from ggg._base import Boolean, Entity, ManyToOne, String, TimestampedMixin


class PaymentAccount(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    user = ManyToOne("User", "payment_accounts")
    address = String(max_length=256)
    label = String(max_length=100)
    network = String(max_length=50)
    currency = String(max_length=20)
    is_active = Boolean(default=True)
    is_verified = Boolean(default=False)
    metadata = String(max_length=512)

    def __init__(self, **kwargs):
        if not kwargs.get("id") and not kwargs.get("_loaded"):
            kwargs["id"] = f"{kwargs.get('currency')}_{kwargs.get('network')}_{kwargs.get('address')}"
        super().__init__(**kwargs)
