"""compute/v1 ``disks``, ``snapshots`` and ``diskTypes``: parse, call the service,
render."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.compute import views
from nimbus.api.compute.label_requests import parse_set_labels
from nimbus.api.compute.links import full_link, project_link
from nimbus.api.compute.listing import Listing, list_page
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.clock import compute_timestamp
from nimbus.core.errors import NotFound
from nimbus.core.filters import compile_filter
from nimbus.services.caller import Caller
from nimbus.services.compute.disk_rows import DISK_TYPES
from nimbus.services.locations import catalog
from nimbus.store.models import Disk, Instance, Snapshot
from nimbus.wire.compute_disks import Disk as DiskWire
from nimbus.wire.compute_disks import DiskList, DiskType, DiskTypeList, SnapshotList
from nimbus.wire.compute_disks import Snapshot as SnapshotWire

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]
RequestId = Annotated[str | None, Query(alias="requestId", max_length=64)]
DISK = "/zones/{zone}/disks/{disk}"
SNAPSHOT = "/global/snapshots/{snapshot}"
_TYPE_DESCRIPTIONS = {
    "pd-standard": "Standard Persistent Disk",
    "pd-balanced": "Balanced Persistent Disk",
    "pd-ssd": "SSD Persistent Disk",
}


def render_disk(link: str, row: Disk, users: list[Instance]) -> DiskWire:
    zone_link = f"{link}/zones/{row.zone}"
    return DiskWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        size_gb=str(row.size_gb),
        zone=zone_link,
        status=row.status,
        self_link=f"{zone_link}/disks/{row.name}",
        type=f"{zone_link}/diskTypes/{row.disk_type}",
        source_image=full_link(link, row.source_image),
        source_image_id=str(row.image_id) if row.source_image and row.image_id else None,
        source_snapshot=full_link(link, row.source_snapshot),
        source_snapshot_id=str(row.source_snapshot_id) if row.source_snapshot_id else None,
        labels=row.labels or None,
        label_fingerprint=row.label_fingerprint,
        users=[f"{link}/zones/{u.zone}/instances/{u.name}" for u in users] or None,
        last_attach_timestamp=compute_timestamp(row.last_attach_time)
        if row.last_attach_time
        else None,
        last_detach_timestamp=compute_timestamp(row.last_detach_time)
        if row.last_detach_time
        else None,
    )


def render_snapshot(link: str, row: Snapshot) -> SnapshotWire:
    return SnapshotWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        status=row.status,
        source_disk=full_link(link, row.source_disk) or row.source_disk,
        source_disk_id=str(row.source_disk_id),
        disk_size_gb=str(row.disk_size_gb),
        storage_bytes=str(row.storage_bytes),
        storage_locations=[row.storage_location],
        self_link=f"{link}/global/snapshots/{row.name}",
        labels=row.labels or None,
        label_fingerprint=row.label_fingerprint,
    )


def _operation(request: Request, owner_id: str, operation: Any) -> Response:
    return json_response(views.operation(project_link(request, owner_id), operation))


# -- disks ---------------------------------------------------------------------------------


@router.post("/zones/{zone}/disks")
async def insert_disk(
    project: str,
    zone: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
    source_image: Annotated[str | None, Query(alias="sourceImage")] = None,
) -> Response:
    body = await parse_json_object(request)
    if source_image and not body.get("sourceImage"):
        body["sourceImage"] = source_image
    name = str(body.get("name") or "")
    link = f"{project_link(request, project)}/zones/{zone}/disks/{name}"
    owner, operation = await call(
        cloud_of(request).disks.insert, caller, project, zone, body, link, request_id
    )
    return _operation(request, owner.project_id, operation)


@router.get("/zones/{zone}/disks")
async def list_disks(
    project: str, zone: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    disks = cloud_of(request).disks
    owner, rows = await call(disks.list_disks, caller, project, zone)
    users = await call(disks.users, [row.id for row in rows])
    link = project_link(request, owner.project_id)
    page = list_page([render_disk(link, row, users[row.id]) for row in rows], "name", listing)
    return json_response(
        DiskList(
            id=f"projects/{owner.project_id}/zones/{zone}/disks",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/zones/{zone}/disks",
        )
    )


@router.get("/aggregated/disks")
async def aggregated_disks(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
    include_all_scopes: Annotated[bool | None, Query(alias="includeAllScopes")] = None,
    service_project_number: Annotated[str | None, Query(alias="serviceProjectNumber")] = None,
) -> Response:
    disks = cloud_of(request).disks
    owner, rows = await call(disks.list_disks, caller, project, None)
    users = await call(disks.users, [row.id for row in rows])
    link = project_link(request, owner.project_id)
    matches = compile_filter(listing.filter)
    items: dict[str, Any] = {}
    for zone in catalog.ZONES:
        items[f"zones/{zone}"] = {
            "warning": {
                "code": "NO_RESULTS_ON_PAGE",
                "message": f"There are no results for scope 'zones/{zone}' on this page.",
                "data": [{"key": "scope", "value": f"zones/{zone}"}],
            }
        }
    for row in rows:
        rendered = render_disk(link, row, users[row.id]).dump()
        if matches(rendered):
            entry = items[f"zones/{row.zone}"]
            entry.pop("warning", None)
            entry.setdefault("disks", []).append(rendered)
    return json_response(
        {
            "kind": "compute#diskAggregatedList",
            "id": f"projects/{owner.project_id}/aggregated/disks",
            "items": items,
            "selfLink": f"{link}/aggregated/disks",
        }
    )


@router.get(DISK)
async def get_disk(
    project: str, zone: str, disk: str, request: Request, caller: Reader
) -> Response:
    disks = cloud_of(request).disks
    owner, row = await call(disks.get, caller, project, zone, disk)
    users = await call(disks.users, [row.id])
    return json_response(render_disk(project_link(request, owner.project_id), row, users[row.id]))


@router.delete(DISK)
async def delete_disk(
    project: str,
    zone: str,
    disk: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
) -> Response:
    link = f"{project_link(request, project)}/zones/{zone}/disks/{disk}"
    owner, operation = await call(
        cloud_of(request).disks.delete, caller, project, zone, disk, link, request_id
    )
    return _operation(request, owner.project_id, operation)


@router.post(f"{DISK}/resize")
async def resize_disk(
    project: str,
    zone: str,
    disk: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
) -> Response:
    body = await parse_json_object(request)
    link = f"{project_link(request, project)}/zones/{zone}/disks/{disk}"
    owner, operation = await call(
        cloud_of(request).disks.resize,
        caller,
        project,
        zone,
        disk,
        body.get("sizeGb"),
        link,
        request_id,
    )
    return _operation(request, owner.project_id, operation)


@router.post(f"{DISK}/setLabels")
async def set_disk_labels(
    project: str, zone: str, disk: str, request: Request, caller: Writer
) -> Response:
    labels, fingerprint = await parse_set_labels(request)
    link = f"{project_link(request, project)}/zones/{zone}/disks/{disk}"
    owner, operation = await call(
        cloud_of(request).disks.set_labels,
        caller,
        project,
        zone,
        disk,
        labels,
        fingerprint,
        link,
    )
    return _operation(request, owner.project_id, operation)


@router.post(f"{DISK}/createSnapshot")
async def create_disk_snapshot(
    project: str,
    zone: str,
    disk: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
) -> Response:
    body = await parse_json_object(request)
    base = project_link(request, project)
    owner, operation = await call(
        cloud_of(request).disks.create_snapshot,
        caller,
        project,
        body,
        lambda name: f"{base}/zones/{zone}/disks/{name}",
        zone=zone,
        disk_name=disk,
        request_id=request_id,
    )
    return _operation(request, owner.project_id, operation)


# -- snapshots -----------------------------------------------------------------------------


@router.post("/global/snapshots")
async def insert_snapshot(
    project: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body = await parse_json_object(request)
    base = project_link(request, project)
    owner, operation = await call(
        cloud_of(request).disks.create_snapshot,
        caller,
        project,
        body,
        lambda name: f"{base}/global/snapshots/{name}",
        request_id=request_id,
    )
    return _operation(request, owner.project_id, operation)


@router.get("/global/snapshots")
async def list_snapshots(
    project: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    owner, rows = await call(cloud_of(request).disks.list_snapshots, caller, project)
    link = project_link(request, owner.project_id)
    page = list_page([render_snapshot(link, row) for row in rows], "name", listing)
    return json_response(
        SnapshotList(
            id=f"projects/{owner.project_id}/global/snapshots",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/global/snapshots",
        )
    )


@router.get(SNAPSHOT)
async def get_snapshot(project: str, snapshot: str, request: Request, caller: Reader) -> Response:
    owner, row = await call(cloud_of(request).disks.get_snapshot, caller, project, snapshot)
    return json_response(render_snapshot(project_link(request, owner.project_id), row))


@router.delete(SNAPSHOT)
async def delete_snapshot(
    project: str, snapshot: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    link = f"{project_link(request, project)}/global/snapshots/{snapshot}"
    owner, operation = await call(
        cloud_of(request).disks.delete_snapshot, caller, project, snapshot, link, request_id
    )
    return _operation(request, owner.project_id, operation)


@router.post(f"{SNAPSHOT}/setLabels")
async def set_snapshot_labels(
    project: str, snapshot: str, request: Request, caller: Writer
) -> Response:
    labels, fingerprint = await parse_set_labels(request)
    link = f"{project_link(request, project)}/global/snapshots/{snapshot}"
    owner, operation = await call(
        cloud_of(request).disks.set_snapshot_labels,
        caller,
        project,
        snapshot,
        labels,
        fingerprint,
        link,
    )
    return _operation(request, owner.project_id, operation)


# -- disk types and accelerator types ------------------------------------------------------


def _disk_type(link: str, zone: str, name: str) -> DiskType:
    zone_link = f"{link}/zones/{zone}"
    digest = hashlib.sha256(f"{zone}/{name}".encode()).digest()[:4]
    return DiskType(
        id=str(30000 + int.from_bytes(digest, "big")),
        name=name,
        description=_TYPE_DESCRIPTIONS[name],
        valid_disk_size="10GB-65536GB",
        zone=zone_link,
        self_link=f"{zone_link}/diskTypes/{name}",
        default_disk_size_gb="500" if name == "pd-standard" else "100",
    )


@router.get("/zones/{zone}/diskTypes")
async def list_disk_types(
    project: str, zone: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    catalog.zone(zone)
    link = project_link(request, project)
    page = list_page([_disk_type(link, zone, name) for name in DISK_TYPES], "name", listing)
    return json_response(
        DiskTypeList(
            id=f"projects/{project}/zones/{zone}/diskTypes",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/zones/{zone}/diskTypes",
        )
    )


@router.get("/zones/{zone}/diskTypes/{disk_type}")
async def get_disk_type(
    project: str, zone: str, disk_type: str, request: Request, caller: Reader
) -> Response:
    catalog.zone(zone)
    if disk_type not in DISK_TYPES:
        raise NotFound(
            f"The resource 'projects/{project}/zones/{zone}/diskTypes/{disk_type}' was not found"
        )
    return json_response(_disk_type(project_link(request, project), zone, disk_type))


@router.get("/zones/{zone}/acceleratorTypes")
async def list_accelerator_types(
    project: str, zone: str, request: Request, caller: Reader
) -> Response:
    """This zone has no accelerators."""
    catalog.zone(zone)
    link = project_link(request, project)
    return json_response(
        {
            "kind": "compute#acceleratorTypeList",
            "id": f"projects/{project}/zones/{zone}/acceleratorTypes",
            "selfLink": f"{link}/zones/{zone}/acceleratorTypes",
        }
    )
