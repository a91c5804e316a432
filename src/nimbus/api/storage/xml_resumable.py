"""XML API resumable uploads: ``POST /{bucket}/{object}`` with ``x-goog-resumable:
start`` (often through a signed URL made with ``method="RESUMABLE"``) opens a session
and answers 201 with its URI in ``Location``: ``/{bucket}/{object}?upload_id=ID``.
Chunks are then ``PUT`` there as on the JSON API, whose sessions these are; the session
URI is the credential. The last chunk is answered like an XML ``PUT``.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.deps import call, cloud_of
from nimbus.api.storage import xml_headers
from nimbus.api.storage.customer_keys import request_key
from nimbus.api.storage.params import WRITE_SCOPES
from nimbus.api.storage.uploads import incomplete, receive_chunk
from nimbus.api.storage.xml_auth import xml_caller

START = "start"


def is_start(request: Request) -> bool:
    return request.headers.get("x-goog-resumable", "").strip().lower() == START


async def start(request: Request, bucket: str, name: str) -> Response:
    caller = await xml_caller(request, WRITE_SCOPES)
    resource = xml_headers.object_resource(request.headers)
    conditions = xml_headers.preconditions(request.headers)
    uploads = cloud_of(request).uploads
    start = partial(uploads.start, key=request_key(request.headers))
    upload_id = await call(start, caller, bucket, name, resource, conditions, None)
    location = f"{base_url(request)}/{bucket}/{quote(name, safe='/~')}?upload_id={upload_id}"
    return Response(status_code=201, headers={"Location": location, "Content-Length": "0"})


async def put_chunk(request: Request, bucket: str) -> Response:
    made = await receive_chunk(request, bucket, request.query_params["upload_id"])
    if isinstance(made, int):
        return incomplete(made)
    return Response(status_code=200, headers=xml_headers.written(made[1]))


async def cancel(request: Request) -> Response:
    """As on Cloud Storage, a cancelled session answers 499."""
    await call(cloud_of(request).uploads.cancel, request.query_params["upload_id"])
    return Response(status_code=499)
