"""compute/v1: regions, zones, and operations in their three scopes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.compute import views
from nimbus.api.compute.links import project_link, scope_path
from nimbus.api.compute.listing import (
    Listing,
    ListParams,
    list_page,
)
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import empty_response, json_response
from nimbus.core.filters import compile_filter
from nimbus.services.caller import Caller
from nimbus.services.locations import catalog
from nimbus.services.operations import states
from nimbus.services.operations.service import OperationRef
from nimbus.wire.compute import (
    MachineTypeList,
    MetadataRequest,
    OperationList,
    RegionList,
    ZoneList,
)

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]


@router.get("")
async def get_project(project: str, request: Request, caller: Reader) -> Response:
    cloud = cloud_of(request)
    owner, settings = await call(cloud.compute_projects.get, caller, project)
    quotas = await call(cloud.compute_quotas.project, owner.number)
    link = project_link(request, owner.project_id)
    return json_response(views.compute_project(link, owner, settings, quotas))


@router.post("/setCommonInstanceMetadata")
async def set_common_instance_metadata(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, MetadataRequest)
    owner, operation = await call(
        cloud_of(request).compute_projects.set_common_instance_metadata,
        caller,
        project,
        body.items or [],
        body.fingerprint,
        project_link(request, project),
    )
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.get("/regions")
async def list_regions(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    cloud = cloud_of(request)
    owner, regions = await call(cloud.locations.regions, caller, project)
    quotas = await call(cloud.compute_quotas.regions, owner.number)
    link = project_link(request, owner.project_id)
    page = list_page([views.region(link, r, quotas[r.name]) for r in regions], "name", listing)
    return json_response(
        RegionList(
            id=f"projects/{owner.project_id}/regions",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/regions",
        )
    )


@router.get("/regions/{region}")
async def get_region(project: str, region: str, request: Request, caller: Reader) -> Response:
    cloud = cloud_of(request)
    owner, found = await call(cloud.locations.region, caller, project, region)
    quotas = await call(cloud.compute_quotas.region, owner.number, found.name)
    return json_response(views.region(project_link(request, owner.project_id), found, quotas))


@router.get("/zones")
async def list_zones(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    owner, zones = await call(cloud_of(request).locations.zones, caller, project)
    link = project_link(request, owner.project_id)
    page = list_page([views.zone(link, z) for z in zones], "name", listing)
    return json_response(
        ZoneList(
            id=f"projects/{owner.project_id}/zones",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/zones",
        )
    )


@router.get("/zones/{zone}/machineTypes")
async def list_machine_types(
    project: str,
    zone: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    owner, types = await call(cloud_of(request).locations.machine_types, caller, project, zone)
    link = project_link(request, owner.project_id)
    rendered = [views.machine_type(link, zone, t) for t in types]
    page = list_page(rendered, "name", listing)
    return json_response(
        MachineTypeList(
            id=f"projects/{owner.project_id}/zones/{zone}/machineTypes",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/zones/{zone}/machineTypes",
        )
    )


@router.get("/zones/{zone}/machineTypes/{name}")
async def get_machine_type(
    project: str, zone: str, name: str, request: Request, caller: Reader
) -> Response:
    owner, found = await call(cloud_of(request).locations.machine_type, caller, project, zone, name)
    return json_response(views.machine_type(project_link(request, owner.project_id), zone, found))


@router.get("/aggregated/machineTypes")
async def aggregated_machine_types(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
    include_all_scopes: Annotated[bool | None, Query(alias="includeAllScopes")] = None,
    service_project_number: Annotated[str | None, Query(alias="serviceProjectNumber")] = None,
) -> Response:
    locations = cloud_of(request).locations
    owner, zones = await call(locations.zones, caller, project)
    link = project_link(request, owner.project_id)
    matches = compile_filter(listing.filter)
    # The catalog is the same in every zone: read it (and check the permission) once.
    _, types = await call(locations.machine_types, caller, project, zones[0].name)
    items: dict[str, object] = {}
    for zone in zones:
        rendered = [views.machine_type(link, zone.name, t).dump() for t in types]
        items[f"zones/{zone.name}"] = {"machineTypes": [t for t in rendered if matches(t)]}
    return json_response(
        {
            "kind": "compute#machineTypeAggregatedList",
            "id": f"projects/{owner.project_id}/aggregated/machineTypes",
            "items": items,
            "selfLink": f"{link}/aggregated/machineTypes",
        }
    )


@router.get("/zones/{zone}")
async def get_zone(project: str, zone: str, request: Request, caller: Reader) -> Response:
    owner, found = await call(cloud_of(request).locations.zone, caller, project, zone)
    return json_response(views.zone(project_link(request, owner.project_id), found))


# -- operations, one set of handlers for the three scopes -------------------------------


def _location(scope: str, location: str) -> str:
    if scope == states.REGION:
        catalog.region(location)
    elif scope == states.ZONE:
        catalog.zone(location)
    return location


async def _list_operations(
    request: Request,
    caller: Caller,
    project: str,
    scope: str,
    location: str,
    listing: ListParams,
) -> Response:
    owner, rows = await call(
        cloud_of(request).operations.list_in_scope,
        caller,
        project,
        scope,
        _location(scope, location),
    )
    link = project_link(request, owner.project_id)
    rendered = [views.operation(link, row) for row in rows]
    page = list_page(rendered, "name", listing)
    return json_response(
        OperationList(
            id=f"projects/{owner.project_id}/{scope_path(scope, location)}/operations",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/{scope_path(scope, location)}/operations",
        )
    )


async def _get_operation(
    request: Request, caller: Caller, ref: OperationRef, wait: bool
) -> Response:
    _location(ref.scope, ref.location)
    operations = cloud_of(request).operations
    if wait:
        owner, row = await operations.wait(caller, ref)
    else:
        owner, row = await call(operations.get, caller, ref)
    return json_response(views.operation(project_link(request, owner.project_id), row))


async def _delete_operation(request: Request, caller: Caller, ref: OperationRef) -> Response:
    _location(ref.scope, ref.location)
    await call(cloud_of(request).operations.delete, caller, ref)
    return empty_response()


@router.get("/aggregated/operations")
async def aggregated_operations(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
    include_all_scopes: Annotated[bool | None, Query(alias="includeAllScopes")] = None,
    partial_success: Annotated[bool | None, Query(alias="returnPartialSuccess")] = None,
) -> Response:
    """Every scope's operations, as ``gcloud compute operations list`` asks for them."""
    owner, rows = await call(cloud_of(request).operations.list_all, caller, project)
    link = project_link(request, owner.project_id)
    matches = compile_filter(listing.filter)
    items: dict[str, Any] = {}
    for row in rows:
        rendered = views.operation(link, row).dump()
        if matches(rendered):
            scope = scope_path(row.scope, row.location)
            items.setdefault(scope, {"operations": []})["operations"].append(rendered)
    return json_response(
        {
            "kind": "compute#operationAggregatedList",
            "id": f"projects/{owner.project_id}/aggregated/operations",
            "items": items,
            "selfLink": f"{link}/aggregated/operations",
        }
    )


