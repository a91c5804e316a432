"""compute/v1 ``instances``: parse, call the service, render."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.compute import instance_views, views
from nimbus.api.compute.label_requests import parse_set_labels
from nimbus.api.compute.links import project_link
from nimbus.api.compute.listing import Listing, list_page
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.errors import InvalidArgument, NotFound, RequiredField
from nimbus.core.filters import compile_filter
from nimbus.services.caller import Caller
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.locations import catalog
from nimbus.store.models import Operation, Project
from nimbus.wire.compute_instances import InstanceList, SerialPortOutput

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]
RequestId = Annotated[str | None, Query(alias="requestId", max_length=64)]


def _links(request: Request, project: str, zone: str, name: str) -> tuple[str, str]:
    link = project_link(request, project)
    return link, f"{link}/zones/{zone}/instances/{name}"


@router.post("/zones/{zone}/instances")
async def insert_instance(
    project: str, zone: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    catalog.zone(zone)
    body = await parse_json_object(request)
    parsed = parse_instance(body, zone)
    link = project_link(request, project)
    owner, operation = await call(
        cloud_of(request).instances.insert, caller, project, zone, parsed, link, request_id
    )
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.get("/zones/{zone}/instances")
async def list_instances(
    project: str, zone: str, request: Request, caller: Reader, listing: Listing
) -> Response:
    instances = cloud_of(request).instances
    owner, rows = await call(instances.list_in_zone, caller, project, zone)
    link = project_link(request, owner.project_id)
    attached = await call(instances.attached, [row.id for row in rows])
    page = list_page(
        [instance_views.instance(link, row, attached[row.id]) for row in rows], "name", listing
    )
    return json_response(
        InstanceList(
            id=f"projects/{owner.project_id}/zones/{zone}/instances",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/zones/{zone}/instances",
        )
    )


@router.get("/aggregated/instances")
async def aggregated_instances(
    project: str,
    request: Request,
    caller: Reader,
    listing: Listing,
    include_all_scopes: Annotated[bool | None, Query(alias="includeAllScopes")] = None,
    service_project_number: Annotated[str | None, Query(alias="serviceProjectNumber")] = None,
) -> Response:
    instances = cloud_of(request).instances
    owner, rows = await call(instances.list_all, caller, project)
    link = project_link(request, owner.project_id)
    attached = await call(instances.attached, [row.id for row in rows])
    matches = compile_filter(listing.filter)
    items: dict[str, Any] = {
        f"zones/{zone}": {
            "warning": {
                "code": "NO_RESULTS_ON_PAGE",
                "message": "There are no results for scope 'zones/" + zone + "' on this page.",
                "data": [{"key": "scope", "value": f"zones/{zone}"}],
            }
        }
        for zone in catalog.ZONES
    }
    for row in rows:
        rendered = instance_views.instance(link, row, attached[row.id]).dump()
        if matches(rendered):
            entry = items[f"zones/{row.zone}"]
            entry.pop("warning", None)
            entry.setdefault("instances", []).append(rendered)
    return json_response(
        {
            "kind": "compute#instanceAggregatedList",
            "id": f"projects/{owner.project_id}/aggregated/instances",
            "items": items,
            "selfLink": f"{link}/aggregated/instances",
        }
    )


@dataclass(frozen=True)
class Target:
    """One instance named by the path, with its selfLink and the call's ``requestId``."""

    ref: InstanceRef
    link: str
    request_id: str | None


def instance_target(
    project: str, zone: str, name: str, request: Request, request_id: RequestId = None
) -> Target:
    _, link = _links(request, project, zone, name)
    return Target(InstanceRef(project, zone, name), link, request_id)


InstanceTarget = Annotated[Target, Depends(instance_target)]
INSTANCE = "/zones/{zone}/instances/{name}"


async def _render(request: Request, pending: Awaitable[tuple[Project, Operation]]) -> Response:
    owner, operation = await pending
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.get(INSTANCE)
async def get_instance(target: InstanceTarget, request: Request, caller: Reader) -> Response:
    instances = cloud_of(request).instances
    owner, row = await call(instances.get, caller, target.ref)
    attached = await call(instances.attached, [row.id])
    link = project_link(request, owner.project_id)
    return json_response(instance_views.instance(link, row, attached[row.id]))


