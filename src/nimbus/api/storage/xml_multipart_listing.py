"""XML API listings of multipart uploads, a page at a time:

    GET /{bucket}/{object}?uploadId=ID   ListPartsResult (``max-parts``, ``part-number-marker``)
    GET /{bucket}?uploads                ListMultipartUploadsResult (``prefix``, ``delimiter``,
                                         ``key-marker``, ``upload-id-marker``, ``max-uploads``,
                                         ``encoding-type``)

A page holds at most 1,000 entries, as on Cloud Storage; a truncated one names the
markers the next request starts after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import Request
from starlette.responses import Response

from nimbus.api.deps import call, cloud_of
from nimbus.api.storage.params import WRITE_SCOPES
from nimbus.api.storage.xml_auth import xml_caller
from nimbus.api.storage.xml_multipart import xml_document
from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.xml_multipart import part_etag
from nimbus.store.models import MultipartPart, MultipartUpload

PAGE_LIMIT = 1000


async def list_parts(request: Request, bucket: str, name: str) -> Response:
    caller = await xml_caller(request, WRITE_SCOPES)
    limit = _page_size(request, "max-parts")
    marker = _number(request.query_params.get("part-number-marker", "0"), "part-number-marker")
    target = (bucket, name, request.query_params["uploadId"])
    listing = await call(cloud_of(request).multipart_uploads.list_parts, caller, target)
    after = [part for part in listing.parts if part.part_number > marker]
    page, truncated = after[:limit], len(after) > limit
    fields = [
        ("Bucket", bucket),
        ("Key", name),
        ("UploadId", listing.upload.upload_id),
        ("StorageClass", str(listing.upload.resource.get("storageClass", "STANDARD"))),
        ("PartNumberMarker", str(marker)),
        ("NextPartNumberMarker", str(page[-1].part_number if page else marker)),
        ("MaxParts", str(limit)),
        ("IsTruncated", _flag(truncated)),
    ]
    return xml_document("ListPartsResult", fields, "".join(_part(part) for part in page))


async def list_uploads(request: Request, bucket: str) -> Response:
    caller = await xml_caller(request, WRITE_SCOPES)
    params = request.query_params
    query = UploadsQuery(
        prefix=params.get("prefix", ""),
        delimiter=params.get("delimiter") or None,
        key_marker=params.get("key-marker", ""),
        upload_id_marker=params.get("upload-id-marker", ""),
        limit=_page_size(request, "max-uploads"),
    )
    encoding = params.get("encoding-type")
    if encoding not in (None, "url"):
        raise InvalidArgument(f"Invalid Encoding Method specified in Request: {encoding}")
    uploads = await call(
        cloud_of(request).multipart_uploads.list_uploads, caller, bucket, query.prefix
    )
    page = uploads_page(uploads, query)

    def shown(text: str) -> str:
        return quote(text, safe="/") if encoding == "url" else text

    fields = [
        ("Bucket", bucket),
        ("KeyMarker", shown(query.key_marker)),
        ("UploadIdMarker", query.upload_id_marker),
        ("NextKeyMarker", shown(page.next_key_marker)),
        ("NextUploadIdMarker", page.next_upload_id_marker),
        ("Prefix", shown(query.prefix)),
        *([("Delimiter", shown(query.delimiter))] if query.delimiter else []),
        ("MaxUploads", str(query.limit)),
        ("IsTruncated", _flag(page.truncated)),
        *([("EncodingType", "url")] if encoding else []),
    ]
    entries = "".join(_upload(upload, shown) for upload in page.uploads) + "".join(
        f"<CommonPrefixes><Prefix>{escape(shown(prefix))}</Prefix></CommonPrefixes>"
        for prefix in page.prefixes
    )
    return xml_document("ListMultipartUploadsResult", fields, entries)


@dataclass(frozen=True)
class UploadsQuery:
    prefix: str
    delimiter: str | None
    key_marker: str
    upload_id_marker: str
    limit: int


@dataclass
class UploadsPage:
    uploads: list[MultipartUpload]
    prefixes: list[str]
    truncated: bool = False
    next_key_marker: str = ""
    next_upload_id_marker: str = ""


def uploads_page(uploads: list[MultipartUpload], query: UploadsQuery) -> UploadsPage:
    """One page of ``uploads`` (all under the query's prefix, by name, then upload ID,
    as ``list_uploads`` gives them), after the markers; names that go on past the
    delimiter count once, as their prefix. As on S3, an upload ID marker only counts
    with a key marker."""
    page = UploadsPage([], [])
    entries = 0
    for upload in uploads:
        if not _after_markers(upload, query):
            continue
        grouped = _group(upload.name, query)
        if grouped is not None and grouped in page.prefixes:
            continue
        if grouped is not None and query.key_marker.startswith(grouped):
            continue  # The previous page ended inside this group.
        if entries == query.limit:
            page.truncated = True
            return page
        entries += 1
        if grouped is not None:
            page.prefixes.append(grouped)
            page.next_key_marker, page.next_upload_id_marker = grouped, ""
        else:
            page.uploads.append(upload)
            page.next_key_marker, page.next_upload_id_marker = upload.name, upload.upload_id
    return page


def _after_markers(upload: MultipartUpload, query: UploadsQuery) -> bool:
    if not query.key_marker:
        return True
    if upload.name == query.key_marker and query.upload_id_marker:
        return upload.upload_id > query.upload_id_marker
    return upload.name > query.key_marker


def _group(name: str, query: UploadsQuery) -> str | None:
    if query.delimiter is None:
        return None
    at = name.find(query.delimiter, len(query.prefix))
    return None if at < 0 else name[: at + len(query.delimiter)]


def _part(part: MultipartPart) -> str:
    return (
        "<Part>"
        f"<PartNumber>{part.part_number}</PartNumber>"
        f"<LastModified>{rfc3339(part.updated)}</LastModified>"
        f"<ETag>{escape(part_etag(part.md5))}</ETag>"
        f"<Size>{part.size}</Size>"
        "</Part>"
    )


def _upload(upload: MultipartUpload, shown: Callable[[str], str]) -> str:
    storage_class = str(upload.resource.get("storageClass", "STANDARD"))
    return (
        "<Upload>"
        f"<Key>{escape(shown(upload.name))}</Key>"
        f"<UploadId>{escape(upload.upload_id)}</UploadId>"
        f"<StorageClass>{escape(storage_class)}</StorageClass>"
        f"<Initiated>{rfc3339(upload.create_time)}</Initiated>"
        "</Upload>"
    )


def _page_size(request: Request, parameter: str) -> int:
    """At most ``PAGE_LIMIT``, whatever is asked."""
    text = request.query_params.get(parameter)
    if text is None:
        return PAGE_LIMIT
    size = _number(text, parameter)
    if size < 1:
        raise InvalidArgument(f"Argument {parameter} must be a positive integer.")
    return min(size, PAGE_LIMIT)


def _number(text: str, parameter: str) -> int:
    if not text.isdigit():
        raise InvalidArgument(f"Argument {parameter} must be an integer: '{text}'.")
    return int(text)


def _flag(value: bool) -> str:
    return "true" if value else "false"
