"""CRC32C and MD5 as Cloud Storage gives them: base64 of the big-endian CRC32C, base64
of the MD5 digest; named as an object's metadata names them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection
from pathlib import Path

import google_crc32c

from nimbus.cli.failures import CliError

CRC32C = "crc32c"
MD5 = "md5Hash"
READ_SIZE = 1024 * 1024


class Crc32c:
    """A running CRC32C over bytes seen so far."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = int(google_crc32c.extend(self._value, data))

    def b64(self) -> str:
        return base64.b64encode(self._value.to_bytes(4, "big")).decode()


def file_checksums(path: Path, kinds: Collection[str] = (CRC32C, MD5)) -> dict[str, str]:
    """The file's checksums among ``kinds`` (``CRC32C``, ``MD5``), from one read in
    chunks, so a file of any size fits."""
    crc = Crc32c() if CRC32C in kinds else None
    md5 = hashlib.md5(usedforsecurity=False) if MD5 in kinds else None
    with path.open("rb") as handle:
        while data := handle.read(READ_SIZE):
            if crc is not None:
                crc.update(data)
            if md5 is not None:
                md5.update(data)
    found = {CRC32C: crc.b64()} if crc is not None else {}
    return found | ({MD5: base64.b64encode(md5.digest()).decode()} if md5 is not None else {})


def as_hex(digest: str) -> str:
    """A base64 digest in hex, as ``--hex`` shows it."""
    return base64.b64decode(digest).hex()


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
