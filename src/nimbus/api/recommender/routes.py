"""``/v1/projects/{project}/locations/{location}/recommenders/{recommender}/recommendations``:
list, get, and the ``:markClaimed``, ``:markSucceeded``, ``:markFailed`` and
``:markDismissed`` custom methods.

As a Nimbus convenience, lists accept ``-`` for the location and for the recommender
(every one the caller may read).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.errors import InvalidArgument
from nimbus.core.paging import PageRequest
from nimbus.services.caller import Caller
from nimbus.services.recommender import states
from nimbus.services.recommender.service import Parent

router = APIRouter(
    prefix="/v1/projects/{project}/locations/{location}/recommenders/{recommender}/recommendations"
)
Reader = Annotated[Caller, Depends(authenticated(scopes(read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes()))]
_MARKS = {
    "markClaimed": states.CLAIMED,
    "markSucceeded": states.SUCCEEDED,
    "markFailed": states.FAILED,
    "markDismissed": states.DISMISSED,
}


@router.get("")
async def list_recommendations(
    project: str,
    location: str,
    recommender: str,
    request: Request,
    caller: Reader,
    filter: str | None = None,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    # Google ignores a page size that is not positive.
    size = page_size if page_size and page_size > 0 else None
    page = await call(
        cloud_of(request).recommendations.list_recommendations,
        caller,
        Parent(project, location, recommender),
        filter,
        PageRequest.parse(size, page_token),
    )
    body: dict[str, Any] = {}
    if page.items:
        body["recommendations"] = page.items
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


@router.get("/{recommendation}")
async def get_recommendation(
    project: str,
    location: str,
    recommender: str,
    recommendation: str,
    request: Request,
    caller: Reader,
) -> Response:
    found = await call(
        cloud_of(request).recommendations.get,
        caller,
        Parent(project, location, recommender),
        recommendation,
    )
    return json_response(found)


def _mark_route(verb: str, state: str) -> None:
    """``POST .../recommendations/{id}:{verb}`` with ``{etag, stateMetadata}``."""

    async def mark(
        project: str,
        location: str,
        recommender: str,
        recommendation: str,
        request: Request,
        caller: Writer,
    ) -> Response:
        body = await parse_json_object(request, allow_empty=True)
        etag = body.get("etag")
        metadata = body.get("stateMetadata")
        if etag is not None and not isinstance(etag, str):
            raise InvalidArgument("Invalid value for field 'etag': expected a string.")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidArgument("Invalid value for field 'stateMetadata': expected an object.")
        marked = await call(
            cloud_of(request).recommendations.mark,
            caller,
            Parent(project, location, recommender),
            recommendation,
            state,
            etag or None,
            metadata,
        )
        return json_response(marked)

    router.add_api_route(
        f"/{{recommendation}}:{verb}", mark, methods=["POST"], name=f"recommendations.{verb}"
    )


for _verb, _state in _MARKS.items():
    _mark_route(_verb, _state)
