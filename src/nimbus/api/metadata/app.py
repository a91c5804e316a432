"""The metadata server's HTTP surface, one app per VPC network.

The caller is the instance whose internal address the request comes from, on the
network this app serves. ``Metadata-Flavor: Google`` is required and a request that
carries ``X-Forwarded-For`` is refused, so that a proxy inside the instance cannot be
tricked into fetching its credentials.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nimbus.api.metadata.rendering import (
    Missing,
    camel,
    etag_of,
    is_directory,
    leaf_text,
    listing,
    navigate,
)
from nimbus.core.errors import NimbusError
from nimbus.services.compute.metadata_server import VERBATIM, Caller, MetadataService

PREFIX = "/computeMetadata/v1/"
_FLAVOR = {"Metadata-Flavor": "Google"}
_POLL_SECONDS = 0.5
_MAX_WAIT_SECONDS = 3600


def metadata_app(service: MetadataService, network_id: int) -> Starlette:
    async def handle(request: Request) -> Response:
        refused = _refusal(request)
        if refused is not None:
            return refused
        path = request.url.path
        if path in ("/", "/computeMetadata", "/computeMetadata/"):
            return _text("computeMetadata/\n" if path == "/" else "v1/\n")
        if not path.startswith(PREFIX) and path != PREFIX.rstrip("/"):
            return _not_found()
        client = request.client.host if request.client else ""
        caller = await asyncio.to_thread(service.identify, network_id, client)
        if caller is None:
            return _not_found()
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        try:
            if request.method in ("PUT", "DELETE"):
                return await _guest_attribute(service, caller, request, parts)
            if (
                parts[-2:-1]
                and parts[-1] == "token"
                and parts[:2] == ["instance", "service-accounts"]
            ):
                token = await asyncio.to_thread(service.token, caller, parts[2])
                return _json(token.body())
            if parts[-1:] == ["identity"] and parts[:2] == ["instance", "service-accounts"]:
                return await _identity(service, caller, request, parts[2])
            return await _read(service, caller, request, parts, path.endswith("/"))
        except (Missing, NimbusError):
            return _not_found()

    methods = ["GET", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])


def _refusal(request: Request) -> Response | None:
    if "x-forwarded-for" in request.headers:
        return _text("Request denied: a request with X-Forwarded-For is not served.\n", 403)
    if request.headers.get("metadata-flavor", "").lower() != "google":
        return _text(
            f"Your client does not have permission to get URL {request.url.path} from this "
            "server. Missing Metadata-Flavor:Google header.\n",
            403,
        )
    return None


async def _read(
    service: MetadataService, caller: Caller, request: Request, parts: list[str], slash: bool
) -> Response:
    query = request.query_params
    recursive = query.get("recursive", "").lower() == "true"
    alt = query.get("alt", "")

    def render() -> tuple[bytes, str]:
        guest = parts[:2] == ["instance", "guest-attributes"]
        node = navigate(service.tree(caller, guest_attributes=guest), parts)
        if recursive or (alt == "json" and not slash):
            if alt == "text" and not is_directory(node):
                return leaf_text(parts[-1] if parts else "", node).encode(), "application/text"
            if not is_directory(node) and not recursive:
                return orjson.dumps(node), "application/json"
            verbatim = bool(parts) and parts[-1] in VERBATIM
            return orjson.dumps(camel(node, verbatim)), "application/json"
        if is_directory(node):
            if not slash and parts:
                raise _Redirect
            return listing(node).encode(), "application/text"
        return leaf_text(parts[-1] if parts else "", node).encode(), "application/text"

    waiting = query.get("wait_for_change", "").lower() == "true"
    # Read before rendering: a change in between then shows as a new stamp, never lost.
    stamp = await asyncio.to_thread(service.stamp, caller) if waiting else ()
    try:
        body, kind = await asyncio.to_thread(render)
    except _Redirect:
        return RedirectResponse(f"{request.url.path}/", status_code=301, headers=_FLAVOR)
    etag = etag_of(body)
    if waiting:
        target = query.get("last_etag") or etag
        timeout = min(float(query.get("timeout_sec") or _MAX_WAIT_SECONDS), _MAX_WAIT_SECONDS)
        deadline = time.monotonic() + timeout
        while etag == target and time.monotonic() < deadline:
            await asyncio.sleep(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            # The whole tree is rendered again only when something it shows has changed.
            latest = await asyncio.to_thread(service.stamp, caller)
            if latest != stamp:
                stamp = latest
                body, kind = await asyncio.to_thread(render)
                etag = etag_of(body)
    return Response(body, media_type=kind, headers={**_FLAVOR, "ETag": etag})


async def _identity(
    service: MetadataService, caller: Caller, request: Request, account: str
) -> Response:
    audience = request.query_params.get("audience", "")
    if not audience:
        return _text("non-empty audience parameter required\n", 400)
    full = request.query_params.get("format", "standard") == "full"
    token = await asyncio.to_thread(service.identity, caller, account, audience, full)
    return _text(token)


async def _guest_attribute(
    service: MetadataService, caller: Caller, request: Request, parts: list[str]
) -> Response:
    if len(parts) != 4 or parts[:2] != ["instance", "guest-attributes"]:
        return _text("Only guest-attributes/NAMESPACE/KEY can be written.\n", 403)
    if request.method == "DELETE":
        await asyncio.to_thread(service.delete_guest_attribute, caller, parts[2], parts[3])
    else:
        value = (await request.body()).decode("utf-8", errors="replace")
        await asyncio.to_thread(service.put_guest_attribute, caller, parts[2], parts[3], value)
    return _text("")


class _Redirect(Exception):
    pass


def _text(text: str, status: int = 200) -> Response:
    return PlainTextResponse(
        text, status_code=status, headers=_FLAVOR, media_type="application/text"
    )


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json", headers=_FLAVOR)


def _not_found() -> Response:
    return _text("Not Found\n", 404)