@router.get("/global/operations")
async def list_global_operations(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    return await _list_operations(request, caller, project, states.GLOBAL, "", listing)


@router.get("/global/operations/{operation}")
async def get_global_operation(
    project: str, operation: str, request: Request, caller: Reader
) -> Response:
    return await _get_operation(
        request, caller, OperationRef(project, states.GLOBAL, "", operation), wait=False
    )


@router.post("/global/operations/{operation}/wait")
async def wait_global_operation(
    project: str, operation: str, request: Request, caller: Reader
) -> Response:
    return await _get_operation(
        request, caller, OperationRef(project, states.GLOBAL, "", operation), wait=True
    )


@router.delete("/global/operations/{operation}")
async def delete_global_operation(
    project: str, operation: str, request: Request, caller: Writer
) -> Response:
    return await _delete_operation(
        request, caller, OperationRef(project, states.GLOBAL, "", operation)
    )


@router.get("/regions/{region}/operations")
async def list_region_operations(
    project: str,
    region: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    return await _list_operations(request, caller, project, states.REGION, region, listing)


@router.get("/regions/{region}/operations/{operation}")
async def get_region_operation(
    project: str, region: str, operation: str, request: Request, caller: Reader
) -> Response:
    ref = OperationRef(project, states.REGION, region, operation)
    return await _get_operation(request, caller, ref, wait=False)


@router.post("/regions/{region}/operations/{operation}/wait")
async def wait_region_operation(
    project: str, region: str, operation: str, request: Request, caller: Reader
) -> Response:
    ref = OperationRef(project, states.REGION, region, operation)
    return await _get_operation(request, caller, ref, wait=True)


@router.delete("/regions/{region}/operations/{operation}")
async def delete_region_operation(
    project: str, region: str, operation: str, request: Request, caller: Writer
) -> Response:
    return await _delete_operation(
        request, caller, OperationRef(project, states.REGION, region, operation)
    )


@router.get("/zones/{zone}/operations")
async def list_zone_operations(
    project: str,
    zone: str,
    request: Request,
    caller: Reader,
    listing: Listing,
) -> Response:
    return await _list_operations(request, caller, project, states.ZONE, zone, listing)


@router.get("/zones/{zone}/operations/{operation}")
async def get_zone_operation(
    project: str, zone: str, operation: str, request: Request, caller: Reader
) -> Response:
    ref = OperationRef(project, states.ZONE, zone, operation)
    return await _get_operation(request, caller, ref, wait=False)


@router.post("/zones/{zone}/operations/{operation}/wait")
async def wait_zone_operation(
    project: str, zone: str, operation: str, request: Request, caller: Reader
) -> Response:
    ref = OperationRef(project, states.ZONE, zone, operation)
    return await _get_operation(request, caller, ref, wait=True)


@router.delete("/zones/{zone}/operations/{operation}")
async def delete_zone_operation(
    project: str, zone: str, operation: str, request: Request, caller: Writer
) -> Response:
    return await _delete_operation(
        request, caller, OperationRef(project, states.ZONE, zone, operation)
    )
