"""Behaviour checks of the standard library modules codexes use.

Prints one line per check. The test suite runs this file under CPython 3.11 and under codexvm
(natively and in the canister) and requires identical output, so every line must be
deterministic: fixed seeds, fixed dates, no set iteration order, no clock readings.
"""
import abc
import base64
import binascii
import bisect
import collections
import contextlib
import copy
import dataclasses
import datetime
import enum
import functools
import hashlib
import heapq
import io
import itertools
import json
import math
import operator
import pprint
import random
import re
import string
import struct
import time
import traceback
import typing
import uuid
import weakref


def out(name, value):
    print(name + ": " + (value if isinstance(value, str) else repr(value)))


# json: dumps must be byte-identical to CPython's.
data = {"b": [1, 2.5, -0.0, 1e16, 1e-07, 1.5e300, 123456789.12345679, True, None],
        "a": "é✓😀\n\t\"\\", "n": {"x": [], "y": {}}, "big": 2**70, "f": 0.1 + 0.2}
out("json.dumps", json.dumps(data))
out("json.dumps.noascii", json.dumps(data, ensure_ascii=False))
out("json.dumps.sorted.indent", json.dumps(data, sort_keys=True, indent=2))
out("json.dumps.separators", json.dumps(data, separators=(",", ":")))
out("json.special", json.dumps([float("inf"), float("-inf"), float("nan")]))
out("json.loads", json.loads('{"k": [1, 2.0, "s", null, true, {"z": -3e2}], "u": "\\u00e9"}'))
try:
    json.loads("{bad")
except json.JSONDecodeError as e:
    out("json.error", str(e))

# datetime
d = datetime.datetime(2025, 11, 26, 14, 30, 5, 123456)
out("datetime.iso", d.isoformat())
out("datetime.arith", (d + datetime.timedelta(days=40, hours=10)).isoformat())
out("datetime.strftime", d.strftime("%Y-%m-%d %H:%M:%S %A %j"))
out("datetime.fromiso", datetime.datetime.fromisoformat("2025-01-02T03:04:05").timestamp() > 0)
out("datetime.tz", datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).isoformat())
out("datetime.fromtimestamp", datetime.datetime.fromtimestamp(1700000000, datetime.timezone.utc).isoformat())
out("datetime.strptime", datetime.datetime.strptime("2024-02-29 13:00", "%Y-%m-%d %H:%M").isoformat())
out("datetime.now.type", type(datetime.datetime.now()).__name__)
out("date.weekday", datetime.date(2025, 11, 26).weekday())

# time
out("time.types", [type(time.time()).__name__, type(time.time_ns()).__name__, type(time.monotonic()).__name__])
out("time.gmtime", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1700000000)))

# math
out("math", [math.sqrt(2), math.floor(-2.5), math.gcd(12, 18), math.isclose(0.1 + 0.2, 0.3), math.pi, math.log(8, 2)])

# random (seeded: CPython's Mersenne Twister sequence)
random.seed(1)
out("random.seeded", [random.randint(1, 100) for _ in range(5)] + [random.random()])
lst = list(range(10))
random.shuffle(lst)
out("random.shuffle", lst)
out("random.sample", random.sample(range(100), 5))
out("random.choice", random.choice("abcdefg"))
out("random.Random42", random.Random(42).random())

# re
out("re.sub", re.sub(r"(\w+)@(\w+)", lambda m: m.group(2) + "#" + m.group(1), "alice@home bob@work"))
out("re.findall", re.findall(r"\d+", "a1b22c333"))
out("re.groupdict", re.match(r"(?P<k>\w+)=(?P<v>\d+)", "x=42").groupdict())
out("re.split", re.split(r"[,;]\s*", "a, b;c"))
out("re.ignorecase", bool(re.search("HELLO", "say hello", re.IGNORECASE)))

# collections
out("Counter", collections.Counter("abracadabra").most_common(3))
dd = collections.defaultdict(list)
dd["k"].append(1)
out("defaultdict", dict(dd))
od = collections.OrderedDict(a=1, b=2, c=3)
od.move_to_end("a")
out("OrderedDict", list(od))
P = collections.namedtuple("P", "x y")
out("namedtuple", P(1, 2)._asdict())
out("deque", list(collections.deque(range(10), maxlen=3)))

# itertools
out("itertools", [list(itertools.islice(itertools.count(5), 3)), list(itertools.chain("ab", "cd")),
                  list(itertools.combinations("abc", 2)), list(itertools.accumulate([1, 2, 3]))])
out("groupby", [(k, len(list(g))) for k, g in itertools.groupby("aaabbc")])

# functools
@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


out("lru_cache", [fib(30), fib.cache_info().hits > 0])
out("reduce", functools.reduce(operator.mul, range(1, 10)))
out("partial", functools.partial(int, base=2)("1010"))


