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
        if glob.startswith("**/", index):
            # Any number of levels, none included: ``**/a`` matches ``a`` too.
            out.append("(?:.*/)?")
            index += 3
            continue
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
                body = glob[index + 1 : end]
                out.append(_class(body) if char == "[" else _choice(body, strict=strict))
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out), re.DOTALL)


def _class(body: str) -> str:
    negated = body.startswith("!")
    body = (body[1:] if negated else body).replace("\\", "\\\\")
    return f"[{'^' if negated else ''}{body}]"


def _choice(body: str, *, strict: bool) -> str:
    """Each option is a glob of its own (``{*.txt,data-?}``)."""
    options = (glob_to_regex(option, strict=strict).pattern for option in body.split(","))
    return "(?:" + "|".join(options) + ")"
