"""Query parameters as the short paths read them, before the framework's routing.

A short path answers only requests it fully understands; ``None`` from these
functions sends the request on to the routed handler, which gives the full answer or
the full error in the framework's words.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Scope

from nimbus.services.storage.preconditions import Preconditions

CONDITIONS = {
    "ifGenerationMatch": "if_generation_match",
    "ifGenerationNotMatch": "if_generation_not_match",
    "ifMetagenerationMatch": "if_metageneration_match",
    "ifMetagenerationNotMatch": "if_metageneration_not_match",
}
PROJECTIONS = (None, "full", "noAcl")


def query_of(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))


def integers_in(query: dict[str, str], keys: tuple[str, ...]) -> dict[str, int] | None:
    """The integer parameters among ``keys`` that are present; None if one is malformed."""
    numbers: dict[str, int] = {}
    for key in keys:
        if key in query:
            if not query[key].lstrip("-").isdigit():
                return None
            numbers[key] = int(query[key])
    return numbers


def preconditions_in(numbers: dict[str, int]) -> Preconditions:
    return Preconditions(**{field: numbers.get(key) for key, field in CONDITIONS.items()})
