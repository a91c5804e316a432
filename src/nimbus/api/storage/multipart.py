"""A streaming reader of ``multipart/related`` upload bodies (metadata, then media),
and of ``multipart/form-data`` forms (small fields, then the file).

The JSON part is small and read whole; the media part streams through, so memory
stays bounded whatever the object's size. Lines may end in CRLF or, as some clients
(gcsfs) send them, in a bare LF; parts may have no headers at all (Go's clients).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from nimbus.core.errors import InvalidArgument

MAX_METADATA_BYTES = 2 * 1024 * 1024
_MAX_HEADER_BYTES = 64 * 1024


def boundary_of(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return _unquoted(value)
    raise InvalidArgument("A multipart upload needs a boundary in its Content-Type.")


def _unquoted(value: str) -> str:
    """The boundary without its quotes: double, as RFC 2045 has them, or single, as
    gcloud's uploads send them (``boundary='===...=='``) and Cloud Storage accepts."""
    for quote in ('"', "'"):
        if len(value) >= 2 and value[0] == value[-1] == quote:
            return value[1:-1]
    return value


def _malformed(why: str = "") -> InvalidArgument:
    return InvalidArgument(f"Malformed multipart body{': ' + why if why else ''}.")


def _disposition(headers: dict[str, str], parameter: str) -> str | None:
    """A parameter of a form part's ``Content-Disposition: form-data; name="..."``."""
    for part in headers.get("content-disposition", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == parameter:
            return value.strip('"')
    return None


def _field_name(headers: dict[str, str]) -> str:
    name = _disposition(headers, "name")
    if name is None:
        raise _malformed("a form field has no name")
    return name.lower()


class MultipartReader:
    def __init__(self, stream: AsyncIterator[bytes], boundary: str) -> None:
        self._stream = stream
        self._buffer = b""
        self._dash_boundary = b"--" + boundary.encode()
        # A part ends at a line break followed by the boundary.
        self._delimiter = b"\n" + self._dash_boundary
        self._exhausted = False
        # The file's own name, as the form's file part gives it (``form``).
        self.filename: str | None = None

    async def _fill(self) -> bool:
        if self._exhausted:
            return False
        try:
            self._buffer += await self._stream.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
            return False
        return True

    async def _index_of(self, marker: bytes, limit: int) -> int:
        while (index := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit or not await self._fill():
                raise _malformed()
        return index

    async def _line(self) -> bytes:
        index = await self._index_of(b"\n", _MAX_HEADER_BYTES)
        line, self._buffer = self._buffer[:index], self._buffer[index + 1 :]
        return line.rstrip(b"\r")

    async def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        while line := await self._line():
            key, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise _malformed("a part header has no colon")
            headers[key.strip().lower()] = value.strip()
        return headers

    async def _part_end(self, limit: int) -> bytes:
        """The rest of a small part, up to its closing boundary line."""
        index = await self._index_of(self._delimiter, limit)
        body, self._buffer = self._buffer[:index], self._buffer[index + len(self._delimiter) :]
        return body.removesuffix(b"\r")

    async def start(self) -> tuple[bytes, str | None]:
        """Read up to the media part: the metadata JSON and the media's Content-Type."""
        index = await self._index_of(self._dash_boundary, _MAX_HEADER_BYTES)
        self._buffer = self._buffer[index + len(self._dash_boundary) :]
        await self._line()
        await self._headers()
        metadata = await self._part_end(MAX_METADATA_BYTES)
        await self._line()
        media_headers = await self._headers()
        return metadata, media_headers.get("content-type")

    async def form(self, file_field: str) -> dict[str, str]:
        """Read the small fields up to the part named ``file_field`` (whose bytes
        ``media`` then streams): their names, lowercase, and values."""
        index = await self._index_of(self._dash_boundary, _MAX_HEADER_BYTES)
        self._buffer = self._buffer[index + len(self._dash_boundary) :]
        fields: dict[str, str] = {}
        while not (await self._line()).startswith(b"--"):
            headers = await self._headers()
            name = _field_name(headers)
            if name == file_field:
                self.filename = _disposition(headers, "filename")
                return fields
            value = await self._part_end(MAX_METADATA_BYTES)
            fields[name] = value.decode("utf-8", errors="replace")
        raise InvalidArgument(f"The form has no '{file_field}' field.")

    async def media(self) -> AsyncIterator[bytes]:
        """The media part's bytes, up to the closing boundary."""
        keep = len(self._delimiter) + 1
        while True:
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                tail = self._buffer[:index].removesuffix(b"\r")
                if tail:
                    yield tail
                self._buffer = b""
                return
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                yield self._buffer[:cut]
                self._buffer = self._buffer[cut:]
            if not await self._fill():
                raise _malformed("the closing boundary is missing")
