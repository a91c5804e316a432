"""Serving an object's bytes: ranges, conditional requests, Cloud Storage's headers."""

from __future__ import annotations

import re
from email.utils import format_datetime

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from nimbus.api.storage.views import DEFAULT_CONTENT_TYPE, object_etag
from nimbus.blobs import BlobStore
from nimbus.blobs.checksums import crc32c_b64, md5_b64
from nimbus.core.errors import NimbusError, PreconditionFailed
from nimbus.services.storage.content import read_bytes
from nimbus.services.storage.customer_keys import ALGORITHM, CustomerKey, unlock
from nimbus.services.storage.preconditions import NotModified
from nimbus.store.models import StoredObject

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(NimbusError):
    code = 416
    status = "OUT_OF_RANGE"
    reason = "requestedRangeNotSatisfiable"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` exclusive, or None for the whole object."""
    if not header or size == 0:
        return None
    match = _RANGE.match(header.split(",")[0].strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        start, end = max(0, size - int(last)), size
    else:
        start = int(first)
        end = size if last == "" else min(int(last) + 1, size)
    if start >= size or start >= end:
        raise RangeNotSatisfiable("The requested range cannot be satisfied.")
    return start, end


def check_etag_conditions(request: Request, etag: str) -> None:
    """``If-Match`` (412 unless it names the etag) and ``If-None-Match`` (304 if it does)."""
    if_match = request.headers.get("if-match")
    if if_match and not _names_etag(if_match, etag):
        raise PreconditionFailed("At least one of the pre-conditions you specified did not hold.")
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _names_etag(if_none_match, etag):
        raise NotModified("Not modified.")


def _names_etag(header: str, etag: str) -> bool:
    listed = {value.strip().removeprefix("W/").strip('"') for value in header.split(",")}
    return "*" in listed or etag in listed


def headers_of(row: StoredObject) -> dict[str, str]:
    hashes = f"crc32c={crc32c_b64(row.crc32c)}"
    if row.md5 is not None:
        hashes += f",md5={md5_b64(row.md5)}"
    headers = {
        "Content-Type": row.content_type or DEFAULT_CONTENT_TYPE,
        # The JSON API sends the etag bare, as its metadata has it (clients compare them).
        "ETag": object_etag(row),
        "Last-Modified": format_datetime(row.updated, usegmt=True),
        "Accept-Ranges": "bytes",
        "x-goog-hash": hashes,
        "x-goog-generation": str(row.generation),
        "x-goog-metageneration": str(row.metageneration),
        "x-goog-stored-content-length": str(row.size),
        "x-goog-stored-content-encoding": row.content_encoding or "identity",
        "x-goog-storage-class": row.storage_class,
    }
    if row.key_sha256 is not None:
        headers["x-goog-encryption-algorithm"] = ALGORITHM
        headers["x-goog-encryption-key-sha256"] = row.key_sha256
    optional = {
        "Content-Encoding": row.content_encoding,
        "Content-Disposition": row.content_disposition,
        "Content-Language": row.content_language,
        "Cache-Control": row.cache_control,
    }
    headers.update({k: v for k, v in optional.items() if v})
    for key, value in (row.custom_metadata or {}).items():
        headers[f"x-goog-meta-{key}"] = value
    return headers


def media_response(
    request: Request,
    blobs: BlobStore,
    row: StoredObject,
    *,
    head: bool = False,
    etag: str | None = None,
    key: CustomerKey | None = None,
) -> Response:
    """The bytes (or, for ``head``, the headers) of a generation. ``etag`` replaces the
    JSON API's ETag (the XML API announces the MD5 instead). A generation under a
    customer key is served only with that ``key``."""
    unlock(row.key_sha256, key)
    headers = headers_of(row)
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    try:
        check_etag_conditions(request, headers["ETag"].strip('"'))
    except NotModified:
        return Response(status_code=304, headers={"ETag": headers["ETag"]})
    span = _byte_range(request.headers.get("range"), row.size)
    start, end = span if span is not None else (0, row.size)
    headers["Content-Length"] = str(end - start)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{row.size}"
    if head:
        return Response(status_code=status, headers=headers)
    if row.inline_data is not None:
        data = (
            row.inline_data[start:end]
            if key is None
            else b"".join(read_bytes(blobs, row, start, end, key))
        )
        return Response(data, status_code=status, headers=headers)
    return StreamingResponse(
        read_bytes(blobs, row, start, end, key), status_code=status, headers=headers
    )
