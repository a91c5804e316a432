"""Wildcards in object names, as gcloud storage matches them.

``*`` and ``?`` stay within one level (never match ``/``), ``**`` matches across
levels, ``[abc]`` is a character class: the globs of ``matchGlob``. A listing by the
literal text before the first wildcard finds the candidates; the pattern decides.
"""

from __future__ import annotations

from collections.abc import Callable

from nimbus.cli.storage.urls import WILDCARDS
from nimbus.core.globs import glob_to_regex


def literal_prefix(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in WILDCARDS:
            return pattern[:index]
    return pattern


def crosses_levels(pattern: str) -> bool:
    return "**" in pattern


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A predicate that is true for the names ``pattern`` matches whole."""
    regex = glob_to_regex(pattern, strict=False)
    return lambda name: regex.fullmatch(name) is not None
