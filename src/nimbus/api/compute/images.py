"""compute/v1 ``images``."""

from __future__ import annotations

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
from nimbus.services.caller import Caller
from nimbus.wire.compute_instances import ImageList

router = APIRouter(prefix="/compute/v1/projects/{project}")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("compute", "compute.readonly", read_only=True)))
]
Writer = Annotated[Caller, Depends(authenticated(scopes("compute")))]
RequestId = Annotated[str | None, Query(alias="requestId", max_length=64)]


@router.get("/global/images")
async def list_images(project: str, request: Request, caller: Reader, listing: Listing) -> Response:
    owner, rows = await call(cloud_of(request).images.list_all, caller, project)
    link = project_link(request, owner.project_id)
    page = list_page([instance_views.image(link, row) for row in rows], "name", listing)
    return json_response(
        ImageList(
            id=f"projects/{owner.project_id}/global/images",
            items=page.items,
            next_page_token=page.next_page_token,
            self_link=f"{link}/global/images",
        )
    )


@router.post("/global/images")
async def insert_image(
    project: str,
    request: Request,
    caller: Writer,
    request_id: RequestId = None,
    force_create: Annotated[bool | None, Query(alias="forceCreate")] = None,
) -> Response:
    body = await parse_json_object(request)
    link = f"{project_link(request, project)}/global/images/{body.get('name', '')}"
    owner, operation = await call(cloud_of(request).images.insert, caller, project, body, link)
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.get("/global/images/family/{family}")
async def get_image_from_family(
    project: str, family: str, request: Request, caller: Reader
) -> Response:
    owner, row = await call(cloud_of(request).images.from_family, caller, project, family)
    return json_response(instance_views.image(project_link(request, owner.project_id), row))


@router.get("/zones/{zone}/imageFamilyViews/{family}")
async def get_image_family_view(
    project: str, zone: str, family: str, request: Request, caller: Reader
) -> Response:
    """The family's newest image, as seen from a zone (every image is global here)."""
    owner, row = await call(cloud_of(request).images.from_family, caller, project, family)
    image = instance_views.image(project_link(request, owner.project_id), row)
    return json_response({"image": image.dump()})


@router.get("/global/images/{name}")
async def get_image(project: str, name: str, request: Request, caller: Reader) -> Response:
    owner, row = await call(cloud_of(request).images.get, caller, project, name)
    return json_response(instance_views.image(project_link(request, owner.project_id), row))


@router.post("/global/images/{name}/deprecate")
async def deprecate_image(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    body: dict[str, Any] = await parse_json_object(request, allow_empty=True)
    link = f"{project_link(request, project)}/global/images/{name}"
    owner, operation = await call(
        cloud_of(request).images.deprecate, caller, project, name, body, link
    )
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.post("/global/images/{name}/setLabels")
async def set_image_labels(project: str, name: str, request: Request, caller: Writer) -> Response:
    labels, fingerprint = await parse_set_labels(request)
    link = f"{project_link(request, project)}/global/images/{name}"
    owner, operation = await call(
        cloud_of(request).images.set_labels,
        caller,
        project,
        name,
        labels,
        fingerprint,
        link,
    )
    return json_response(views.operation(project_link(request, owner.project_id), operation))


@router.delete("/global/images/{name}")
async def delete_image(
    project: str, name: str, request: Request, caller: Writer, request_id: RequestId = None
) -> Response:
    link = f"{project_link(request, project)}/global/images/{name}"
    owner, operation = await call(cloud_of(request).images.delete, caller, project, name, link)
    return json_response(views.operation(project_link(request, owner.project_id), operation))
