"""The XML API's bucket listing: ``GET /{bucket}``, as signed list URLs and S3-era tools
use it.

    <ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01">
      <Name>b</Name><Prefix/><Marker/><IsTruncated>false</IsTruncated>
      <Contents><Key>a.txt</Key><Generation>..</Generation>...</Contents>
      <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
    </ListBucketResult>

``prefix``, ``delimiter``, ``marker`` and ``max-keys`` as in the first version of the
listing; ``list-type=2`` adds ``start-after`` and ``continuation-token``. Pages are
the JSON API's, through the same service.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from fastapi import Request
from starlette.responses import Response

from nimbus.api.deps import call, cloud_of
from nimbus.api.storage.xml_headers import xml_etag
from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import Caller
from nimbus.services.storage.listing import (
    DEFAULT_MAX_RESULTS,
    Listing,
    ListQuery,
    page_size,
    resume_after,
)
from nimbus.store.models import StoredObject

_NAMESPACE = "http://doc.s3.amazonaws.com/2006-03-01"


def list_query(request: Request) -> ListQuery:
    """The listing the query string asks for; 400 for a malformed one."""
    params = request.query_params
    max_keys = params.get("max-keys", str(DEFAULT_MAX_RESULTS))
    if not max_keys.isdigit():
        raise InvalidArgument(f"Invalid max-keys '{max_keys}'.")
    delimiter = params.get("delimiter") or None
    after = params.get("start-after") or params.get("marker") or None
    token = params.get("continuation-token") or None
    prefix = params.get("prefix", "")
    # A marker before the prefix starts nothing earlier than the prefix itself.
    if token is None and after is not None and after >= prefix:
        token = resume_after(after, delimiter)
    return ListQuery(
        prefix=prefix,
        delimiter=delimiter,
        max_results=page_size(int(max_keys)),
        page_token=token,
    )


async def list_bucket(request: Request, caller: Caller, bucket: str) -> Response:
    query = list_query(request)
    listing = await call(cloud_of(request).objects.list_objects, caller, bucket, query)
    version_two = request.query_params.get("list-type") == "2"
    body = _document(bucket, request, query, listing, version_two=version_two)
    return Response(body, media_type="application/xml; charset=UTF-8")


def _document(
    bucket: str,
    request: Request,
    query: ListQuery,
    listing: Listing[StoredObject],
    *,
    version_two: bool,
) -> str:
    truncated = listing.next_page_token is not None
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f'<ListBucketResult xmlns="{_NAMESPACE}">',
        _element("Name", bucket),
        _element("Prefix", query.prefix),
    ]
    if query.delimiter:
        parts.append(_element("Delimiter", query.delimiter))
    if version_two:
        parts.append(_element("KeyCount", str(len(listing.items) + len(listing.prefixes))))
        token = request.query_params.get("continuation-token")
        if token:
            parts.append(_element("ContinuationToken", token))
        if listing.next_page_token:
            parts.append(_element("NextContinuationToken", listing.next_page_token))
    else:
        parts.append(_element("Marker", request.query_params.get("marker", "")))
        if truncated:
            parts.append(_element("NextMarker", _last_name(listing)))
    parts.append(_element("MaxKeys", str(query.max_results)))
    parts.append(_element("IsTruncated", "true" if truncated else "false"))
    parts.extend(_contents(row) for row in listing.items)
    parts.extend(
        f"<CommonPrefixes>{_element('Prefix', prefix)}</CommonPrefixes>"
        for prefix in listing.prefixes
    )
    parts.append("</ListBucketResult>")
    return "".join(parts)


def _last_name(listing: Listing[StoredObject]) -> str:
    """Where the next page starts after: the greatest key or prefix on this one."""
    names = [row.name for row in listing.items] + listing.prefixes
    return max(names) if names else ""


def _contents(row: StoredObject) -> str:
    fields = [
        ("Key", row.name),
        ("Generation", str(row.generation)),
        ("MetaGeneration", str(row.metageneration)),
        ("LastModified", rfc3339(row.updated)),
        ("ETag", f'"{xml_etag(row)}"'),
        ("Size", str(row.size)),
        ("StorageClass", row.storage_class),
    ]
    return "<Contents>" + "".join(_element(name, value) for name, value in fields) + "</Contents>"


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"
