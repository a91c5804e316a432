"""XML API multipart uploads, as ``transfer_manager.upload_chunks_concurrently`` and
S3-era tools drive them:

    POST   /{bucket}/{object}?uploads                       initiate → UploadId
    PUT    /{bucket}/{object}?partNumber=N&uploadId=ID      a part → ETag
    POST   /{bucket}/{object}?uploadId=ID                   complete (CompleteMultipartUpload)
    DELETE /{bucket}/{object}?uploadId=ID                   abort → 204
    GET    /{bucket}/{object}?uploadId=ID                   ListPartsResult (xml_multipart_listing)
    GET    /{bucket}?uploads                                ListMultipartUploadsResult (same)

Documents use the S3 namespace, which the client looks ``UploadId`` up in.
"""

from __future__ import annotations

import asyncio
from functools import partial
from urllib.parse import quote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from fastapi import Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.deps import call, cloud_of
from nimbus.api.storage import xml_headers
from nimbus.api.storage.customer_keys import request_key
from nimbus.api.storage.params import WRITE_SCOPES
from nimbus.api.storage.writing import sealed
from nimbus.api.storage.xml_auth import xml_caller
from nimbus.blobs import Checksums, StoredBlob
from nimbus.blobs.checksums import crc32c_b64, md5_b64
from nimbus.core.errors import InvalidArgument, PayloadTooLarge
from nimbus.services.storage.customer_keys import Sealing
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.xml_multipart import part_etag

_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
# A completion names at most 10,000 parts of ~100 bytes each.
_MAX_COMPLETION_BYTES = 2 * 1024 * 1024


class MalformedXML(InvalidArgument):
    """The request's XML is not a well-formed ``CompleteMultipartUpload``."""


def xml_document(root: str, fields: list[tuple[str, str]], extra: str = "") -> Response:
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields)
    text = (
        f"<?xml version='1.0' encoding='UTF-8'?><{root} xmlns=\"{_NAMESPACE}\">"
        f"{body}{extra}</{root}>"
    )
    return Response(text, media_type="application/xml; charset=UTF-8")


async def initiate(request: Request, bucket: str, name: str) -> Response:
    cloud = cloud_of(request)
    caller = await xml_caller(request, WRITE_SCOPES)
    resource = xml_headers.object_resource(request.headers)
    initiate = partial(cloud.multipart_uploads.initiate, key=request_key(request.headers))
    upload = await call(initiate, caller, bucket, name, resource)
    fields = [("Bucket", bucket), ("Key", name), ("UploadId", upload.upload_id)]
    return xml_document("InitiateMultipartUploadResult", fields)


async def upload_part(request: Request, bucket: str, name: str) -> Response:
    cloud = cloud_of(request)
    caller = await xml_caller(request, WRITE_SCOPES)
    number = _part_number(request.query_params.get("partNumber"))
    target = (bucket, name, request.query_params["uploadId"])
    await call(cloud.multipart_uploads.authorize_part, caller, bucket, name, number)
    declared = ObjectSpec.from_resource(xml_headers.declared_checksums(request.headers))
    key = request_key(request.headers)
    body = xml_headers.verified_body(request.stream(), request.headers)
    # Under a customer key the part is kept encrypted; its checksums are the plaintext's.
    sealing = Sealing.new(key) if key is not None else None
    plain = Checksums()
    if key is not None and sealing is not None:
        body = sealed(body, key, sealing, plain)
    writer = cloud.blobs.create()
    try:
        async for chunk in body:
            writer.write(chunk)
        blob = await asyncio.to_thread(writer.finish)
    except BaseException:
        writer.abort()
        raise
    if sealing is not None:
        blob = StoredBlob(blob.blob_id, plain.size, plain.crc32c, plain.md5)
    put_part = partial(cloud.multipart_uploads.put_part, key=key, sealing=sealing)
    await call(put_part, caller, target, number, blob, declared)
    hashes = f"crc32c={crc32c_b64(blob.crc32c)},md5={md5_b64(blob.md5)}"
    return Response(status_code=200, headers={"ETag": part_etag(blob.md5), "x-goog-hash": hashes})


async def complete(request: Request, bucket: str, name: str) -> Response:
    cloud = cloud_of(request)
    caller = await xml_caller(request, WRITE_SCOPES)
    target = (bucket, name, request.query_params["uploadId"])
    parts = _requested_parts(await _bounded_body(request))
    conditions = xml_headers.preconditions(request.headers)
    complete = partial(cloud.multipart_uploads.complete, key=request_key(request.headers))
    _, row = await call(complete, caller, target, parts, conditions)
    etag = f'"{xml_headers.xml_etag(row)}"'
    location = f"{base_url(request)}/{bucket}/{quote(name, safe='/~')}"
    fields = [("Location", location), ("Bucket", bucket), ("Key", name), ("ETag", etag)]
    response = xml_document("CompleteMultipartUploadResult", fields)
    response.headers.update(xml_headers.written(row))
    return response


async def abort(request: Request, bucket: str, name: str) -> Response:
    caller = await xml_caller(request, WRITE_SCOPES)
    target = (bucket, name, request.query_params["uploadId"])
    await call(cloud_of(request).multipart_uploads.abort, caller, target)
    return Response(status_code=204)


def _part_number(text: str | None) -> int:
    if text is None or not text.isdigit():
        raise InvalidArgument(f"Invalid part number '{text}'.")
    return int(text)


async def _bounded_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_COMPLETION_BYTES:
            raise PayloadTooLarge("The CompleteMultipartUpload document is too large.")
    return body


def _requested_parts(body: bytes) -> list[tuple[int, str]]:
    """``(PartNumber, ETag)`` pairs of a ``CompleteMultipartUpload``, with or without
    the S3 namespace."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        # Entities are never needed here and only serve expansion attacks.
        raise MalformedXML("The XML you provided was not well-formed.")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedXML("The XML you provided was not well-formed.") from exc
    if _local(root.tag) != "CompleteMultipartUpload":
        raise MalformedXML("The XML you provided was not a CompleteMultipartUpload.")
    parts = []
    for element in root:
        if _local(element.tag) != "Part":
            continue
        values = {_local(child.tag): (child.text or "").strip() for child in element}
        number, etag = values.get("PartNumber", ""), values.get("ETag")
        if not number.isdigit() or etag is None:
            raise MalformedXML("Each Part needs a PartNumber and an ETag.")
        parts.append((int(number), etag))
    return parts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
