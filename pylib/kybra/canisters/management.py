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
        """An HTTPS outcall; attach cycles with `.with_cycles(n)`. `args` is Kybra's
        `HttpRequestArgs` dict: `url`, `max_response_bytes` (or None), `method` (`{"get": None}`,
        `{"post": None}`, `{"head": None}`), `headers` (`[{"name", "value"}]`), `body` (bytes or
        None), `transform` (None or `{"function": (Principal, "query_name"), "context": bytes}`).
        Ok: `{"status": int, "headers": [{"name", "value"}], "body": bytes}`."""
        return AsyncCall(self.canister_id, "http_request", _encode_http_request(args), 0, _decode_http_response, "call")


def _encode_http_request(args):
    if not isinstance(args, dict):
        raise TypeError(f"http_request takes an HttpRequestArgs dict, not {type(args).__name__}")
    unknown = set(args) - {"url", "max_response_bytes", "method", "headers", "body", "transform", "is_replicated"}
    if unknown:
        raise TypeError(f"http_request got unknown fields {sorted(unknown)}")
    if "url" not in args:
        raise TypeError("http_request needs a url")
    method = args.get("method") or {"get": None}
    if isinstance(method, dict) and len(method) == 1:
        method = next(iter(method))
    headers = args.get("headers") or []
    transform = args.get("transform")
    canister = name = context = None
    if transform is not None:
        function, context = transform["function"], bytes(transform.get("context", b""))
        canister, name = function if isinstance(function, (tuple, list)) else (function.principal, function.method)
        canister = canister.bytes if isinstance(canister, Principal) else Principal.from_str(str(canister)).bytes
    body = args.get("body")
    return _ic.encode_http_request(
        url=args["url"], max_response_bytes=args.get("max_response_bytes"), method=str(method),
        header_names=[h["name"] for h in headers], header_values=[h["value"] for h in headers],
        body=None if body is None else bytes(body), transform_canister=canister, transform_method=name,
        transform_context=context, is_replicated=args.get("is_replicated"))


def _decode_http_response(reply):
    status, names, values, body = _ic.decode_http_response(reply)
    return {"status": status, "headers": [{"name": n, "value": v} for n, v in zip(names, values)], "body": body}


management_canister = ManagementCanister()
