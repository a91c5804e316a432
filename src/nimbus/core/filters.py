"""The list ``filter`` expressions of Google's APIs, evaluated over a resource's JSON.

Supported grammar, a common subset of Compute Engine's and Resource Manager's::

    expr       := term (("AND" | "OR")? term)*      # juxtaposition means AND
    term       := "NOT"? ("(" expr ")" | comparison)
    comparison := FIELD OP VALUE                    # OP: = != : eq ne
    FIELD      := dotted path, e.g. ``name``, ``labels.env``, ``lifecycleState``
    VALUE      := bare word or quoted string; ``*`` is a wildcard

``eq``/``ne`` take a regular expression (Compute Engine's older form); ``:`` means
"has": the value or one of its words, case-insensitively (a ``*`` value tests presence).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from nimbus.core.errors import InvalidArgument

Predicate = Callable[[Mapping[str, object]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lp>\() | (?P<rp>\)) |
        (?P<op>!=|=|:|<=|>=|<|>) |
        (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*') |
        (?P<word>[^\s()=!:<>"']+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidArgument(f"Invalid list filter expression: '{text}'.")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(_Tok(kind, value))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def fail(self) -> InvalidArgument:
        return InvalidArgument(f"Invalid list filter expression: '{self.text}'.")

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.fail()
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.peek() is not None:
            raise self.fail()
        return predicate

    def expr(self) -> Predicate:
        left = self.term()
        while (tok := self.peek()) is not None and tok.kind != "rp":
            if tok.kind == "word" and tok.text.upper() == "OR":
                self.take()
                right = self.term()
                left = _or(left, right)
            else:
                if tok.kind == "word" and tok.text.upper() == "AND":
                    self.take()
                right = self.term()
                left = _and(left, right)
        return left

    def term(self) -> Predicate:
        tok = self.take()
        if tok.kind == "word" and tok.text.upper() == "NOT":
            inner = self.term()
            return lambda resource: not inner(resource)
        if tok.kind == "lp":
            inner = self.expr()
            if self.take().kind != "rp":
                raise self.fail()
            return inner
        if tok.kind != "word":
            raise self.fail()
        op = self.take()
        if op.kind == "word" and op.text.lower() in ("eq", "ne"):
            operator = op.text.lower()
        elif op.kind == "op":
            operator = op.text
        else:
            raise self.fail()
        value = self.take()
        if value.kind not in ("word", "quoted"):
            raise self.fail()
        return _comparison(tok.text, operator, value.text, self.fail)


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda resource: left(resource) and right(resource)


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda resource: left(resource) or right(resource)


_MISSING = object()


def _lookup(resource: Mapping[str, object], path: str) -> object:
    current: object = resource
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _comparison(
    field: str, operator: str, expected: str, fail: Callable[[], InvalidArgument]
) -> Predicate:
    if operator in ("eq", "ne"):
        try:
            pattern = re.compile(expected)
        except re.error as exc:
            raise fail() from exc

        def regex(resource: Mapping[str, object]) -> bool:
            actual = _lookup(resource, field)
            hit = actual is not _MISSING and pattern.fullmatch(_as_text(actual)) is not None
            return hit if operator == "eq" else not hit

        return regex

    def matches(actual: object) -> bool:
        if actual is _MISSING:
            return False
        if isinstance(actual, list):
            return any(matches(item) for item in actual)
        text = _as_text(actual)
        if operator == ":":
            return _has(text, expected)
        if "*" in expected:
            return fnmatch.fnmatchcase(text, expected)
        return text == expected

    def compare(resource: Mapping[str, object]) -> bool:
        actual = _lookup(resource, field)
        if operator == "!=":
            return not matches(actual)
        if operator in ("=", ":"):
            return matches(actual)
        if actual is _MISSING:
            return False
        return _ordered(_as_text(actual), operator, expected)

    return compare


def _has(text: str, expected: str) -> bool:
    """gcloud's ``:``: the value, or one of its words (so a URL matches on its last
    segment: ``region:us-east1``), case-insensitively; ``*`` is a wildcard."""
    pattern = expected.lower()
    candidates = [text.lower(), *re.split(r"[/\s,]+", text.lower())]
    if "*" in pattern:
        return pattern == "*" or any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
    return pattern in candidates


def _ordered(actual: str, operator: str, expected: str) -> bool:
    try:
        return _compare(float(actual), operator, float(expected))
    except ValueError:
        return _compare(actual, operator, expected)


def _compare(left: float | str, operator: str, right: float | str) -> bool:
    if operator == "<":
        return left < right  # type: ignore[operator]
    if operator == "<=":
        return left <= right  # type: ignore[operator]
    if operator == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def compile_filter(text: str | None) -> Predicate:
    """Compile a filter string; an empty or absent filter matches everything."""
    if text is None or not text.strip():
        return lambda resource: True
    return _Parser(text).parse()
