"""Receiving an object's bytes, shared by the JSON uploads and the XML API's ``PUT``.

Small bodies are kept in memory and stored inline in the object's row; larger ones
stream into a blob, so memory stays bounded whatever the size. Nothing commits here:
the caller hands the ``Content`` to ``Objects.insert``, which makes it visible.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

from nimbus.blobs import Checksums
from nimbus.services.cloud import Cloud
from nimbus.services.storage.content import INLINE_LIMIT
from nimbus.services.storage.customer_keys import CustomerKey, Sealing, cipher_at
from nimbus.services.storage.generations import Content


def declared_hashes(header: str | None) -> dict[str, str]:
    """``x-goog-hash: crc32c=...,md5=...`` as resource fields."""
    fields: dict[str, str] = {}
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "crc32c" and value:
            fields["crc32c"] = value
        elif key == "md5" and value:
            fields["md5Hash"] = value
    return fields


async def store_content(
    cloud: Cloud, stream: AsyncIterator[bytes], key: CustomerKey | None = None
) -> Content:
    """Keep small bodies in memory (stored inline); stream larger ones to a blob.
    With a customer ``key`` the bytes are kept encrypted; checksums are the plaintext's."""
    if key is None:
        return await _store(cloud, stream)
    sealing = Sealing.new(key)
    plain = Checksums()
    content = await _store(cloud, sealed(stream, key, sealing, plain))
    return dataclasses.replace(content, crc32c=plain.crc32c, md5=plain.md5, sealing=sealing)


async def sealed(
    stream: AsyncIterator[bytes], key: CustomerKey, sealing: Sealing, plain: Checksums
) -> AsyncIterator[bytes]:
    """``stream`` encrypted under ``key`` from ``sealing``'s nonce; ``plain`` takes the
    checksums of the plaintext on the way."""
    cipher = cipher_at(key.key, sealing.nonce, 0)
    async for chunk in stream:
        plain.update(chunk)
        yield cipher.update(chunk)


async def _store(cloud: Cloud, stream: AsyncIterator[bytes]) -> Content:
    head = b""
    async for chunk in stream:
        head += chunk
        if len(head) > INLINE_LIMIT:
            break
    else:
        checksums = Checksums()
        checksums.update(head)
        return Content(len(head), checksums.crc32c, checksums.md5, inline=head)
    writer = cloud.blobs.create()
    try:
        writer.write(head)
        async for chunk in stream:
            writer.write(chunk)
        return Content.of_blob(await asyncio.to_thread(writer.finish))
    except BaseException:
        writer.abort()
        raise
