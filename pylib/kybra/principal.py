"""`Principal`: an Internet Computer principal (bytes with a textual form)."""

import _ic
import hashlib


class Principal:
    """A principal id. Compare, hash and print like Kybra's."""

    __slots__ = ("_bytes",)

    def __init__(self, raw=b""):
        if isinstance(raw, str):
            raw = _ic.principal_from_text(raw)
        if not isinstance(raw, (bytes, bytearray)):
            raise TypeError("Principal() takes bytes or text, not " + type(raw).__name__)
        if len(raw) > 29:
            raise ValueError("a principal is at most 29 bytes, got %d" % len(raw))
        self._bytes = bytes(raw)

    @staticmethod
    def from_str(text):
        return Principal(_ic.principal_from_text(text))

    @staticmethod
    def from_hex(text):
        return Principal(bytes.fromhex(text))

    @staticmethod
    def anonymous():
        return Principal(b"\x04")

    @staticmethod
    def management_canister():
        return Principal(b"")

    @staticmethod
    def self_authenticating(public_key):
        return Principal(hashlib.sha224(public_key).digest() + b"\x02")

    def to_str(self):
        return _ic.principal_to_text(self._bytes)

    def to_hex(self):
        return self._bytes.hex().upper()

    def to_account_id(self, sub_account=0):
        """The ICP ledger account identifier (hex) of this principal and sub-account."""
        import binascii
        if isinstance(sub_account, int):
            sub = sub_account.to_bytes(32, "big")
        else:
            sub = bytes(sub_account)
            if len(sub) != 32:
                raise ValueError("a sub-account is 32 bytes")
        h = hashlib.sha224(b"\x0aaccount-id" + self._bytes + sub).digest()
        crc = binascii.crc32(h).to_bytes(4, "big")
        return (crc + h).hex()

    @property
    def bytes(self):
        return self._bytes

    @property
    def len(self):
        return len(self._bytes)

    @property
    def isPrincipal(self):
        return True

    def __str__(self):
        return self.to_str()

    def __repr__(self):
        return "Principal(%r)" % self.to_str()

    def __eq__(self, other):
        return isinstance(other, Principal) and other._bytes == self._bytes

    def __hash__(self):
        return hash(self._bytes)

    def __lt__(self, other):
        return self._bytes < other._bytes
