"""What a failure report says: a failed `assert` with its operands' values, and `-k` matching."""

import ast
import linecache
import re
import traceback

_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


def assertion(exc):
    """`file:line: AssertionError[: msg]` and the assert statement, with the compared values
    (re-evaluated in the failing frame), or "" when the source cannot be read."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    frame, line = tb.tb_frame, tb.tb_lineno
    filename = frame.f_code.co_filename
    head = f"AssertionError: {exc.args[0]}" if exc.args else "AssertionError"
    lines = linecache.getlines(filename)
    if not lines:
        return ""
    source = "".join(lines)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno <= line <= (node.end_lineno or node.lineno):
            text = ast.get_source_segment(source, node) or ""
            detail = ""
            test = node.test
            if isinstance(test, ast.Compare) and len(test.ops) == 1:
                try:
                    env = dict(frame.f_globals)
                    env.update(frame.f_locals)
                    left = eval(ast.get_source_segment(source, test.left), env)
                    right = eval(ast.get_source_segment(source, test.comparators[0]), env)
                    op = _OPS.get(type(test.ops[0]), "?")
                    detail = f"\n  where: {left!r} {op} {right!r}"
                except BaseException:
                    pass
            return f"{filename}:{line}: {head}\n  {text}{detail}"
    return ""


_TOKEN = re.compile(r"\s*(\(|\)|[\w:+\-.\[\]\\/]+)")


class KeywordError(ValueError):
    """A `-k` expression that does not parse."""


def keyword_matcher(expr):
    """A function of the item's names telling whether `-k expr` selects it (pytest's grammar:
    words matched case-insensitively as substrings of any name, `and`, `or`, `not`, parens)."""
    tokens = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            if expr[pos:].strip() == "":
                break
            raise KeywordError(f"Wrong expression passed to '-k': {expr}: at column {pos + 1}: unexpected character")
        tokens.append(m.group(1))
        pos = m.end()

    def parse(i):
        left, i = parse_and(i)
        while i < len(tokens) and tokens[i] == "or":
            right, i = parse_and(i + 1)
            left = (lambda a, b: lambda names: a(names) or b(names))(left, right)
        return left, i

    def parse_and(i):
        left, i = parse_not(i)
        while i < len(tokens) and tokens[i] == "and":
            right, i = parse_not(i + 1)
            left = (lambda a, b: lambda names: a(names) and b(names))(left, right)
        return left, i

    def parse_not(i):
        if i < len(tokens) and tokens[i] == "not":
            inner, i = parse_not(i + 1)
            return (lambda f: lambda names: not f(names))(inner), i
        if i < len(tokens) and tokens[i] == "(":
            inner, i = parse(i + 1)
            if i >= len(tokens) or tokens[i] != ")":
                raise KeywordError(f"Wrong expression passed to '-k': {expr}: expected ')'")
            return inner, i + 1
        if i >= len(tokens) or tokens[i] in ("and", "or", ")"):
            raise KeywordError(f"Wrong expression passed to '-k': {expr}: expected identifier")
        word = tokens[i].lower()
        return (lambda names: any(word in n.lower() for n in names)), i + 1

    if not tokens:
        return lambda names: True
    fn, i = parse(0)
    if i != len(tokens):
        raise KeywordError(f"Wrong expression passed to '-k': {expr}: unexpected {tokens[i]!r}")
    return fn


def user_traceback(exc):
    """The traceback without the runner's and the import machinery's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("/")]
    if not frames:  # the error is the runner's or the import machinery's own: show it all
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    lines = traceback.format_list(frames) if frames else []
    lines.extend(traceback.format_exception_only(type(exc), exc))
    head = "Traceback (most recent call last):\n" if frames else ""
    return head + "".join(lines)
