"""storage/v1 uploads: ``uploadType=media``, ``multipart`` and ``resumable``.

Bytes stream from the request into the blob store (small objects are kept in memory
and stored inline); only once they are durable does the new generation commit.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.body import json_object
from nimbus.api.deps import call, cloud_of, quick
from nimbus.api.responses import encoded_json_response
from nimbus.api.storage import views
from nimbus.api.storage.customer_keys import request_key
from nimbus.api.storage.multipart import MultipartReader, boundary_of
from nimbus.api.storage.params import Conditions, Projection, Writer
from nimbus.api.storage.rendered_objects import rendered_objects
from nimbus.api.storage.writing import declared_hashes, store_content
from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.services.caller import Caller
from nimbus.services.storage.acl import predefined
from nimbus.services.storage.object_fields import ObjectSpec, typed_upload
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.models import Bucket, StoredObject

router = APIRouter(prefix="/upload/storage/v1")
UPLOAD = "/b/{bucket}/o"
UploadType = Annotated[str | None, Query(alias="uploadType")]
UploadId = Annotated[str | None, Query(alias="upload_id")]
_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


async def _write(
    request: Request,
    caller: Caller,
    bucket: str,
    name: str,
    spec: ObjectSpec,
    conditions: Preconditions,
    stream: AsyncIterator[bytes],
    projection: str | None,
) -> Response:
    cloud = cloud_of(request)
    key = request_key(request.headers)
    await quick(request, cloud.objects.authorize_write, caller, bucket, name)
    content = await store_content(cloud, stream, key)
    made = await call(cloud.objects.insert, caller, bucket, name, content, spec, conditions)
    return _object(request, made, projection)


def _object(
    request: Request, made: tuple[Bucket, StoredObject], projection: str | None
) -> Response:
    """The written object; its writer gave the key, so it sees the checksums."""
    base, full = base_url(request), projection == "full"
    body = orjson.dumps(views.stored_object(base, *made, full=full, keyed=True))
    rendered = rendered_objects(request)
    if rendered is not None and not full:
        rendered.written(base, *made, body)
    return encoded_json_response(body)


def with_predefined_acl(request: Request, resource: dict[str, Any]) -> dict[str, Any]:
    """``predefinedAcl=publicRead`` and the like become the new object's ACL."""
    name = request.query_params.get("predefinedAcl")
    return resource | {"acl": predefined(name)} if name else resource


@router.post(UPLOAD)
async def upload(
    bucket: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    upload_type: UploadType = None,
    name: str | None = None,
    upload_id: UploadId = None,
    projection: Projection = None,
) -> Response:
    if upload_id:
        # Some clients (gcsfs) send the chunks of a session with POST.
        return await upload_chunk(bucket, request, upload_id, projection)
    if upload_type == "resumable":
        return await _start_resumable(bucket, request, caller, conditions, name)
    return await simple_upload(request, caller, bucket, upload_type, name, conditions, projection)


async def simple_upload(
    request: Request,
    caller: Caller,
    bucket: str,
    upload_type: str | None,
    name: str | None,
    conditions: Preconditions,
    projection: str | None,
) -> Response:
    """A whole object in one request: ``uploadType=media`` or ``multipart``.
    Both the routed handler and the short path (``fast_uploads``) answer with this."""
    content_type = request.headers.get("content-type", "")
    if upload_type == "multipart" or content_type.startswith("multipart/"):
        reader = MultipartReader(request.stream(), boundary_of(content_type))
        metadata, media_type = await reader.start()
        resource = json_object(metadata, allow_empty=True)
        if media_type and "contentType" not in resource:
            resource["contentType"] = media_type
        object_name = name or resource.get("name")
        if not isinstance(object_name, str) or not object_name:
            raise RequiredField("Required parameter: name")
        resource |= declared_hashes(request.headers.get("x-goog-hash"))
        spec = ObjectSpec.from_resource(with_predefined_acl(request, typed_upload(resource)))
        return await _write(
            request, caller, bucket, object_name, spec, conditions, reader.media(), projection
        )
    if upload_type not in (None, "media"):
        raise InvalidArgument(f"Invalid uploadType '{upload_type}'.")
    if not name:
        raise RequiredField("Required parameter: name")
    fields = typed_upload({"contentType": content_type or None})
    fields |= declared_hashes(request.headers.get("x-goog-hash"))
    spec = ObjectSpec.from_resource(with_predefined_acl(request, fields))
    return await _write(
        request, caller, bucket, name, spec, conditions, request.stream(), projection
    )


