"""What ``rsync`` does to make DESTINATION match SOURCE: the copies, the removals, and
how many items were already in step.

Names matching an ``--exclude`` pattern (relative to their root, matched from its
start) are neither copied nor removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nimbus.cli.failures import CliError
from nimbus.cli.storage.endpoints import Job
from nimbus.cli.storage.sync_compare import Rules, should_copy
from nimbus.cli.storage.sync_roots import Found, Root


@dataclass(frozen=True)
class SyncPlan:
    copies: list[Job]
    removals: list[Found]
    unchanged: int


def exclusions(patterns: Sequence[str]) -> Callable[[str], bool]:
    """A predicate over relative names from ``-x REGEX[,REGEX...]`` (Python regexes)."""
    compiled = [_regex(p) for text in patterns for p in text.split(",") if p]
    return lambda name: any(regex.match(name) for regex in compiled)


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise CliError(f"argument --exclude: [{pattern}] is not a regex: {exc}.") from exc


def sync_plan(
    source: dict[str, Found],
    destination: dict[str, Found],
    target: Root,
    *,
    rules: Rules,
    excluded: Callable[[str], bool],
    no_clobber: bool,
    delete_unmatched: bool,
) -> SyncPlan:
    copies: list[Job] = []
    unchanged = 0
    for relative in sorted(source):
        if excluded(relative):
            continue
        there = destination.get(relative)
        if there is None or (not no_clobber and should_copy(source[relative], there, rules)):
            copies.append(Job(source[relative], target.target(relative)))
        else:
            unchanged += 1
    removals = []
    if delete_unmatched:
        removals = [
            item
            for relative, item in sorted(destination.items())
            if relative not in source and not excluded(relative)
        ]
    return SyncPlan(copies, removals, unchanged)
