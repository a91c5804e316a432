"""storage/v1 buckets: insert, get, list, patch, update, delete, restore, and IAM."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.params import Conditions, Owner, Projection, Reader, Writer
from nimbus.core.errors import RequiredField
from nimbus.core.paging import Page, PageRequest
from nimbus.services.storage.acl import predefined, require_fine_grained
from nimbus.store.models import Bucket, SoftDeletedBucket
from nimbus.wire.iam import Policy
from nimbus.wire.storage import Buckets

router = APIRouter(prefix="/storage/v1")
SoftDeleted = Annotated[bool, Query(alias="softDeleted")]


def _policy(bucket: str, policy: Policy) -> dict[str, Any]:
    return {"kind": "storage#policy", "resourceId": f"projects/_/buckets/{bucket}", **policy.dump()}


@router.post("/b")
async def insert_bucket(
    request: Request,
    caller: Writer,
    project: str | None = None,
    projection: Projection = None,
    object_retention: Annotated[bool, Query(alias="enableObjectRetention")] = False,
) -> Response:
    if not project:
        raise RequiredField("Required parameter: project")
    resource = await parse_json_object(request)
    default_acl = request.query_params.get("predefinedDefaultObjectAcl")
    if default_acl and "defaultObjectAcl" not in resource:
        resource["defaultObjectAcl"] = predefined(default_acl)
    _, bucket = await call(
        cloud_of(request).buckets.insert,
        caller,
        project,
        resource,
        object_retention=object_retention,
    )
    return json_response(views.bucket(base_url(request), bucket, full=projection == "full"))


@router.get("/b")
async def list_buckets(
    request: Request,
    caller: Reader,
    project: str | None = None,
    prefix: str | None = None,
    max_results: Annotated[int | None, Query(alias="maxResults")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
    projection: Projection = None,
    soft_deleted: SoftDeleted = False,
) -> Response:
    if not project:
        raise RequiredField("Required parameter: project")
    page_request = PageRequest.parse(max_results or 1000, page_token)
    cloud = cloud_of(request)
    page: Page[Any]
    if soft_deleted:
        listing = cloud.soft_deleted_buckets.list_in_project
        page = await call(listing, caller, project, prefix, page_request)
    else:
        _, page = await call(cloud.buckets.list_in_project, caller, project, prefix, page_request)
    base = base_url(request)
    items = [views.bucket(base, b, full=projection == "full") for b in page.items]
    return json_response(Buckets(items=items or None, next_page_token=page.next_page_token))


@router.get("/projects/{project}/serviceAccount")
async def project_service_account(project: str, request: Request, caller: Reader) -> Response:
    """The project's Cloud Storage service agent (Google's naming)."""
    found = await call(cloud_of(request).projects.get, caller, project)
    return json_response(
        {
            "kind": "storage#serviceAccount",
            "email_address": f"service-{found.number}@gs-project-accounts.iam.gserviceaccount.com",
        }
    )


@router.get("/b/{bucket}/iam/testPermissions")
async def test_bucket_permissions(
    bucket: str,
    request: Request,
    caller: Reader,
    permissions: Annotated[list[str] | None, Query()] = None,
) -> Response:
    buckets = cloud_of(request).buckets
    result = await call(buckets.test_iam_permissions, caller, bucket, permissions or [])
    return json_response({"kind": "storage#testIamPermissionsResponse", **result.dump()})


@router.get("/b/{bucket}/iam")
async def get_bucket_policy(
    bucket: str,
    request: Request,
    caller: Reader,
    version: Annotated[int | None, Query(alias="optionsRequestedPolicyVersion")] = None,
) -> Response:
    policy = await call(cloud_of(request).buckets.get_iam_policy, caller, bucket, version)
    return json_response(_policy(bucket, policy))


@router.put("/b/{bucket}/iam")
async def set_bucket_policy(bucket: str, request: Request, caller: Owner) -> Response:
    body = await parse_json_object(request)
    body = {k: v for k, v in body.items() if k in ("bindings", "etag", "version")}
    policy = Policy.model_validate(body)
    updated = await call(cloud_of(request).buckets.set_iam_policy, caller, bucket, policy)
    return json_response(_policy(bucket, updated))


@router.get("/b/{bucket}/acl")
@router.get("/b/{bucket}/defaultObjectAcl")
async def get_bucket_acl(bucket: str, request: Request, caller: Reader) -> Response:
    _, row = await call(cloud_of(request).buckets.get, caller, bucket)
    require_fine_grained(row)
    key = "defaultObjectAcl" if request.url.path.endswith("/defaultObjectAcl") else "acl"
    items = views.acl_items(row.extra.get(key, []))
    return json_response({"kind": "storage#objectAccessControls", "items": items})


@router.get("/b/{bucket}")
async def get_bucket(
    bucket: str,
    request: Request,
    caller: Reader,
    conditions: Conditions,
    projection: Projection = None,
    soft_deleted: SoftDeleted = False,
    generation: int | None = None,
) -> Response:
    """``softDeleted`` reads one soft-deleted generation of the bucket instead."""
    cloud = cloud_of(request)
    row: Bucket | SoftDeletedBucket
    if soft_deleted:
        row = await call(cloud.soft_deleted_buckets.get, caller, bucket, generation)
    else:
        _, row = await call(cloud.buckets.get, caller, bucket, conditions)
    return json_response(views.bucket(base_url(request), row, full=projection == "full"))


@router.get("/b/{bucket}/storageLayout")
async def get_storage_layout(bucket: str, request: Request, caller: Reader) -> Response:
    """Asked by gcloud before a recursive copy, and by gcsfs, to learn whether the
    bucket's namespace is hierarchical."""
    row = await call(cloud_of(request).buckets.layout, caller, bucket)
    return json_response(views.storage_layout(row))


