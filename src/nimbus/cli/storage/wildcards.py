"""Wildcards in object names, as gcloud storage matches them.

``*`` and ``?`` stay within one level (never match ``/``), ``**`` matches across
levels, ``[abc]`` is a character class. A listing by the literal text before the first
wildcard finds the candidates; the pattern decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nimbus.cli.storage.urls import WILDCARDS


def literal_prefix(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in WILDCARDS:
            return pattern[:index]
    return pattern


def crosses_levels(pattern: str) -> bool:
    return "**" in pattern


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A predicate that is true for the names ``pattern`` matches whole."""
    regex = re.compile(_regex(pattern), re.DOTALL)
    return lambda name: regex.fullmatch(name) is not None


def _regex(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                negated = body.startswith("!")
                body = body[1:] if negated else body
                out.append(f"[{'^' if negated else ''}{body.replace(chr(92), chr(92) * 2)}]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
