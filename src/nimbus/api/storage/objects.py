"""storage/v1 objects: get (metadata or media), list, patch, update, delete, copy,
rewrite and compose. Uploads are in ``uploads.py``."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nimbus.api.auth import base_url
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of, quick
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.customer_keys import request_key
from nimbus.api.storage.media import check_etag_conditions, media_response
from nimbus.api.storage.params import (
    Conditions,
    Generation,
    Projection,
    Reader,
    SourceConditions,
    Writer,
)
from nimbus.api.storage.rendered_objects import rendered_objects
from nimbus.api.storage.uploads import with_predefined_acl
from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import Caller
from nimbus.services.storage.acl import require_fine_grained
from nimbus.services.storage.composition import KeyPair, SourceRef
from nimbus.services.storage.customer_keys import unlock
from nimbus.services.storage.listing import ListedObject, Listing, ListQuery, page_size
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.models import Bucket, StoredObject

router = APIRouter()
OBJECT = "/storage/v1/b/{bucket}/o/{name:path}"


def _render(
    request: Request, found: tuple[Bucket, StoredObject], projection: str | None
) -> Response:
    bucket, row = found
    full = projection == "full"
    keyed = request_key(request.headers) is not None
    body = views.stored_object(base_url(request), bucket, row, full=full, keyed=keyed)
    return json_response(body)


@router.post(OBJECT + "/rewriteTo/b/{destination_bucket}/o/{destination:path}")
async def rewrite(
    bucket: str,
    name: str,
    destination_bucket: str,
    destination: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    source_conditions: SourceConditions,
    source_generation: Annotated[int | None, Query(alias="sourceGeneration")] = None,
    rewrite_token: Annotated[str | None, Query(alias="rewriteToken")] = None,
    max_bytes: Annotated[int | None, Query(alias="maxBytesRewrittenPerCall")] = None,
    projection: Projection = None,
) -> Response:
    resource = await parse_json_object(request, allow_empty=True)
    keys = KeyPair(request_key(request.headers, source=True), request_key(request.headers))
    progress = await call(
        partial(cloud_of(request).composition.rewrite, keys=keys),
        caller,
        (bucket, name, source_generation),
        (destination_bucket, destination),
        resource,
        conditions,
        source_conditions,
        rewrite_token,
        max_bytes,
    )
    body: dict[str, Any] = {
        "kind": "storage#rewriteResponse",
        "totalBytesRewritten": str(progress.total_bytes_rewritten),
        "objectSize": str(progress.object_size),
        "done": progress.done,
    }
    if progress.rewrite_token:
        body["rewriteToken"] = progress.rewrite_token
    if progress.result is not None:
        full, keyed = projection == "full", keys.destination is not None
        body["resource"] = views.stored_object(
            base_url(request), *progress.result, full=full, keyed=keyed
        )
    return json_response(body)


@router.post(OBJECT + "/copyTo/b/{destination_bucket}/o/{destination:path}")
async def copy(
    bucket: str,
    name: str,
    destination_bucket: str,
    destination: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    source_conditions: SourceConditions,
    source_generation: Annotated[int | None, Query(alias="sourceGeneration")] = None,
    projection: Projection = None,
) -> Response:
    resource = await parse_json_object(request, allow_empty=True)
    keys = KeyPair(request_key(request.headers, source=True), request_key(request.headers))
    progress = await call(
        partial(cloud_of(request).composition.rewrite, keys=keys),
        caller,
        (bucket, name, source_generation),
        (destination_bucket, destination),
        resource,
        conditions,
        source_conditions,
    )
    assert progress.result is not None
    return _render(request, progress.result, projection)


@router.post(OBJECT + "/moveTo/o/{destination:path}")
async def move(
    bucket: str,
    name: str,
    destination: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    source_conditions: SourceConditions,
    projection: Projection = None,
) -> Response:
    moved = await call(
        cloud_of(request).composition.move,
        caller,
        bucket,
        (name, destination),
        conditions,
        source_conditions,
    )
    return _render(request, moved, projection)


@router.post(OBJECT + "/compose")
async def compose(
    bucket: str,
    name: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    projection: Projection = None,
) -> Response:
    body = await parse_json_object(request)
    sources = [_source_ref(item) for item in body.get("sourceObjects") or []]
    resource = body.get("destination") or {}
    delete_sources = body.get("deleteSourceObjects", False)
    if not isinstance(delete_sources, bool):
        raise InvalidArgument("Invalid value for 'deleteSourceObjects': expected a boolean.")
    key = request_key(request.headers)
    compose = cloud_of(request).composition.compose
    made = await call(
        partial(compose, delete_sources=delete_sources, key=key),
        caller,
        bucket,
        name,
        sources,
        resource,
        conditions,
    )
    return _render(request, made, projection)


def _source_ref(item: Any) -> SourceRef:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InvalidArgument("Each source object needs a name.")
    conditions = item.get("objectPreconditions") or {}
    generation = item.get("generation")
    match = conditions.get("ifGenerationMatch")
    return SourceRef(
        name=item["name"],
        generation=int(generation) if generation is not None else None,
        if_generation_match=int(match) if match is not None else None,
    )


@router.get("/storage/v1/b/{bucket}/o")
async def list_objects(
    bucket: str,
    request: Request,
    caller: Reader,
    prefix: str = "",
    delimiter: str | None = None,
    start_offset: Annotated[str | None, Query(alias="startOffset")] = None,
    end_offset: Annotated[str | None, Query(alias="endOffset")] = None,
    match_glob: Annotated[str | None, Query(alias="matchGlob")] = None,
    versions: bool = False,
    include_trailing_delimiter: Annotated[bool, Query(alias="includeTrailingDelimiter")] = False,
    max_results: Annotated[int | None, Query(alias="maxResults")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
    filter: str | None = None,
    soft_deleted: Annotated[bool, Query(alias="softDeleted")] = False,
    include_folders: Annotated[bool, Query(alias="includeFoldersAsPrefixes")] = False,
    projection: Projection = None,
) -> Response:
    query = ListQuery(
        prefix=prefix,
        delimiter=delimiter or None,
        start_offset=start_offset,
        end_offset=end_offset,
        match_glob=match_glob,
        versions=versions,
        include_trailing_delimiter=include_trailing_delimiter,
        max_results=page_size(max_results),
        page_token=page_token,
        filter=filter or None,
        soft_deleted=soft_deleted,
        include_folders=include_folders,
    )
    listing = await call(cloud_of(request).objects.list_objects, caller, bucket, query)
    return listing_response(request, listing, projection)


def listing_response(
    request: Request, listing: Listing[StoredObject] | Listing[ListedObject], projection: str | None
) -> Response:
    base = base_url(request)
    full = projection == "full"
    # A plain dict: a wire model would walk every item's fields again to dump them.
    body: dict[str, Any] = {"kind": "storage#objects"}
    if listing.items:
        body["items"] = _rendered_items(request, base, listing, full)
    if listing.prefixes:
        body["prefixes"] = listing.prefixes
    if listing.next_page_token:
        body["nextPageToken"] = listing.next_page_token
    return json_response(body)


def _rendered_items(
    request: Request,
    base: str,
    listing: Listing[StoredObject] | Listing[ListedObject],
    full: bool,
) -> list[Any]:
    bucket, items = listing.bucket, listing.items
    if not isinstance(items[0], ListedObject):  # The full path's rows.
        return [views.stored_object(base, bucket, row, full=full) for row in items]
    rendered = rendered_objects(request)
    if rendered is not None and not full:
        return rendered.listed(base, bucket, items)
    return [views.stored_object(base, bucket, item.row(), full=full) for item in items]


async def read_object(
    request: Request,
    caller: Caller,
    bucket: str,
    name: str,
    generation: int | None,
    conditions: Preconditions,
    alt: str | None,
    projection: str | None,
    *,
    soft_deleted: bool = False,
) -> Response:
    cloud = cloud_of(request)
    if soft_deleted and alt == "media":
        raise InvalidArgument("Soft-deleted objects cannot be read, only their metadata.")
    key = request_key(request.headers)
    get = partial(cloud.objects.get, soft_deleted=soft_deleted)
    found = await quick(request, get, caller, bucket, name, generation, conditions)
    if alt == "media":
        return media_response(request, cloud.blobs, found[1], key=key)
    unlock(found[1].key_sha256, key, required=False)
    check_etag_conditions(request, views.object_etag(found[1]))
    return _render(request, found, projection)


@router.get(OBJECT + "/acl")
async def get_object_acl(
    bucket: str, name: str, request: Request, caller: Reader, conditions: Conditions,
    generation: Generation = None,
) -> Response:  # fmt: skip
    if not _suffix_is_literal(request, "/acl"):
        # An object whose own name ends in "/acl", sent unencoded: read the object.
        return await read_object(
            request, caller, bucket, f"{name}/acl", generation, conditions, None, None
        )
    bucket_row, row = await call(cloud_of(request).objects.get, caller, bucket, name, generation)
    require_fine_grained(bucket_row)
    items = views.acl_items(row.acl or [])
    return json_response({"kind": "storage#objectAccessControls", "items": items})


def _suffix_is_literal(request: Request, suffix: str) -> bool:
    """Clients percent-encode the slashes of object names; a literal ``/acl`` after an
    encoded name is the ACL sub-resource, a name with raw slashes is ambiguous."""
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    name_part = raw.split("/o/", 1)[-1].removesuffix(suffix)
    return "/" not in name_part


@router.get(OBJECT)
async def get_object(
    bucket: str,
    name: str,
    request: Request,
    caller: Reader,
    conditions: Conditions,
    generation: Generation = None,
    alt: str | None = None,
    projection: Projection = None,
    soft_deleted: Annotated[bool, Query(alias="softDeleted")] = False,
) -> Response:
    return await read_object(
        request, caller, bucket, name, generation, conditions, alt, projection,
        soft_deleted=soft_deleted,
    )  # fmt: skip


@router.post(OBJECT + "/restore")
async def restore_object(
    bucket: str,
    name: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    generation: Annotated[int, Query()],
    copy_source_acl: Annotated[bool, Query(alias="copySourceAcl")] = False,
    projection: Projection = None,
) -> Response:
    """objects.restore: the soft-deleted ``generation`` comes back as the live object."""
    restored = await call(
        partial(cloud_of(request).object_restores.restore, copy_source_acl=copy_source_acl),
        caller,
        bucket,
        name,
        generation,
        conditions,
    )
    return _render(request, restored, projection)


@router.get("/download" + OBJECT)
async def download_object(
    bucket: str,
    name: str,
    request: Request,
    caller: Reader,
    conditions: Conditions,
    generation: Generation = None,
    alt: str | None = "media",
) -> Response:
    return await read_object(request, caller, bucket, name, generation, conditions, alt, None)


async def _modify(request: Request, caller: Caller, bucket: str, name: str,
                  generation: int | None, conditions: Preconditions, projection: str | None,
                  *, replace: bool) -> Response:  # fmt: skip
    fields = with_predefined_acl(request, await parse_json_object(request))
    override = _flag(request, "overrideUnlockedRetention")
    found = await call(
        cloud_of(request).objects.modify, caller, bucket, name, generation, fields, conditions,
        replace=replace, override_retention=override,
    )  # fmt: skip
    return _render(request, found, projection)


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter, as Google reads them."""
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise InvalidArgument(f"Invalid boolean value '{value}' for parameter '{name}'.")
    return value == "true"


@router.patch(OBJECT)
async def patch_object(
    bucket: str, name: str, request: Request, caller: Writer, conditions: Conditions,
    generation: Generation = None, projection: Projection = None,
) -> Response:  # fmt: skip
    return await _modify(
        request, caller, bucket, name, generation, conditions, projection, replace=False
    )


@router.put(OBJECT)
async def update_object(
    bucket: str, name: str, request: Request, caller: Writer, conditions: Conditions,
    generation: Generation = None, projection: Projection = None,
) -> Response:  # fmt: skip
    return await _modify(
        request, caller, bucket, name, generation, conditions, projection, replace=True
    )


@router.delete(OBJECT)
async def delete_object(
    bucket: str,
    name: str,
    request: Request,
    caller: Writer,
    conditions: Conditions,
    generation: Generation = None,
) -> Response:
    await call(cloud_of(request).objects.delete, caller, bucket, name, generation, conditions)
    return Response(status_code=204)
