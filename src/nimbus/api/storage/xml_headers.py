"""The XML API says in headers what the JSON API says in the resource and the query:
``Content-Type``, ``x-goog-meta-*``, ``x-goog-if-generation-match`` and so on."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from nimbus.api.storage.media import headers_of
from nimbus.api.storage.views import object_etag
from nimbus.api.storage.writing import declared_hashes
from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.acl import predefined
from nimbus.services.storage.errors import BadDigest
from nimbus.services.storage.object_fields import ObjectSpec, typed_upload
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.signatures import UNSIGNED_PAYLOAD
from nimbus.store.models import StoredObject

META = "x-goog-meta-"
_FIELDS = {
    "content-type": "contentType",
    "cache-control": "cacheControl",
    "content-disposition": "contentDisposition",
    "content-encoding": "contentEncoding",
    "content-language": "contentLanguage",
    "x-goog-storage-class": "storageClass",
    "x-goog-custom-time": "customTime",
}
# The XML API's canned ACLs (``x-goog-acl``, a form's ``acl``) by their JSON API names.
_CANNED_ACLS = {
    "private": "private",
    "project-private": "projectPrivate",
    "bucket-owner-read": "bucketOwnerRead",
    "bucket-owner-full-control": "bucketOwnerFullControl",
    "public-read": "publicRead",
    "authenticated-read": "authenticatedRead",
}
# What a write answers with: the new generation's identity and checksums.
_WRITE_ANSWER = (
    "ETag",
    "x-goog-generation",
    "x-goog-metageneration",
    "x-goog-hash",
    "x-goog-stored-content-length",
    "x-goog-stored-content-encoding",
)
# Query parameters a signed GET may set to override the response's headers.
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
}


def object_spec(headers: Mapping[str, str]) -> ObjectSpec:
    """A ``PUT``'s headers as the resource fields of the new generation."""
    return ObjectSpec.from_resource(object_resource(headers) | declared_checksums(headers))


def object_resource(headers: Mapping[str, str]) -> dict[str, Any]:
    """The object's metadata headers as resource fields (no checksums): what a ``PUT``,
    a multipart initiation or a resumable start says the object will be."""
    resource: dict[str, Any] = {
        field: headers[name] for name, field in _FIELDS.items() if headers.get(name)
    }
    metadata = {
        name[len(META) :]: value for name, value in headers.items() if name.lower().startswith(META)
    }
    if metadata:
        resource["metadata"] = metadata
    if headers.get("x-goog-acl"):
        resource["acl"] = canned_acl(headers["x-goog-acl"])
    return typed_upload(resource)


def canned_acl(name: str) -> list[dict[str, str]]:
    """A canned ACL's entries; the object's owner and project are filled in on write."""
    json_name = _CANNED_ACLS.get(name)
    if json_name is None:
        raise InvalidArgument(f"Invalid canned ACL '{name}'.")
    return predefined(json_name)


def declared_checksums(headers: Mapping[str, str]) -> dict[str, str]:
    """``x-goog-hash`` and ``Content-MD5`` as the resource's ``crc32c``/``md5Hash``."""
    fields = declared_hashes(headers.get("x-goog-hash"))
    if headers.get("content-md5"):
        fields["md5Hash"] = headers["content-md5"]
    return fields


def preconditions(headers: Mapping[str, str]) -> Preconditions:
    return Preconditions(
        if_generation_match=_number(headers, "x-goog-if-generation-match"),
        if_metageneration_match=_number(headers, "x-goog-if-metageneration-match"),
    )


def generation(query: Mapping[str, str]) -> int | None:
    return _number(query, "generation")


def _number(values: Mapping[str, str], name: str) -> int | None:
    text = values.get(name)
    if text is None:
        return None
    if not text.strip().isdigit():
        raise InvalidArgument(f"Invalid value for '{name}': '{text}'.")
    return int(text)


def xml_etag(row: StoredObject) -> str:
    """The XML API's ETag: the MD5 in hex, as S3-era tools compare it with their own
    (composite objects, which have none, keep the JSON API's)."""
    return row.md5.hex() if row.md5 is not None else object_etag(row)


def written(row: StoredObject) -> dict[str, str]:
    """The headers of a ``PUT``'s answer."""
    headers = headers_of(row) | {"ETag": f'"{xml_etag(row)}"'}
    return {name: headers[name] for name in _WRITE_ANSWER}


async def verified_body(
    stream: AsyncIterator[bytes], headers: Mapping[str, str]
) -> AsyncIterator[bytes]:
    """The body, checked against ``x-goog-content-sha256`` (when it names a digest):
    a mismatch raises at the end of the stream, before the reader can commit it."""
    declared = (headers.get("x-goog-content-sha256") or UNSIGNED_PAYLOAD).lower()
    if declared == UNSIGNED_PAYLOAD.lower():
        async for chunk in stream:
            yield chunk
        return
    digest = hashlib.sha256()
    async for chunk in stream:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != declared:
        raise BadDigest("The body does not match the x-goog-content-sha256 it was sent with.")
