"""Typed stand-ins for canisters codexes call."""