@router.post("/b/{bucket}/restore")
async def restore_bucket(
    bucket: str,
    request: Request,
    caller: Writer,
    generation: int | None = None,
    projection: Projection = None,
) -> Response:
    """A soft-deleted bucket back (``projection`` defaults to full here, as on Google)."""
    restores = cloud_of(request).soft_deleted_buckets
    row = await call(restores.restore, caller, bucket, generation)
    return json_response(views.bucket(base_url(request), row, full=projection != "noAcl"))


async def _modify(
    bucket: str, request: Request, caller: Any, conditions: Any, projection: str | None, *,
    replace: bool,
) -> Response:  # fmt: skip
    fields = await parse_json_object(request)
    buckets = cloud_of(request).buckets
    _, row = await call(buckets.modify, caller, bucket, fields, conditions, replace=replace)
    return json_response(views.bucket(base_url(request), row, full=projection == "full"))


@router.patch("/b/{bucket}")
async def patch_bucket(
    bucket: str, request: Request, caller: Writer, conditions: Conditions,
    projection: Projection = None,
) -> Response:  # fmt: skip
    return await _modify(bucket, request, caller, conditions, projection, replace=False)


@router.put("/b/{bucket}")
async def update_bucket(
    bucket: str, request: Request, caller: Writer, conditions: Conditions,
    projection: Projection = None,
) -> Response:  # fmt: skip
    return await _modify(bucket, request, caller, conditions, projection, replace=True)


@router.post("/b/{bucket}/lockRetentionPolicy")
async def lock_retention_policy(
    bucket: str,
    request: Request,
    caller: Writer,
    metageneration: Annotated[int | None, Query(alias="ifMetagenerationMatch")] = None,
) -> Response:
    if metageneration is None:
        raise RequiredField("Required parameter: ifMetagenerationMatch")
    buckets = cloud_of(request).buckets
    _, row = await call(buckets.lock_retention_policy, caller, bucket, metageneration)
    return json_response(views.bucket(base_url(request), row))


@router.delete("/b/{bucket}")
async def delete_bucket(
    bucket: str, request: Request, caller: Writer, conditions: Conditions
) -> Response:
    await call(cloud_of(request).buckets.delete, caller, bucket, conditions)
    return Response(status_code=204)
