"""storage/v1 projects.hmacKeys: create, list, get, update (state) and delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.params import Owner, Reader
from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.core.paging import PageRequest

router = APIRouter(prefix="/storage/v1/projects/{project}/hmacKeys")
KEY = "/{access_id}"
Email = Annotated[str | None, Query(alias="serviceAccountEmail")]


@router.post("")
async def create_hmac_key(
    project: str, request: Request, caller: Owner, email: Email = None
) -> Response:
    if not email:
        raise RequiredField("Required parameter: serviceAccountEmail")
    created = await call(cloud_of(request).hmac_keys.create, caller, project, email)
    metadata = views.hmac_key_metadata(base_url(request), created.project.project_id, created.key)
    body = {"kind": "storage#hmacKey", "metadata": metadata, "secret": created.secret}
    return json_response(body)


@router.get("")
async def list_hmac_keys(
    project: str,
    request: Request,
    caller: Reader,
    email: Email = None,
    show_deleted: Annotated[bool, Query(alias="showDeletedKeys")] = False,
    max_results: Annotated[int | None, Query(alias="maxResults")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    page_request = PageRequest.parse(max_results, page_token)
    found, page = await call(
        cloud_of(request).hmac_keys.list_in_project,
        caller,
        project,
        email,
        show_deleted,
        page_request,
    )
    base = base_url(request)
    body: dict[str, Any] = {"kind": "storage#hmacKeysMetadata"}
    if page.items:
        body["items"] = [views.hmac_key_metadata(base, found.project_id, k) for k in page.items]
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


@router.get(KEY)
async def get_hmac_key(project: str, access_id: str, request: Request, caller: Reader) -> Response:
    found, key = await call(cloud_of(request).hmac_keys.get, caller, project, access_id)
    return json_response(views.hmac_key_metadata(base_url(request), found.project_id, key))


@router.put(KEY)
async def update_hmac_key(
    project: str, access_id: str, request: Request, caller: Owner
) -> Response:
    body = await parse_json_object(request)
    state, etag = _text(body, "state"), _text(body, "etag")
    found, key = await call(
        cloud_of(request).hmac_keys.update, caller, project, access_id, state, etag
    )
    return json_response(views.hmac_key_metadata(base_url(request), found.project_id, key))


@router.delete(KEY)
async def delete_hmac_key(
    project: str, access_id: str, request: Request, caller: Owner
) -> Response:
    await call(cloud_of(request).hmac_keys.delete, caller, project, access_id)
    return Response(status_code=204)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"Invalid value for '{name}': expected a string.")
    return value
