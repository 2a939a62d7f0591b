"""Seeds a realm for the tax-collection job: a treasury, the realm token and N users with an
income (a plain attribute, stored with the user). Idempotent: users that exist are kept.

    scripts/codexvm run codex_examples/seed_realm.py
"""
from ggg import Instrument, Realm, Treasury, User
from kybra import ic

USERS = 10_000

realm = Realm["Default Realm"] or Realm(name="Default Realm", description="codexvm example realm")
treasury = Treasury["main"] or Treasury(name="main", balance=0, realm=realm)
token = Instrument["realm_token"] or Instrument(name="realm_token", metadata='{"decimals": 0}')

created = 0
for i in range(User.max_id(), USERS):
    User(id=f"user_{i + 1:05d}", income=1_000 + (i * 37) % 9_000)
    created += 1

ic.print(f"realm seeded: {User.count()} users ({created} new), treasury {treasury.name}, token {token.name}")
result = {"users": User.count(), "created": created}
