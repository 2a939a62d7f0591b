"""An async codex: draws a winner among the realm's users with randomness from the management
canister's `raw_rand`, an inter-canister call, and keeps every draw in the task's namespace.

A codex that defines `async_task()` runs on the async path: `async_task` is a generator, each
`yield` hands a call to the runtime, and the call's `CallResult` comes back as the value of the
`yield`. The draw (`RandomDraw`, alias `draw_id`) is written after the call returns; what
`async_task` returns is the execution's result.
"""
from ggg import User
from kybra import ic, CallResult, match
from kybra.canisters.management import management_canister
from kybra_simple_db import Integer, String


class RandomDraw(TaskEntity):
    __alias__ = "draw_id"
    draw_id = String()
    random_hex = String()
    byte_count = Integer()
    winner_user_id = String()
    drawn_at = Integer()


def pick_winner(random_bytes):
    users = list(User.instances())
    if not users:
        return None
    return users[int.from_bytes(random_bytes[:4], "big") % len(users)]


def async_task():
    ic.print("🎲 Asking the management canister for 32 random bytes")
    call_result: CallResult = yield management_canister.raw_rand()
    random_bytes = match(call_result, {"Ok": lambda ok: ok, "Err": lambda err: None})
    if random_bytes is None:
        ic.print(f"❌ raw_rand failed: {call_result.Err}")
        return {"error": str(call_result.Err)}
    winner = pick_winner(random_bytes)
    draw_id = f"draw_{RandomDraw.count() + 1}"
    RandomDraw(draw_id=draw_id, random_hex=random_bytes.hex(), byte_count=len(random_bytes),
               winner_user_id=winner.id if winner else "", drawn_at=int(ic.time()))
    ic.print(f"🏆 {draw_id}: winner {winner.id if winner else 'none (no users)'}")
    return {"draw_id": draw_id, "bytes": len(random_bytes), "winner": winner.id if winner else None}
