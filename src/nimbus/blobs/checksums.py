"""CRC32C and MD5 as Cloud Storage reports them: computed while bytes stream through."""

from __future__ import annotations

import base64
import hashlib
import struct

import google_crc32c


class Checksums:
    """Running CRC32C and MD5 over everything fed to ``update``."""

    def __init__(self) -> None:
        self.crc32c = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def update(self, data: bytes | memoryview) -> None:
        self.crc32c = google_crc32c.extend(self.crc32c, data)
        self._md5.update(data)
        self.size += len(data)

    @property
    def md5(self) -> bytes:
        return self._md5.digest()

    def copy(self) -> Checksums:
        twin = Checksums()
        twin.crc32c, twin._md5, twin.size = self.crc32c, self._md5.copy(), self.size
        return twin


def crc32c_b64(value: int) -> str:
    """Cloud Storage's form: base64 of the big-endian 4-byte CRC32C."""
    return base64.b64encode(struct.pack(">I", value)).decode()


def md5_b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc32c_from_b64(text: str) -> int | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return struct.unpack(">I", raw)[0] if len(raw) == 4 else None


def md5_from_b64(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return raw if len(raw) == 16 else None
