"""storage/v1 managedFolders: insert, get, list, delete, and their IAM policies.

A folder's name may come with its "/" escaped (``a%2Fb%2F``) or not; the IAM methods'
routes come first, so that ``.../NAME/iam`` is never read as a folder named so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.params import Conditions, Owner, Reader, Writer
from nimbus.core.errors import InvalidArgument
from nimbus.core.paging import PageRequest, decode_token
from nimbus.services.storage.managed_folders import folder_name
from nimbus.wire.iam import Policy

router = APIRouter(prefix="/storage/v1/b/{bucket}/managedFolders")
FOLDER = "/{folder:path}"
# Cloud Storage returns at most this many managed folders a page.
MAX_PAGE_SIZE = 1000


def _policy(bucket: str, folder: str, policy: Policy) -> dict[str, Any]:
    resource = f"projects/_/buckets/{bucket}/managedFolders/{folder_name(folder)}"
    return {"kind": "storage#policy", "resourceId": resource, **policy.dump()}


@router.post("")
async def insert_managed_folder(bucket: str, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidArgument("Invalid value for 'name': expected a string.")
    row = await call(cloud_of(request).managed_folders.insert, caller, bucket, name)
    return json_response(views.managed_folder(base_url(request), row))


@router.get("")
async def list_managed_folders(
    bucket: str,
    request: Request,
    caller: Reader,
    prefix: str | None = None,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    max_results: Annotated[int | None, Query(alias="maxResults")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    size = page_size if page_size is not None else max_results
    if size is not None and size < 0:
        raise InvalidArgument(f"Invalid value for field 'pageSize': '{size}'.")
    page_request = PageRequest(
        min(size or MAX_PAGE_SIZE, MAX_PAGE_SIZE), decode_token(page_token) if page_token else None
    )
    page = await call(
        cloud_of(request).managed_folders.list_in_bucket, caller, bucket, prefix, page_request
    )
    base = base_url(request)
    body: dict[str, Any] = {"kind": "storage#managedFolders"}
    if page.items:
        body["items"] = [views.managed_folder(base, row) for row in page.items]
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


@router.get(FOLDER + "/iam/testPermissions")
async def test_managed_folder_permissions(
    bucket: str,
    folder: str,
    request: Request,
    caller: Reader,
    permissions: Annotated[list[str] | None, Query()] = None,
) -> Response:
    folders = cloud_of(request).managed_folders
    result = await call(folders.test_iam_permissions, caller, bucket, folder, permissions or [])
    return json_response({"kind": "storage#testIamPermissionsResponse", **result.dump()})


@router.get(FOLDER + "/iam")
async def get_managed_folder_policy(
    bucket: str,
    folder: str,
    request: Request,
    caller: Reader,
    version: Annotated[int | None, Query(alias="optionsRequestedPolicyVersion")] = None,
) -> Response:
    folders = cloud_of(request).managed_folders
    policy = await call(folders.get_iam_policy, caller, bucket, folder, version)
    return json_response(_policy(bucket, folder, policy))


@router.put(FOLDER + "/iam")
async def set_managed_folder_policy(
    bucket: str, folder: str, request: Request, caller: Owner
) -> Response:
    body = await parse_json_object(request)
    policy = Policy.model_validate(
        {k: v for k, v in body.items() if k in ("bindings", "etag", "version")}
    )
    folders = cloud_of(request).managed_folders
    written = await call(folders.set_iam_policy, caller, bucket, folder, policy)
    return json_response(_policy(bucket, folder, written))


@router.get(FOLDER)
async def get_managed_folder(
    bucket: str, folder: str, request: Request, caller: Reader
) -> Response:
    row = await call(cloud_of(request).managed_folders.get, caller, bucket, folder)
    return json_response(views.managed_folder(base_url(request), row))


@router.delete(FOLDER)
async def delete_managed_folder(
    bucket: str,
    folder: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    allow_non_empty: Annotated[bool, Query(alias="allowNonEmpty")] = False,
) -> Response:
    folders = cloud_of(request).managed_folders
    await call(folders.delete, caller, bucket, folder, conditions, allow_non_empty=allow_non_empty)
    return Response(status_code=204)
