"""A minimal stand-in for the Kybra runtime, for running codexes under CPython with the real
kybra_simple_db 0.5.0 (tests/it/native/examples_original.rs): `ic` on the driver's clock, `Principal`,
`CallResult`, `match` and the Candid type names the examples use."""

import json
import os


class _Clock:
    now_ns = 0


class Principal:
    def __init__(self, text):
        self.text = text

    @staticmethod
    def from_str(text):
        return Principal(text)

    def to_str(self):
        return self.text

    def __str__(self):
        return self.text


class ic:
    @staticmethod
    def time():
        return _Clock.now_ns

    @staticmethod
    def print(*args):
        print(" ".join(str(a) for a in args))

    @staticmethod
    def id():
        return Principal("bkyz2-fmaaa-aaaaa-qaaaq-cai")

    @staticmethod
    def caller():
        return Principal("2vxsx-fae")


class CallResult:
    def __init__(self, Ok=None, Err=None):
        self.Ok = Ok
        self.Err = Err

    def __class_getitem__(cls, item):
        return cls


def match(variant, arms):
    key, value = ("Err", variant.Err) if variant.Err is not None else ("Ok", variant.Ok)
    return arms[key](value) if key in arms else arms["_"](value)


class _Any:
    def __getitem__(self, item):
        return self


nat = nat64 = nat32 = nat16 = nat8 = int64 = int32 = int16 = int8 = int
text = str
blob = bytes
Async = Vec = Opt = _Any()
Duration = TimerId = int
void = None
