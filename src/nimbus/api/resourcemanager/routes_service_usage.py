"""Service Usage v1: ``/v1/projects/{project}/services``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.errors import InvalidArgument
from nimbus.core.filters import compile_filter
from nimbus.core.ids import new_hex
from nimbus.services.caller import Caller
from nimbus.services.resourcemanager.service_usage import DISABLED, ENABLED, ServiceState

router = APIRouter(prefix="/v1/projects/{project}")
Reader = Annotated[Caller, Depends(authenticated(scopes("service.management", read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes("service.management")))]
_TYPE = "type.googleapis.com/google.api.serviceusage.v1"


def _service(state: ServiceState) -> dict[str, Any]:
    return {
        "name": f"projects/{state.project_number}/services/{state.name}",
        "parent": f"projects/{state.project_number}",
        "config": {"name": state.name, "title": state.title},
        "state": state.state,
    }


def _done(kind: str, response: dict[str, Any]) -> dict[str, Any]:
    """Changes take effect at once: the operation is already done."""
    return {
        "name": f"operations/acf.p2-{new_hex(8)}",
        "done": True,
        "metadata": {"@type": f"{_TYPE}.OperationMetadata"},
        "response": {"@type": f"{_TYPE}.{kind}", **response},
    }


@router.get("/services")
async def list_services(
    project: str, request: Request, caller: Reader, filter: str | None = None
) -> Response:
    states = await call(cloud_of(request).service_usage.list_services, caller, project)
    matches = compile_filter(filter)
    services = [body for body in (_service(s) for s in states) if matches(body)]
    return json_response({"services": services} if services else {})


@router.post("/services:batchEnable")
async def batch_enable(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    ids = body.get("serviceIds")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidArgument("serviceIds must be a list of service names.")
    usage = cloud_of(request).service_usage
    states = await call(usage.set_state, caller, project, ids, ENABLED)
    return json_response(
        _done("BatchEnableServicesResponse", {"services": [_service(s) for s in states]})
    )


@router.post("/services/{service}:enable")
async def enable(project: str, service: str, request: Request, caller: Writer) -> Response:
    await parse_json_object(request, allow_empty=True)
    states = await call(
        cloud_of(request).service_usage.set_state, caller, project, [service], ENABLED
    )
    return json_response(_done("EnableServiceResponse", {"service": _service(states[0])}))


@router.post("/services/{service}:disable")
async def disable(project: str, service: str, request: Request, caller: Writer) -> Response:
    await parse_json_object(request, allow_empty=True)
    states = await call(
        cloud_of(request).service_usage.set_state, caller, project, [service], DISABLED
    )
    return json_response(_done("DisableServiceResponse", {"service": _service(states[0])}))


@router.get("/services/{service}")
async def get_service(project: str, service: str, request: Request, caller: Reader) -> Response:
    state = await call(cloud_of(request).service_usage.get, caller, project, service)
    return json_response(_service(state))
