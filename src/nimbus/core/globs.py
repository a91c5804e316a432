"""Cloud Storage's object-name globs, shared by ``matchGlob`` and the CLI's wildcards.

``**`` matches across ``/``, ``*`` and ``?`` stay within one level, ``[abc]`` (or
``[!abc]``) is a character class and ``{a,b}`` an alternative.
"""

from __future__ import annotations

import re

from nimbus.core.errors import InvalidArgument


def glob_to_regex(glob: str, *, strict: bool = True) -> re.Pattern[str]:
    """Compile a glob; an unclosed ``[`` or ``{`` is an error when ``strict``, else a
    literal character (as shells and gcloud treat it)."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char in "[{":
            closing = "]" if char == "[" else "}"
            end = glob.find(closing, index + 1)
            if end < 0:
                if strict:
                    raise InvalidArgument(f"Invalid matchGlob '{glob}'.")
                out.append(re.escape(char))
            else:
                out.append(
                    _class(glob[index + 1 : end]) if char == "[" else _choice(glob[index + 1 : end])
                )
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out), re.DOTALL)


def _class(body: str) -> str:
    negated = body.startswith("!")
    body = (body[1:] if negated else body).replace("\\", "\\\\")
    return f"[{'^' if negated else ''}{body}]"


def _choice(body: str) -> str:
    return "(?:" + "|".join(re.escape(option) for option in body.split(",")) + ")"
