"""Local bytes to an object: one multipart request for small files, a resumable
session sent in chunks for the rest, the CRC32C checked against the server's.

At most two chunks are in memory at once, whatever the size of the file or stream.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from nimbus.cli.client import Api, ApiError, Json
from nimbus.cli.failures import CliError, Unreachable
from nimbus.cli.storage import file_times
from nimbus.cli.storage.checksums import Crc32c, verify
from nimbus.cli.storage.endpoints import Options
from nimbus.cli.storage.progress import Progress
from nimbus.cli.storage.urls import CloudUrl, object_path, upload_path

KIB = 1024
MIB = 1024 * KIB
SIMPLE_LIMIT = 8 * MIB
CHUNK = 8 * MIB  # a multiple of 256 KiB, as resumable uploads require
ATTEMPTS = 4
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_TRANSIENT = {408, 429, 500, 502, 503, 504}


def upload_file(
    api: Api, path: Path, target: CloudUrl, options: Options, progress: Progress
) -> Json:
    guessed = mimetypes.guess_type(path.name)[0]
    try:
        # gcloud records every uploaded file's mtime; the user's own metadata wins.
        metadata = _metadata(target, options, guessed, file_times.stamp(path))
        with path.open("rb") as handle:
            size = path.stat().st_size
            if size <= SIMPLE_LIMIT:
                return _simple(api, target, metadata, handle.read(), options, progress)
            return _resumable(api, target, metadata, handle, size, options, progress)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise CliError(f"Unable to read [{path}]: {exc.strerror}.") from exc


def upload_stream(
    api: Api, stream: IO[bytes], target: CloudUrl, options: Options, progress: Progress
) -> Json:
    """Standard input, whose size is known only at its end."""
    metadata = _metadata(target, options, None)
    head = _read(stream, SIMPLE_LIMIT)
    progress.grow(len(head))
    if len(head) < SIMPLE_LIMIT:
        return _simple(api, target, metadata, head, options, progress)
    return _resumable(api, target, metadata, stream, None, options, progress, head=head)


def _metadata(
    target: CloudUrl, options: Options, guessed: str | None, stamped: dict[str, str] | None = None
) -> Json:
    metadata: Json = {
        "name": target.name,
        "contentType": options.content_type or guessed or DEFAULT_CONTENT_TYPE,
    }
    if options.cache_control:
        metadata["cacheControl"] = options.cache_control
    custom = {**(stamped or {}), **options.custom_metadata}
    if custom:
        metadata["metadata"] = custom
    return metadata


def _key(options: Options) -> dict[str, str]:
    """The encryption key's headers, on every request of an upload (each chunk too)."""
    key = options.keys.encryption
    return key.headers() if key else {}


def _conditions(options: Options) -> dict[str, str]:
    return {"ifGenerationMatch": "0"} if options.no_clobber else {}


