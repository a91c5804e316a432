"""A streaming reader of ``multipart/related`` upload bodies (metadata, then media).

The JSON part is small and read whole; the media part streams through, so memory
stays bounded whatever the object's size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from nimbus.core.errors import InvalidArgument

MAX_METADATA_BYTES = 2 * 1024 * 1024


def boundary_of(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"')
    raise InvalidArgument("A multipart upload needs a boundary in its Content-Type.")


class MultipartReader:
    def __init__(self, stream: AsyncIterator[bytes], boundary: str) -> None:
        self._stream = stream
        self._buffer = b""
        self._delimiter = b"\r\n--" + boundary.encode()
        self._first = b"--" + boundary.encode()
        self._exhausted = False

    async def _fill(self) -> bool:
        if self._exhausted:
            return False
        try:
            self._buffer += await self._stream.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
            return False
        return True

    async def _read_until(self, marker: bytes, limit: int) -> bytes:
        while (index := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit or not await self._fill():
                raise InvalidArgument("Malformed multipart body.")
        found, self._buffer = self._buffer[:index], self._buffer[index + len(marker) :]
        return found

    async def _headers(self) -> dict[str, str]:
        block = await self._read_until(b"\r\n\r\n", 64 * 1024)
        headers: dict[str, str] = {}
        for line in block.split(b"\r\n"):
            if b":" in line:
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
        return headers

    async def start(self) -> tuple[bytes, str | None]:
        """Read up to the media part: the metadata JSON and the media's Content-Type."""
        await self._read_until(self._first, 64 * 1024)
        await self._read_until(b"\r\n", 1024)
        await self._headers()
        metadata = await self._read_until(self._delimiter, MAX_METADATA_BYTES)
        await self._read_until(b"\r\n", 1024)
        media_headers = await self._headers()
        return metadata, media_headers.get("content-type")

    async def media(self) -> AsyncIterator[bytes]:
        """The media part's bytes, up to the closing boundary."""
        keep = len(self._delimiter)
        while True:
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                if index:
                    yield self._buffer[:index]
                self._buffer = b""
                return
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                yield self._buffer[:cut]
                self._buffer = self._buffer[cut:]
            if not await self._fill():
                raise InvalidArgument("Malformed multipart body: the closing boundary is missing.")
