# The compute rows of Basilisk's benchmark table, written from their descriptions; each measures
# the instruction counter around the work only. `clock` is injected by the caller.
def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fib_recursive(n):
    return n if n < 2 else fib_recursive(n - 1) + fib_recursive(n - 2)


def sum_to(n):
    total = 0
    for i in range(n):
        total += i
    return total


def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


def string_ops():
    s = ""
    for i in range(100):
        s += str(i)
    return len(s)


def list_ops():
    xs = []
    for i in range(500):
        xs.append((i * 7919) % 500)
    xs.sort()
    return xs[0]


def dict_ops():
    d = {}
    for i in range(500):
        d[f"k{i}"] = i
    t = 0
    for i in range(500):
        t += d[f"k{i}"]
    return t


# ackermann(3,6) recurses about 510 deep: within the default limit of 1000.
CASES = [
    ("fib(25) iterative", lambda: fib(25)),
    ("fib_recursive(20)", lambda: fib_recursive(20)),
    ("sum_to(10000) loop", lambda: sum_to(10_000)),
    ("ackermann(3,6)", lambda: ackermann(3, 6)),
    ("string_ops (100 concats)", string_ops),
    ("list_ops (500 append + sort)", list_ops),
    ("dict_ops (500 inserts + 500 lookups)", dict_ops),
]
result = {}
for name, f in CASES:
    t = clock()
    f()
    result[name] = clock() - t
