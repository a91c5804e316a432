"""The XML API's object paths, the ones signed URLs use: ``GET``, ``HEAD``, ``PUT``
and ``DELETE`` at ``/{bucket}/{object}``, the listing at ``GET /{bucket}`` and form
uploads at ``POST /{bucket}`` (``xml_post``). ``POST`` to an object starts uploads
(multipart: ``xml_multipart``, resumable: ``xml_resumable``), whose requests the
other methods also route there by their query parameters.

A request carries a V4 or V2 signature in its query string, or a bearer token as on
the JSON API, or nothing (the public: public objects only). It then does what the JSON
API does, through the same services; only its errors look different (``xml_errors``).

These paths would catch any path of one or two segments, so they are added after every
other route and never match a path whose first segment belongs to another API
(``/storage/...``, ``/v1/...``) or cannot be a bucket name. They cannot shadow a route,
nor turn another route's 405 into a bucket lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, ClassVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from nimbus.api.deps import call, cloud_of
from nimbus.api.storage import xml_headers, xml_multipart, xml_multipart_listing, xml_resumable
from nimbus.api.storage.customer_keys import request_key
from nimbus.api.storage.media import media_response
from nimbus.api.storage.params import READ_SCOPES, WRITE_SCOPES
from nimbus.api.storage.writing import store_content
from nimbus.api.storage.xml_auth import xml_caller
from nimbus.api.storage.xml_errors import xml_error_response
from nimbus.api.storage.xml_listing import list_bucket
from nimbus.api.storage.xml_post import post_form
from nimbus.core.errors import InvalidArgument, NimbusError

OBJECT = "/{bucket}/{name:path}"
# Query parameters naming a multipart upload and a resumable session.
MULTIPART_UPLOAD = "uploadId"
SESSION = "upload_id"
BUCKET = "/{bucket}"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
# First segments never taken for a bucket, whatever routes exist: every Google API
# root Nimbus serves or may serve, so adding one later cannot change a bucket's URL.
RESERVED = frozenset(
    {
        "compute",
        "computemetadata",
        "console",
        "download",
        "healthz",
        "nimbus",
        "o",
        "oauth2",
        "revoke",
        "service_accounts",
        "storage",
        "token",
        "upload",
    }
)


def first_segments(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The literal first path segments of routes (``/v1/projects`` → ``v1``)."""
    segments = set()
    for route in routes:
        first = str(getattr(route, "path", "")).lstrip("/").split("/", 1)[0]
        if first and not first.startswith("{"):
            segments.add(first)
    return frozenset(segments)


def serves(bucket: str, name: str | None, reserved: frozenset[str]) -> bool:
    """Whether ``/{bucket}/{name}`` is an object path of the XML API (``name`` None:
    whether ``/{bucket}`` is a bucket's)."""
    if name is not None and not name:
        return False
    return bucket not in reserved and _BUCKET.match(bucket) is not None