async def _start_resumable(
    bucket: str, request: Request, caller: Caller, conditions: Preconditions, name: str | None
) -> Response:
    resource = json_object(await request.body(), allow_empty=True)
    object_name = name or resource.get("name")
    if not isinstance(object_name, str) or not object_name:
        raise RequiredField("Required parameter: name")
    upload_content_type = request.headers.get("x-upload-content-type")
    if upload_content_type and "contentType" not in resource:
        resource["contentType"] = upload_content_type
    resource = with_predefined_acl(request, typed_upload(resource))
    length = request.headers.get("x-upload-content-length")
    total = int(length) if length and length.isdigit() else None
    start = partial(cloud_of(request).uploads.start, key=request_key(request.headers))
    upload_id = await call(start, caller, bucket, object_name, resource, conditions, total)
    location = (
        f"{base_url(request)}/upload/storage/v1/b/{bucket}/o"
        f"?uploadType=resumable&upload_id={upload_id}"
    )
    return Response(status_code=200, headers={"Location": location, "Content-Length": "0"})


def _parse_content_range(
    header: str | None, body_length: int | None
) -> tuple[int | None, int | None, int | None]:
    """``(first byte or None for a status query, announced length, total or None)``."""
    if header is None:
        # One request with the whole object.
        return 0, body_length, body_length
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise InvalidArgument(f"Invalid Content-Range header: '{header}'.")
    first, last, total_text = match.groups()
    total = None if total_text == "*" else int(total_text)
    if first is None:
        return None, 0, total
    start, end = int(first), int(last)
    if end < start or (total is not None and end >= total):
        raise InvalidArgument(f"Invalid Content-Range header: '{header}'.")
    return start, end - start + 1, total


def incomplete(persisted: int) -> Response:
    """308: the session has ``persisted`` bytes and wants the rest."""
    headers = {"Content-Length": "0"}
    if persisted:
        headers["Range"] = f"bytes=0-{persisted - 1}"
    return Response(status_code=308, headers=headers)


@router.put(UPLOAD)
async def upload_chunk(
    bucket: str, request: Request, upload_id: UploadId = None, projection: Projection = None
) -> Response:
    """A chunk (or a status query) of a resumable upload. The session URI is the
    credential, as on Cloud Storage."""
    if not upload_id:
        raise RequiredField("Required parameter: upload_id")
    made = await receive_chunk(request, bucket, upload_id)
    if isinstance(made, int):
        return incomplete(made)
    return _object(request, made, projection)


async def receive_chunk(
    request: Request, bucket: str, upload_id: str
) -> tuple[Bucket, StoredObject] | int:
    """Take a chunk (or answer a status query) of a session, for the JSON and the XML
    API alike: the object (with its bucket) once it is whole, else the number of bytes
    persisted."""
    uploads = cloud_of(request).uploads
    declared = request.headers.get("content-length")
    body_length = int(declared) if declared and declared.isdigit() else None
    start, expected, total = _parse_content_range(request.headers.get("content-range"), body_length)
    key = request_key(request.headers)
    upload = await call(uploads.status, upload_id)
    if upload.bucket != bucket:
        raise InvalidArgument("The upload session belongs to another bucket.")
    if upload.finished_generation is not None:
        # A client whose last answer was lost asks again: it gets the object it made.
        return await call(uploads.finished_object, upload)
    if start is None:
        start = upload.persisted
        if total is None or upload.persisted < total:
            return upload.persisted
    chunk = await call(uploads.begin_chunk, upload_id, start, total, key)
    try:
        async for data in request.stream():
            chunk.write(data)
        persisted = await asyncio.to_thread(chunk.appender.finish)
    except BaseException:
        chunk.appender.abort()
        raise
    result = await call(uploads.end_chunk, chunk, persisted, expected)
    return result.persisted if result.finished is None else result.finished


@router.delete(UPLOAD)
async def cancel_upload(bucket: str, request: Request, upload_id: UploadId = None) -> Response:
    if not upload_id:
        raise RequiredField("Required parameter: upload_id")
    await call(cloud_of(request).uploads.cancel, upload_id)
    return Response(status_code=499)
