"""Google's naming rules for buckets and objects."""

from __future__ import annotations

import ipaddress
import re

from nimbus.core.errors import InvalidArgument

_BUCKET_PART = re.compile(r"^[a-z0-9][a-z0-9_-]{0,61}[a-z0-9]$|^[a-z0-9]$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
MAX_OBJECT_NAME_BYTES = 1024


def validate_bucket_name(name: str) -> str:
    """3-63 characters (222 with dots, 63 per dotted part), lowercase letters, digits,
    dashes, underscores and dots, starting and ending with a letter or digit; not an IP
    address, no ``goog`` prefix and no ``google`` inside."""

    def invalid(why: str) -> InvalidArgument:
        return InvalidArgument(f"Invalid bucket name: '{name}': {why}.")

    limit = 222 if "." in name else 63
    if not 3 <= len(name) <= limit:
        raise invalid(f"bucket names must be 3 to {limit} characters long")
    if not _BUCKET_CHARS.match(name):
        raise invalid(
            "bucket names contain only lowercase letters, digits, dashes, underscores and "
            "dots, and start and end with a letter or digit"
        )
    if any(not _BUCKET_PART.match(part) for part in name.split(".")):
        raise invalid("each dot-separated part must be 1 to 63 characters")
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        raise invalid("bucket names cannot begin with 'goog' or contain 'google'")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    raise invalid("bucket names cannot be IP addresses")


def validate_object_name(name: str) -> str:
    """Any valid UTF-8 of 1-1024 bytes, without carriage returns, line feeds or NUL,
    and not ``.`` or ``..`` (nor a ``.well-known/acme-challenge/`` name)."""
    encoded = name.encode("utf-8", "surrogatepass")
    try:
        encoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument("Object names must be valid UTF-8.") from exc
    if not 1 <= len(encoded) <= MAX_OBJECT_NAME_BYTES:
        raise InvalidArgument(
            f"Object name must be 1 to {MAX_OBJECT_NAME_BYTES} bytes of UTF-8 (got {len(encoded)})."
        )
    if name in (".", ".."):
        raise InvalidArgument(f"Object name cannot be '{name}'.")
    if any(ch in name for ch in "\r\n\x00"):
        raise InvalidArgument("Object names cannot contain carriage returns, line feeds or NUL.")
    if name.startswith(".well-known/acme-challenge/"):
        raise InvalidArgument("Object names cannot start with '.well-known/acme-challenge/'.")
    return name
