"""CRC32C as Cloud Storage gives it: base64 of the big-endian checksum."""

from __future__ import annotations

import base64

import google_crc32c

from nimbus.cli.failures import CliError


class Crc32c:
    """A running CRC32C over bytes seen so far."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = int(google_crc32c.extend(self._value, data))

    def b64(self) -> str:
        return base64.b64encode(self._value.to_bytes(4, "big")).decode()


def declared_crc32c(header: str | None) -> str | None:
    """The ``crc32c=`` part of an ``x-goog-hash`` header."""
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "crc32c" and value:
            return value
    return None


def verify(what: str, local: str, remote: str | None) -> None:
    if remote is not None and remote != local:
        raise CliError(
            f"The CRC32C of {what} does not match: local {local}, remote {remote}. "
            "The copy was not kept."
        )