@router.delete(INSTANCE)
async def delete_instance(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.delete, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/start")
async def start_instance(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.start, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/stop")
async def stop_instance(
    t: InstanceTarget,
    request: Request,
    caller: Writer,
    discard_local_ssd: Annotated[bool | None, Query(alias="discardLocalSsd")] = None,
) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.stop, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/reset")
async def reset_instance(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.reset, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/suspend")
async def suspend_instance(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.suspend, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/resume")
async def resume_instance(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    instances = cloud_of(request).instances
    return await _render(request, call(instances.resume, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/simulateMaintenanceEvent")
async def simulate_maintenance_event(
    t: InstanceTarget, request: Request, caller: Writer
) -> Response:
    simulate = cloud_of(request).instances.simulate_maintenance_event
    return await _render(request, call(simulate, caller, t.ref, t.link, t.request_id))


@router.post(f"{INSTANCE}/setMachineType")
async def set_machine_type(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    machine_type = body.get("machineType")
    if not isinstance(machine_type, str) or not machine_type:
        raise RequiredField("Required field 'machineType' not specified")
    change = cloud_of(request).instances.set_machine_type
    return await _render(request, call(change, caller, t.ref, machine_type, t.link))


@router.post(f"{INSTANCE}/attachDisk")
async def attach_disk(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    attach = cloud_of(request).instances.attach_disk
    return await _render(request, call(attach, caller, t.ref, body, t.link, t.request_id))


@router.post(f"{INSTANCE}/detachDisk")
async def detach_disk(
    t: InstanceTarget,
    request: Request,
    caller: Writer,
    device_name: Annotated[str, Query(alias="deviceName")],
) -> Response:
    detach = cloud_of(request).instances.detach_disk
    return await _render(request, call(detach, caller, t.ref, device_name, t.link, t.request_id))


@router.post(f"{INSTANCE}/setDiskAutoDelete")
async def set_disk_auto_delete(
    t: InstanceTarget,
    request: Request,
    caller: Writer,
    auto_delete: Annotated[bool, Query(alias="autoDelete")],
    device_name: Annotated[str, Query(alias="deviceName")],
) -> Response:
    change = cloud_of(request).instances.set_disk_auto_delete
    return await _render(request, call(change, caller, t.ref, device_name, auto_delete, t.link))


@router.post(f"{INSTANCE}/setMetadata")
async def set_metadata(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    items = body.get("items") or []
    if not isinstance(items, list):
        raise InvalidArgument("Invalid value for field 'metadata.items'.")
    change = cloud_of(request).instances.set_metadata
    return await _render(
        request, call(change, caller, t.ref, items, body.get("fingerprint"), t.link)
    )


@router.post(f"{INSTANCE}/setLabels")
async def set_labels(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    labels, fingerprint = await parse_set_labels(request)
    change = cloud_of(request).instances.set_labels
    return await _render(request, call(change, caller, t.ref, labels, fingerprint, t.link))


@router.post(f"{INSTANCE}/setTags")
async def set_tags(t: InstanceTarget, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    tags = body.get("items") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidArgument("Invalid value for field 'tags.items'.")
    change = cloud_of(request).instances.set_tags
    return await _render(
        request, call(change, caller, t.ref, tags, body.get("fingerprint"), t.link)
    )


@router.get(f"{INSTANCE}/serialPort")
async def get_serial_port_output(
    t: InstanceTarget, request: Request, caller: Reader, port: int = 1, start: int = 0
) -> Response:
    if port not in (1, 2, 3, 4):
        raise InvalidArgument(f"Invalid value for field 'port': '{port}'. It must be 1 to 4.")
    chunk = await call(cloud_of(request).instances.serial_output, caller, t.ref, start)
    return json_response(
        SerialPortOutput(
            contents=chunk.contents.decode("utf-8", errors="replace") if port == 1 else "",
            start=str(chunk.start),
            next=str(chunk.next_start),
            self_link=f"{t.link}/serialPort",
        )
    )


@router.get(f"{INSTANCE}/getGuestAttributes")
async def get_guest_attributes(
    t: InstanceTarget,
    request: Request,
    caller: Reader,
    query_path: Annotated[str | None, Query(alias="queryPath")] = None,
    variable_key: Annotated[str | None, Query(alias="variableKey")] = None,
) -> Response:
    wanted = (variable_key or query_path or "").strip("/")
    namespace = wanted.split("/", 1)[0] or None
    rows = await call(cloud_of(request).instances.guest_attributes, caller, t.ref, namespace)
    body: dict[str, Any] = {
        "kind": "compute#guestAttributes",
        "selfLink": f"{t.link}/getGuestAttributes",
    }
    if variable_key:
        found = [r.value for r in rows if f"{r.namespace}/{r.key}" == wanted]
        if not found:
            raise NotFound(f"The guest attribute path '{variable_key}' was not found.")
        body.update(variableKey=variable_key, variableValue=found[0])
    else:
        body["queryPath"] = query_path or ""
        items = [{"namespace": r.namespace, "key": r.key, "value": r.value} for r in rows]
        body["queryValue"] = {"items": items}
    return json_response(body)