def _simple(
    api: Api, target: CloudUrl, metadata: Json, data: bytes, options: Options, progress: Progress
) -> Json:
    crc = Crc32c()
    crc.update(data)
    boundary = secrets.token_hex(16)
    part = json.dumps({**metadata, "crc32c": crc.b64()}).encode()
    body = b"".join(
        [
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
            part,
            f"\r\n--{boundary}\r\nContent-Type: {metadata['contentType']}\r\n\r\n".encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    response = api.send(
        "POST",
        upload_path(target.bucket),
        params={"uploadType": "multipart", **_conditions(options)},
        headers={"Content-Type": f'multipart/related; boundary="{boundary}"', **_key(options)},
        content=body,
    )
    progress.advance(len(data))
    return _checked(api, target, response.json(), crc)


def _resumable(
    api: Api,
    target: CloudUrl,
    metadata: Json,
    handle: IO[bytes],
    size: int | None,
    options: Options,
    progress: Progress,
    *,
    head: bytes | None = None,
) -> Json:
    headers = {"X-Upload-Content-Type": str(metadata["contentType"])}
    if size is not None:
        headers["X-Upload-Content-Length"] = str(size)
    started = api.send(
        "POST",
        upload_path(target.bucket),
        params={"uploadType": "resumable", **_conditions(options)},
        headers={**headers, **_key(options), "Content-Type": "application/json; charset=UTF-8"},
        content=json.dumps(metadata).encode(),
    )
    session = started.headers.get("location")
    if not session:
        raise CliError("Nimbus started a resumable upload without a session URI.")
    crc = Crc32c()
    try:
        for offset, data, last in _chunks(handle, size, head, progress):
            crc.update(data)
            total = str(size) if size is not None else str(offset + len(data)) if last else "*"
            finished = _send_chunk(api, session, offset, data, total, progress, _key(options))
            if finished is not None:
                return _checked(api, target, finished, crc)
    except BaseException:
        _cancel(api, session)
        raise
    raise CliError(f"The upload to {target} ended without the server finishing it.")


def _chunks(
    handle: IO[bytes], size: int | None, head: bytes | None, progress: Progress
) -> Iterator[tuple[int, bytes, bool]]:
    """``(offset, bytes, is the last)``; with no size known, one chunk is read ahead."""
    offset = 0
    current = head if head is not None else _read(handle, CHUNK)
    while True:
        if size is not None:
            following = b""
            last = offset + len(current) >= size
            if not current and not last:
                raise CliError("The file shrank while it was being uploaded.")
        else:
            following = _read(handle, CHUNK)
            progress.grow(len(following))
            last = not following
        yield offset, current, last
        if last:
            return
        offset += len(current)
        current = following if size is None else _read(handle, CHUNK)


def _read(handle: IO[bytes], count: int) -> bytes:
    """Up to ``count`` bytes: fewer only at the end of the stream."""
    parts, wanted = [], count
    while wanted:
        data = handle.read(wanted)
        if not data:
            break
        parts.append(data)
        wanted -= len(data)
    return b"".join(parts)


def _send_chunk(
    api: Api,
    session: str,
    offset: int,
    data: bytes,
    total: str,
    progress: Progress,
    key: dict[str, str],
) -> Json | None:
    """Send one chunk until the server holds all of it: the object once the last is in.

    What the server did not keep (its ``Range`` says how much it did) is sent again;
    a transient failure is followed by a status query. Only rounds that move nothing
    count towards giving up.
    """
    end = offset + len(data)
    last = total == str(end)
    sent, stalls = offset, 0
    while stalls < ATTEMPTS:
        piece = data[sent - offset :]
        content_range = f"bytes {sent}-{end - 1}/{total}" if piece else f"bytes */{total}"
        before = sent
        try:
            headers = {"Content-Range": content_range, **key}
            response = api.send("PUT", session, headers=headers, content=piece, ok=(308,))
        except (Unreachable, ApiError) as exc:
            if not _transient(exc) or stalls == ATTEMPTS - 1:
                raise
            stalls += 1
            sent = max(sent, min(_persisted_now(api, session, total, key), end))
            progress.advance(sent - before)
            continue
        if response.status_code != 308:
            progress.advance(end - sent)
            return dict(response.json())
        sent = max(sent, min(_persisted(response.headers.get("range")), end))
        progress.advance(sent - before)
        if sent == end and not last:
            return None
        stalls = stalls + 1 if sent == before else 0
    raise CliError(f"The server did not accept bytes {sent}-{end - 1} of the upload.")


def _transient(exc: CliError) -> bool:
    return isinstance(exc, Unreachable) or (isinstance(exc, ApiError) and exc.code in _TRANSIENT)


def _persisted_now(api: Api, session: str, total: str, key: dict[str, str]) -> int:
    headers = {"Content-Range": f"bytes */{total}", **key}
    response = api.send("PUT", session, headers=headers, content=b"", ok=(308,))
    return _persisted(response.headers.get("range"))


def _persisted(header: str | None) -> int:
    """``Range: bytes=0-N`` means N+1 bytes are kept; no header, none."""
    if not header or "-" not in header:
        return 0
    return int(header.rpartition("-")[2]) + 1


def _cancel(api: Api, session: str) -> None:
    with contextlib.suppress(CliError):
        api.send("DELETE", session, ok=tuple(range(400, 600)))


def _checked(api: Api, target: CloudUrl, stored: dict[str, Any], crc: Crc32c) -> Json:
    """The stored object, if its CRC32C is the one of the bytes sent; else it goes."""
    try:
        verify(str(target), crc.b64(), stored.get("crc32c"))
    except CliError:
        generation = stored.get("generation")
        params = {"generation": str(generation)} if generation else None
        api.send("DELETE", object_path(target.bucket, target.name), params=params, ok=(404,))
        raise
    return stored