@functools.total_ordering
class V:
    def __init__(self, v):
        self.v = v

    def __eq__(self, o):
        return self.v == o.v

    def __lt__(self, o):
        return self.v < o.v


out("total_ordering", [V(1) <= V(2), V(3) >= V(2)])

# traceback
try:
    {}["missing"]
except KeyError:
    out("traceback.last", traceback.format_exc().strip().splitlines()[-1])
out("traceback.only", traceback.format_exception_only(ValueError("bad"))[-1].strip())

# base64 / binascii / hashlib / struct
out("base64", [base64.b64encode(b"codexvm\x00\xff").decode(), base64.b64decode("aGVsbG8="), base64.urlsafe_b64encode(b"\xfb\xff")])
out("binascii", [binascii.hexlify(b"\x01\xab"), binascii.unhexlify("abcd"), binascii.crc32(b"hello")])
out("hashlib", [hashlib.sha256(b"abc").hexdigest(), hashlib.md5(b"abc").hexdigest(), hashlib.sha1(b"abc").hexdigest(),
                hashlib.new("sha256", b"x").hexdigest()[:16]])
out("struct", [struct.pack(">IhQ", 1, -2, 3), struct.unpack("<d", struct.pack("<d", 1.5)), struct.calcsize("<iq")])

# uuid
u4 = uuid.uuid4()
out("uuid4", [u4.version, len(str(u4))])
out("uuid5", str(uuid.uuid5(uuid.NAMESPACE_DNS, "example.org")))
out("UUID", uuid.UUID("12345678123456781234567812345678").hex)

# typing (behaviour, not reprs: RustPython follows 3.14's reprs)
class TD(typing.TypedDict):
    a: int


def annotated(x: typing.List[int], y: typing.Optional[str] = None) -> typing.Dict[str, typing.Any]:
    return {}


out("typing", [sorted(typing.get_type_hints(annotated)), TD(a=1), typing.get_origin(typing.List[int]) is list])

# dataclasses
@dataclasses.dataclass(order=True)
class Item:
    name: str
    qty: int = 0
    tags: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Frozen:
    x: int


it = Item("a", 2)
out("dataclass", [dataclasses.asdict(it), repr(dataclasses.replace(it, qty=5)), [f.name for f in dataclasses.fields(Item)], Item("a") < Item("b")])
try:
    Frozen(1).x = 2
except dataclasses.FrozenInstanceError as e:
    out("frozen", type(e).__name__)

# enum
class Color(enum.Enum):
    RED = 1
    GREEN = enum.auto()


class Perm(enum.Flag):
    R = 4
    W = 2


out("enum", [Color.GREEN.value, Color(1).name, list(Color)[0].name, (Perm.R | Perm.W).value, enum.IntEnum("N", "A B").B + 1])

# io / contextlib
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    print("inside")
out("redirect_stdout", buf.getvalue())
out("BytesIO", io.BytesIO(b"abc").read(2))


@contextlib.contextmanager
def tag(name):
    yield "<" + name + ">"


with tag("x") as t:
    out("contextmanager", t)
with contextlib.suppress(ZeroDivisionError):
    1 / 0
out("suppress", "ok")

# pprint (no sets: RustPython's set order differs)
out("pprint", pprint.pformat({"k%d" % i: list(range(i)) for i in range(6)}, width=40))

# weakref / copy
class Obj:
    pass


o = Obj()
r = weakref.ref(o)
wvd = weakref.WeakValueDictionary()
wvd["o"] = o
out("weakref.alive", [r() is o, "o" in wvd])
del o
import gc
gc.collect()
out("weakref.dead", [r() is None, "o" in wvd])
nested = {"a": [1, {"b": 2}]}
deep = copy.deepcopy(nested)
deep["a"][1]["b"] = 3
out("deepcopy", [nested, deep, copy.copy([1, 2]) == [1, 2]])

# string / abc / operator
out("string", [string.ascii_letters[:5], string.digits, string.Template("$who likes $what").substitute(who="tim", what="py"),
               string.capwords("hello wide world")])


class Base(abc.ABC):
    @abc.abstractmethod
    def f(self):
        ...


try:
    Base()
except TypeError:
    out("abc", "abstract class refused")
out("operator", [operator.itemgetter(1, 0)("ab"), operator.attrgetter("real")(3), operator.methodcaller("upper")("x")])

# heapq / bisect
h = []
for x in [5, 1, 4, 2]:
    heapq.heappush(h, x)
out("heapq", [heapq.heappop(h), heapq.nlargest(2, [3, 9, 1, 7]), heapq.nsmallest(2, [3, 9, 1, 7]), list(heapq.merge([1, 4], [2, 3]))])
s = [1, 3, 3, 7]
bisect.insort(s, 5)
out("bisect", [bisect.bisect_left(s, 3), bisect.bisect_right(s, 3), s])
