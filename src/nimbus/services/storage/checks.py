"""Checking the checksums a client declared against the bytes that arrived."""

from __future__ import annotations

from nimbus.blobs.checksums import crc32c_b64, crc32c_from_b64, md5_b64, md5_from_b64
from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.object_fields import ObjectSpec


def verify_checksums(spec: ObjectSpec, crc32c: int, md5: bytes | None) -> None:
    """Raise 400, storing nothing, when a declared checksum differs from the data's."""
    if spec.crc32c is not None:
        declared = crc32c_from_b64(spec.crc32c)
        if declared is None:
            raise InvalidArgument(f"Invalid crc32c checksum '{spec.crc32c}'.")
        if declared != crc32c:
            raise InvalidArgument(
                f'Provided CRC32C "{spec.crc32c}" doesn\'t match calculated CRC32C '
                f'"{crc32c_b64(crc32c)}".'
            )
    if spec.md5_hash is not None:
        declared_md5 = md5_from_b64(spec.md5_hash)
        if declared_md5 is None:
            raise InvalidArgument(f"Invalid md5 checksum '{spec.md5_hash}'.")
        if md5 is not None and declared_md5 != md5:
            raise InvalidArgument(
                f'Provided MD5 hash "{spec.md5_hash}" doesn\'t match calculated MD5 hash '
                f'"{md5_b64(md5)}".'
            )
