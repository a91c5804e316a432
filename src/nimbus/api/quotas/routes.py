"""Cloud Quotas API v1: ``quotaPreferences`` (create, patch, get, list) and
``quotaInfos`` (get, list) of a project. Preferences live in ``locations/global``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.deps import call, cloud_of
from nimbus.api.quotas import views
from nimbus.api.responses import json_response
from nimbus.core.errors import InvalidArgument
from nimbus.core.filters import compile_filter
from nimbus.core.paging import PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.compute.quota_preference_rows import PreferenceFields
from nimbus.services.compute.quota_preferences import Safety
from nimbus.services.compute.quota_safety import parse_ignored
from nimbus.wire.quotas import QuotaInfoList, QuotaPreferenceList, QuotaPreferenceRequest

router = APIRouter(prefix="/v1/projects/{project}/locations/{location}")
Reader = Annotated[Caller, Depends(authenticated(scopes(read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes()))]
Ignored = Annotated[list[str] | None, Query(alias="ignoreSafetyChecks")]


def _global(location: str) -> None:
    if location != "global":
        raise InvalidArgument(
            f"Invalid location '{location}': the location of quota preferences and quota "
            "infos must be 'global'."
        )


async def _fields(request: Request, preference_id: str | None = None) -> PreferenceFields:
    body = await parse_body(request, QuotaPreferenceRequest)
    named = body.name.rsplit("/", 1)[-1] if body.name else None
    if named is not None and preference_id is not None and named != preference_id:
        raise InvalidArgument(
            f"The name '{body.name}' in the body does not match the request's path."
        )
    config = body.quota_config
    return PreferenceFields(
        service=body.service,
        quota_id=body.quota_id,
        dimensions=body.dimensions,
        preferred_value=_int64(config.preferred_value) if config is not None else None,
        annotations=config.annotations if config is not None else None,
        justification=body.justification,
        contact_email=body.contact_email,
        etag=body.etag,
    )


def _int64(value: int | str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as error:
        raise InvalidArgument(
            f"Invalid value at 'quota_preference.quota_config.preferred_value' (TYPE_INT64), "
            f'"{value}"'
        ) from error


@router.post("/quotaPreferences")
async def create_preference(
    project: str,
    location: str,
    request: Request,
    caller: Writer,
    preference_id: Annotated[str | None, Query(alias="quotaPreferenceId")] = None,
    ignore: Ignored = None,
) -> Response:
    _global(location)
    fields = await _fields(request)
    row = await call(
        cloud_of(request).quota_preferences.create,
        caller,
        project,
        preference_id,
        fields,
        Safety(parse_ignored(ignore or [])),
    )
    return json_response(views.preference(row.project_number, row))


@router.patch("/quotaPreferences/{preference_id}")
async def patch_preference(
    project: str,
    location: str,
    preference_id: str,
    request: Request,
    caller: Writer,
    update_mask: Annotated[str | None, Query(alias="updateMask")] = None,
    allow_missing: Annotated[bool, Query(alias="allowMissing")] = False,
    validate_only: Annotated[bool, Query(alias="validateOnly")] = False,
    ignore: Ignored = None,
) -> Response:
    _global(location)
    fields = await _fields(request, preference_id)
    mask = [p for p in update_mask.split(",") if p.strip()] if update_mask else None
    row = await call(
        cloud_of(request).quota_preferences.update,
        caller,
        project,
        preference_id,
        fields,
        mask=mask,
        allow_missing=allow_missing,
        validate_only=validate_only,
        safety=Safety(parse_ignored(ignore or [])),
    )
    return json_response(views.preference(row.project_number, row))


@router.get("/quotaPreferences/{preference_id}")
async def get_preference(
    project: str, location: str, preference_id: str, request: Request, caller: Reader
) -> Response:
    _global(location)
    row = await call(cloud_of(request).quota_preferences.get, caller, project, preference_id)
    return json_response(views.preference(row.project_number, row))


@router.get("/quotaPreferences")
async def list_preferences(
    project: str,
    location: str,
    request: Request,
    caller: Reader,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
    filter: str | None = None,
    order_by: Annotated[str | None, Query(alias="orderBy")] = None,
) -> Response:
    _global(location)
    owner, rows = await call(cloud_of(request).quota_preferences.list_all, caller, project)
    matches = compile_filter(filter)
    rendered = [views.preference(owner.number, row) for row in rows]
    kept = [item for item in rendered if matches(item.dump())]
    page = paginate(kept, [item.name for item in kept], PageRequest.parse(page_size, page_token))
    return json_response(
        QuotaPreferenceList(quota_preferences=page.items, next_page_token=page.next_page_token)
    )


@router.get("/services/{service}/quotaInfos")
async def list_quota_infos(
    project: str,
    location: str,
    service: str,
    request: Request,
    caller: Reader,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    _global(location)
    owner, infos = await call(cloud_of(request).quota_infos.list_all, caller, project, service)
    rendered = sorted((views.info(owner.number, f) for f in infos), key=lambda i: i.quota_id)
    page = paginate(
        rendered, [item.quota_id for item in rendered], PageRequest.parse(page_size, page_token)
    )
    return json_response(
        QuotaInfoList(quota_infos=page.items, next_page_token=page.next_page_token)
    )


@router.get("/services/{service}/quotaInfos/{quota_id}")
async def get_quota_info(
    project: str, location: str, service: str, quota_id: str, request: Request, caller: Reader
) -> Response:
    _global(location)
    owner, found = await call(cloud_of(request).quota_infos.get, caller, project, service, quota_id)
    return json_response(views.info(owner.number, found))
