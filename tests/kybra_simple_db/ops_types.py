"""Property coercions, defaults, plain attributes and JSON edge cases."""
from kybra_simple_db import *


class Thing(Entity):
    __alias__ = "code"
    code = String()
    n = Integer(default=7)
    f = Float(default=0.5)
    flag = Boolean()
    note = String(default="none")


t = Thing(code="t1", n="12", flag="yes")
t2 = Thing(code="t2", n=True, f=1e-07, flag="0")
t3 = Thing(code="t3", f=1e16, extra={"nested": [1, 2.5, None, True, "ü"]}, big=2**70)
t3.f = 123456789.12345679
t4 = Thing(code="7", n=-5)


class Num(Entity):
    __alias__ = "num"
    num = Integer()


Num(num=7)
Num(num=True)
print(Num[7]._id, Num["True"]._id, Num[1].num)
t5 = Thing(code="quote\"back\\slash\nnewline\ttab", f=-0.0)
print(Thing["t1"].n, Thing["t2"].flag, Thing["7"]._id, Thing["3"].f)
for bad in [dict(n=3.5), dict(f=3), dict(flag=1), dict(code=5)]:
    try:
        Thing["t1"].__setattr__(*list(bad.items())[0])
    except TypeError as e:
        print("TypeError", e)
