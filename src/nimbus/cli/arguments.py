"""gcloud-style global flags, accepted anywhere on the command line.

gcloud takes ``--project``, ``--format`` and ``--quiet`` before or after the command
group (``nimbus compute --project=P instances create ...``); Click only knows options
where they are declared, so they are lifted out of argv before Click sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

_VALUED = {"--project": "project", "--format": "format", "--account": "account"}
_FLAGS = {"--quiet": "quiet", "-q": "quiet"}


@dataclass
class GlobalFlags:
    project: str | None = None
    format: str | None = None
    account: str | None = None
    quiet: bool = False


class ArgumentError(Exception):
    pass


def lift_global_flags(argv: list[str]) -> tuple[GlobalFlags, list[str]]:
    flags = GlobalFlags()
    rest: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            rest.extend(argv[index:])
            break
        name, eq, value = token.partition("=")
        if name in _VALUED:
            if not eq:
                if index + 1 >= len(argv):
                    raise ArgumentError(f"argument {name}: expected one argument")
                index += 1
                value = argv[index]
            setattr(flags, _VALUED[name], value)
        elif token in _FLAGS:
            flags.quiet = True
        else:
            rest.append(token)
        index += 1
    return flags, _optional_values(rest)


def _optional_values(argv: list[str]) -> list[str]:
    """``--allow-anonymous`` takes an optional principal; bare, it means the owner."""
    out: list[str] = []
    for index, token in enumerate(argv):
        following = argv[index + 1] if index + 1 < len(argv) else None
        if token == "--allow-anonymous" and (following is None or following.startswith("-")):
            out.append("--allow-anonymous=owner")
        else:
            out.append(token)
    return out
