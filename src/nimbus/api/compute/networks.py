"""compute/v1 ``networks`` and ``subnetworks``: parse, call the service, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.compute import network_views, views
from nimbus.api.compute.links import project_link
from nimbus.api.compute.listing import Listing, list_page
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.filters import compile_filter
from nimbus.services.caller import Caller
from nimbus.services.compute.done_operations import Target
from nimbus.services.compute.network_requests import parse_network, parse_network_patch
from nimbus.services.compute.subnetworks import SubnetRef
from nimbus.services.locations import catalog
from nimbus.services.operations import states
from nimbus.store.models import Operation, Project
from nimbus.wire.compute_networks import NetworkList, SubnetworkList

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]
RequestId = Annotated[str | None, Query(alias="requestId", max_length=64)]


def _operation(request: Request, done: tuple[Project, Operation]) -> Response:
    owner, operation = done
    return json_response(views.operation(project_link(request, owner.project_id), operation))


# -- networks ------------------------------------------------------------------------------


def _network_target(request: Request, project: str, name: str, request_id: str | None) -> Target:
    link = f"{project_link(request, project)}/global/networks/{name}"
    return Target(states.GLOBAL, "", link, request_id)


@router.get("/global/networks")
async def list_networks(
    project: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    owner, rows = await call(cloud_of(request).networks.list_all, caller, project)
    link = project_link(request, owner.project_id)
    rendered = [network_views.network(link, row, subnets) for row, subnets in rows]
    page = list_page(rendered, "name", listing)
    return json_response(
        NetworkList(
            id=f"projects/{owner.project_id}/global/networks",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/global/networks",
        )
    )


@router.post("/global/networks")
async def insert_network(
    project: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    spec = parse_network(await parse_json_object(request))
    target = _network_target(request, project, spec.name, request_id)
    networks = cloud_of(request).networks
    return _operation(request, await call(networks.insert, caller, project, spec, target))


@router.get("/global/networks/{name}")
async def get_network(project: str, name: str, request: Request, caller: Reader) -> Response:
    owner, row, subnets = await call(cloud_of(request).networks.get, caller, project, name)
    link = project_link(request, owner.project_id)
    return json_response(network_views.network(link, row, subnets))


@router.patch("/global/networks/{name}")
async def patch_network(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    patch = parse_network_patch(await parse_json_object(request))
    target = _network_target(request, project, name, request_id)
    networks = cloud_of(request).networks
    return _operation(request, await call(networks.patch, caller, project, name, patch, target))


@router.delete("/global/networks/{name}")
async def delete_network(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    target = _network_target(request, project, name, request_id)
    networks = cloud_of(request).networks
    return _operation(request, await call(networks.delete, caller, project, name, target))


# -- subnetworks ---------------------------------------------------------------------------


def _subnet_target(
    request: Request, project: str, region: str, name: str, request_id: str | None
) -> Target:
    link = f"{project_link(request, project)}/regions/{region}/subnetworks/{name}"
    return Target(states.REGION, region, link, request_id)


@router.get("/regions/{region}/subnetworks")
async def list_subnetworks(
    project: str, region: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    owner, pairs = await call(cloud_of(request).subnetworks.list, caller, project, region)
    link = project_link(request, owner.project_id)
    rendered = [network_views.subnetwork(link, n, s) for n, s in pairs]
    page = list_page(rendered, "name", listing)
    return json_response(
        SubnetworkList(
            id=f"projects/{owner.project_id}/regions/{region}/subnetworks",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/regions/{region}/subnetworks",
        )
    )


@router.get("/aggregated/subnetworks")
async def aggregated_subnetworks(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
    include_all_scopes: Annotated[bool | None, Query(alias="includeAllScopes")] = None,
    service_project_number: Annotated[str | None, Query(alias="serviceProjectNumber")] = None,
) -> Response:
    owner, pairs = await call(cloud_of(request).subnetworks.list, caller, project, None)
    link = project_link(request, owner.project_id)
    matches = compile_filter(listing.filter)
    items: dict[str, Any] = {f"regions/{region}": _no_results(region) for region in catalog.REGIONS}
    for network_row, row in pairs:
        rendered = network_views.subnetwork(link, network_row, row).dump()
        if matches(rendered):
            entry = items[f"regions/{row.region}"]
            entry.pop("warning", None)
            entry.setdefault("subnetworks", []).append(rendered)
    return json_response(
        {
            "kind": "compute#subnetworkAggregatedList",
            "id": f"projects/{owner.project_id}/aggregated/subnetworks",
            "items": items,
            "selfLink": f"{link}/aggregated/subnetworks",
        }
    )


def _no_results(region: str) -> dict[str, Any]:
    scope = f"regions/{region}"
    return {
        "warning": {
            "code": "NO_RESULTS_ON_PAGE",
            "message": f"There are no results for scope '{scope}' on this page.",
            "data": [{"key": "scope", "value": scope}],
        }
    }


@router.post("/regions/{region}/subnetworks")
async def insert_subnetwork(
    project: str, region: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body = await parse_json_object(request)
    target = _subnet_target(request, project, region, str(body.get("name", "")), request_id)
    subnetworks = cloud_of(request).subnetworks
    return _operation(
        request, await call(subnetworks.insert, caller, project, region, body, target)
    )


@router.get("/regions/{region}/subnetworks/{name}")
async def get_subnetwork(
    project: str, region: str, name: str, request: Request, caller: Reader
) -> Response:
    ref = SubnetRef(project, region, name)
    owner, network_row, row = await call(cloud_of(request).subnetworks.get, caller, ref)
    link = project_link(request, owner.project_id)
    return json_response(network_views.subnetwork(link, network_row, row))


@router.patch("/regions/{region}/subnetworks/{name}")
async def patch_subnetwork(
    project: str,
    region: str,
    name: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
    drain_timeout_seconds: Annotated[int | None, Query(alias="drainTimeoutSeconds")] = None,
) -> Response:
    body = await parse_json_object(request)
    target = _subnet_target(request, project, region, name, request_id)
    ref = SubnetRef(project, region, name)
    subnetworks = cloud_of(request).subnetworks
    return _operation(request, await call(subnetworks.patch, caller, ref, body, target))


@router.delete("/regions/{region}/subnetworks/{name}")
async def delete_subnetwork(
    project: str,
    region: str,
    name: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
) -> Response:
    target = _subnet_target(request, project, region, name, request_id)
    ref = SubnetRef(project, region, name)
    subnetworks = cloud_of(request).subnetworks
    return _operation(request, await call(subnetworks.delete, caller, ref, target))
