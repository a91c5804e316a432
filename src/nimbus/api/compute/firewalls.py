"""compute/v1 ``firewalls``: parse, call the service, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.compute import network_views, views
from nimbus.api.compute.links import project_link
from nimbus.api.compute.listing import Listing, list_page
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.services.caller import Caller
from nimbus.services.compute.done_operations import Target
from nimbus.services.operations import states
from nimbus.store.models import Operation, Project
from nimbus.wire.compute_networks import FirewallList

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]
RequestId = Annotated[str | None, Query(alias="requestId", max_length=64)]
FIREWALL = "/global/firewalls/{name}"


def _target(request: Request, project: str, name: str, request_id: str | None) -> Target:
    link = f"{project_link(request, project)}/global/firewalls/{name}"
    return Target(states.GLOBAL, "", link, request_id)


def _operation(request: Request, done: tuple[Project, Operation]) -> Response:
    owner, operation = done
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.get("/global/firewalls")
async def list_firewalls(
    project: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    owner, rows = await call(cloud_of(request).firewalls.list_all, caller, project)
    link = project_link(request, owner.project_id)
    page = list_page([network_views.firewall(link, row) for row in rows], "name", listing)
    return json_response(
        FirewallList(
            id=f"projects/{owner.project_id}/global/firewalls",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/global/firewalls",
        )
    )


@router.post("/global/firewalls")
async def insert_firewall(
    project: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body = await parse_json_object(request)
    target = _target(request, project, str(body.get("name", "")), request_id)
    firewalls = cloud_of(request).firewalls
    return _operation(request, await call(firewalls.insert, caller, project, body, target))


@router.get(FIREWALL)
async def get_firewall(project: str, name: str, request: Request, caller: Reader) -> Response:
    owner, row = await call(cloud_of(request).firewalls.get, caller, project, name)
    return json_response(network_views.firewall(project_link(request, owner.project_id), row))


@router.patch(FIREWALL)
async def patch_firewall(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body = await parse_json_object(request)
    target = _target(request, project, name, request_id)
    firewalls = cloud_of(request).firewalls
    return _operation(request, await call(firewalls.patch, caller, project, name, body, target))


@router.put(FIREWALL)
async def update_firewall(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body = await parse_json_object(request)
    target = _target(request, project, name, request_id)
    firewalls = cloud_of(request).firewalls
    return _operation(request, await call(firewalls.update, caller, project, name, body, target))


@router.delete(FIREWALL)
async def delete_firewall(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    target = _target(request, project, name, request_id)
    firewalls = cloud_of(request).firewalls
    return _operation(request, await call(firewalls.delete, caller, project, name, target))