class XmlRoute(APIRoute):
    """A route that matches only real object paths and answers errors in XML."""

    reserved: ClassVar[frozenset[str]] = RESERVED

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        params = child.get("path_params", {}) if match is not Match.NONE else {}
        name = params.get("name")
        if params and not serves(str(params["bucket"]), name and str(name), self.reserved):
            return Match.NONE, {}
        return match, child

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer_in_xml(request: Request) -> Response:
            try:
                return await handler(request)
            except NimbusError as error:
                return xml_error_response(error)

        return answer_in_xml


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Add the XML API to ``app``; call it after every other router is included."""
    taken = first_segments([*app.router.routes, *(r for rs in routers for r in rs.routes)])

    class Route(XmlRoute):
        reserved = RESERVED | {segment.lower() for segment in taken}

    endpoints = {
        "GET": get_object,
        "HEAD": head_object,
        "PUT": put_object,
        "POST": post_object,
        "DELETE": delete_object,
    }
    for method, endpoint in endpoints.items():
        app.router.add_api_route(OBJECT, endpoint, methods=[method], route_class_override=Route)
    app.router.add_api_route(BUCKET, list_objects, methods=["GET"], route_class_override=Route)
    # Form uploads: the client posts to the bucket's URL with a trailing slash.
    for path in (BUCKET, BUCKET + "/"):
        app.router.add_api_route(path, post_form, methods=["POST"], route_class_override=Route)


async def _read(request: Request, bucket: str, name: str, *, head: bool) -> Response:
    cloud = cloud_of(request)
    caller = await xml_caller(request, READ_SCOPES)
    generation = xml_headers.generation(request.query_params)
    conditions = xml_headers.preconditions(request.headers)
    key = request_key(request.headers)
    _, row = await call(cloud.objects.get, caller, bucket, name, generation, conditions)
    etag = xml_headers.xml_etag(row)
    response = media_response(request, cloud.blobs, row, head=head, etag=etag, key=key)
    for parameter, header in xml_headers.RESPONSE_OVERRIDES.items():
        value = request.query_params.get(parameter)
        if value and response.status_code < 300:
            response.headers[header] = value
    return response


async def get_object(bucket: str, name: str, request: Request) -> Response:
    """Read an object's bytes (``Range`` honoured), or list a multipart upload's parts."""
    if MULTIPART_UPLOAD in request.query_params:
        return await xml_multipart_listing.list_parts(request, bucket, name)
    return await _read(request, bucket, name, head=False)


async def head_object(bucket: str, name: str, request: Request) -> Response:
    """An object's headers, without its bytes."""
    return await _read(request, bucket, name, head=True)


async def list_objects(bucket: str, request: Request) -> Response:
    """The bucket's objects, a page at a time (``xml_listing``), or with ``uploads`` its
    multipart uploads in progress."""
    if "uploads" in request.query_params:
        return await xml_multipart_listing.list_uploads(request, bucket)
    return await list_bucket(request, await xml_caller(request, READ_SCOPES), bucket)


async def put_object(bucket: str, name: str, request: Request) -> Response:
    """Write a new generation from the body; metadata comes from the headers. With
    ``uploadId`` the body is a multipart upload's part; with ``upload_id``, a chunk of
    a resumable session."""
    if MULTIPART_UPLOAD in request.query_params:
        return await xml_multipart.upload_part(request, bucket, name)
    if SESSION in request.query_params:
        return await xml_resumable.put_chunk(request, bucket)
    cloud = cloud_of(request)
    caller = await xml_caller(request, WRITE_SCOPES)
    spec = xml_headers.object_spec(request.headers)
    conditions = xml_headers.preconditions(request.headers)
    key = request_key(request.headers)
    await call(cloud.objects.authorize_write, caller, bucket, name)
    body = xml_headers.verified_body(request.stream(), request.headers)
    content = await store_content(cloud, body, key)
    _, row = await call(cloud.objects.insert, caller, bucket, name, content, spec, conditions)
    return Response(status_code=200, headers=xml_headers.written(row))


async def delete_object(bucket: str, name: str, request: Request) -> Response:
    """Delete the live generation (or the one ``generation`` names), or abort a
    multipart upload or cancel a resumable session."""
    if MULTIPART_UPLOAD in request.query_params:
        return await xml_multipart.abort(request, bucket, name)
    if SESSION in request.query_params:
        return await xml_resumable.cancel(request)
    cloud = cloud_of(request)
    caller = await xml_caller(request, WRITE_SCOPES)
    generation = xml_headers.generation(request.query_params)
    conditions = xml_headers.preconditions(request.headers)
    await call(cloud.objects.delete, caller, bucket, name, generation, conditions)
    return Response(status_code=204)


async def post_object(bucket: str, name: str, request: Request) -> Response:
    """Start (``uploads``) or complete (``uploadId``) a multipart upload, or start a
    resumable session (``x-goog-resumable: start``)."""
    if "uploads" in request.query_params:
        return await xml_multipart.initiate(request, bucket, name)
    if MULTIPART_UPLOAD in request.query_params:
        return await xml_multipart.complete(request, bucket, name)
    if xml_resumable.is_start(request):
        return await xml_resumable.start(request, bucket, name)
    # Who asks is settled first: a signed URL missing its signed header is refused as such.
    await xml_caller(request, WRITE_SCOPES)
    raise InvalidArgument(
        "A POST to an object starts an upload: it needs 'uploads', 'uploadId' or the "
        "header 'x-goog-resumable: start'."
    )
