"""realms' extension calls. codexvm runs no extension canisters; calling one is an error that
says so (a deployment can provide `EXTENSIONS` = {name: canister principal text})."""

EXTENSIONS = {}


def extension_async_call(extension_name, function_name, args="{}"):
    """A call object for `yield`: the extension canister's `function_name(args)`."""
    from kybra import Principal, ic
    from kybra.candid import text_literal

    target = EXTENSIONS.get(extension_name)
    if target is None:
        raise NotImplementedError(f"extension '{extension_name}' is not installed in this codexvm canister")
    text = f"(record {{ function_name = {text_literal(str(function_name))}; args = {text_literal(str(args))} }})"
    return ic.call_raw(Principal.from_str(target), "extension_sync_call", ic.candid_encode(text), 0)


def extension_sync_call(extension_name, function_name, args="{}"):
    raise NotImplementedError(f"extension '{extension_name}' is not installed in this codexvm canister")
