"""The headers that carry customer-supplied encryption keys, on both APIs:
``x-goog-encryption-*`` for the object written or read, and
``x-goog-copy-source-encryption-*`` for a rewrite's source."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import Scope

from nimbus.services.storage.customer_keys import CustomerKey, parse_key

_PREFIXES = (b"x-goog-encryption-", b"x-goog-copy-source-encryption-")


def request_key(headers: Mapping[str, str], *, source: bool = False) -> CustomerKey | None:
    prefix = "x-goog-copy-source-encryption-" if source else "x-goog-encryption-"
    return parse_key(
        headers.get(prefix + "algorithm"),
        headers.get(prefix + "key"),
        headers.get(prefix + "key-sha256"),
    )


def carries_key(scope: Scope) -> bool:
    """Whether a request names a customer key (the short paths leave those to the
    routed handlers). ``x-goog-encryption-kms-key-name`` is no customer key."""
    return any(
        name.startswith(_PREFIXES) and not name.endswith(b"kms-key-name")
        for name, _ in scope["headers"]
    )
