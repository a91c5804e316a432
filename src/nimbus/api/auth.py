"""Who is calling: the bearer token checked against the store, on every request.

Without credentials a call is anonymous (it matches only ``allUsers`` bindings),
unless the server runs with ``--allow-anonymous``, which makes such calls act as the
configured principal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from nimbus.api.deps import quick
from nimbus.core.errors import InsufficientScopes, Unauthenticated
from nimbus.services.caller import ANONYMOUS, Caller

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
CLOUD_PLATFORM_READ_ONLY = "https://www.googleapis.com/auth/cloud-platform.read-only"


def base_url(request: Request) -> str:
    """The URL the caller reached this server at, for the links in resources.

    Starlette builds it anew for each request (a URL parsed from the scope, 5 µs, a
    twentieth of a listing); the few ways clients name the server are remembered."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    key = (
        scope.get("scheme"),
        host,
        scope.get("server"),
        scope.get("root_path"),
        scope.get("app_root_path"),
    )
    known = _BASE_URLS.get(key)
    if known is None:
        known = str(request.base_url).rstrip("/")
        # The Host header is the caller's to choose: only so many are remembered.
        if len(_BASE_URLS) < _BASE_URLS_KEPT:
            _BASE_URLS[key] = known
    return known


_BASE_URLS: dict[tuple[object, ...], str] = {}
_BASE_URLS_KEPT = 256


def jwt_audiences(request: Request) -> set[str]:
    """The audiences a self-signed JWT may name to be used against this server."""
    cloud = request.app.state.cloud
    return {base_url(request), cloud.settings.public_url}


def anonymous_caller(request: Request) -> Caller:
    """Who a call without credentials acts as."""
    principal = request.app.state.cloud.settings.anonymous_principal
    return Caller(principal=principal) if principal else ANONYMOUS


async def current_caller(request: Request) -> Caller:
    header = request.headers.get("authorization")
    cloud = request.app.state.cloud
    if not header:
        return anonymous_caller(request)
    token = bearer_token(header)
    if token is None:
        raise Unauthenticated(
            "Request had invalid authentication credentials. Expected OAuth 2 access token."
        )
    return await quick(request, cloud.tokens.authenticate, token, jwt_audiences(request))


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header; None for any other kind."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_scope(caller: Caller, accepted: frozenset[str]) -> None:
    """A token limited by scopes must carry one that the API accepts."""
    if caller.scopes and caller.scopes.isdisjoint(accepted):
        raise InsufficientScopes("Request had insufficient authentication scopes.")


def scopes(*names: str, read_only: bool = False) -> frozenset[str]:
    """The scopes an API method accepts: its own plus cloud-platform."""
    accepted = {CLOUD_PLATFORM, *(f"https://www.googleapis.com/auth/{n}" for n in names)}
    if read_only:
        accepted.add(CLOUD_PLATFORM_READ_ONLY)
    return frozenset(accepted)


def authenticated(accepted: frozenset[str]) -> Callable[[Request], Awaitable[Caller]]:
    """A FastAPI dependency: the caller, once their token's scopes admit this API."""

    async def dependency(request: Request) -> Caller:
        caller = await current_caller(request)
        require_scope(caller, accepted)
        return caller

    return dependency
