"""The management canister (`aaaaa-aa`): `raw_rand` and `http_request` (HTTPS outcalls)."""

import _ic

from kybra.calls import AsyncCall
from kybra.principal import Principal

HttpResponse = dict
HttpHeader = dict


class ManagementCanister:
    def __init__(self, principal=None):
        self.canister_id = principal or Principal.management_canister()

    def raw_rand(self):
        """32 random bytes (Ok: bytes)."""
        return AsyncCall(self.canister_id, "raw_rand", b"DIDL\x00\x00", 0, _ic.candid_decode_blob, "call")

    def http_request(self, args):
        """An HTTPS outcall; attach cycles with `.with_cycles(n)`. Ok: `{status, headers, body}`."""
        return AsyncCall(self.canister_id, "http_request", _ic.encode_http_request(args), 0,
                         _ic.decode_http_response, "call")


management_canister = ManagementCanister()
