"""The token endpoint google-auth talks to, and the public halves of account keys.

Token-endpoint errors use OAuth's own shape (``{"error", "error_description"}``),
which is what google-auth parses; every other error is Google's API error body.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, base_url, scopes
from nimbus.api.body import parse_body, read_limited
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.services.caller import Caller
from nimbus.services.iam.tokens import GOOGLE_TOKEN_AUDIENCES, JWT_BEARER, IssuedToken, OAuthError
from nimbus.wire.base import WireRequest

router = APIRouter()
TOKEN_PATHS = ("/token", "/oauth2/v4/token", "/o/oauth2/token")


class MintUserCredentialsRequest(WireRequest):
    email: str
    scopes: list[str] | None = None


async def token(request: Request) -> Response:
    try:
        form = await _form(request)
        issued = await _grant(request, form)
    except OAuthError as exc:
        return json_response(
            {"error": exc.error, "error_description": exc.description}, status_code=exc.status
        )
    return json_response(
        {
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "scope": issued.scope,
            "token_type": issued.token_type,
        },
        headers={"Cache-Control": "no-store"},
    )


for _path in TOKEN_PATHS:
    router.add_api_route(_path, token, methods=["POST"])


async def _form(request: Request) -> dict[str, str]:
    raw = await read_limited(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise OAuthError("invalid_request", "The request body is not valid JSON.") from exc
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


async def _grant(request: Request, form: dict[str, str]) -> IssuedToken:
    tokens = cloud_of(request).tokens
    grant = form.get("grant_type", "")
    if grant == JWT_BEARER:
        audiences = (
            GOOGLE_TOKEN_AUDIENCES
            | {base_url(request) + path for path in TOKEN_PATHS}
            | {cloud_of(request).settings.public_url + path for path in TOKEN_PATHS}
        )
        return await call(tokens.grant_jwt_bearer, form.get("assertion", ""), audiences)
    if grant == "refresh_token":
        return await call(
            tokens.grant_refresh_token,
            form.get("refresh_token", ""),
            form.get("client_id", ""),
            form.get("client_secret", ""),
            form.get("scope") or None,
        )
    raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant}")


@router.post("/revoke")
@router.post("/o/oauth2/revoke")
async def revoke(request: Request) -> Response:
    form = await _form(request)
    token_value = form.get("token") or request.query_params.get("token", "")
    await call(cloud_of(request).tokens.revoke, token_value)
    return json_response({})


@router.get("/service_accounts/v1/metadata/x509/{email}")
async def account_certificates(email: str, request: Request) -> Response:
    """Public, as on Google: verifiers fetch an account's certificates by its email."""
    return json_response(await call(cloud_of(request).keys.public_certificates, email))


@router.get("/oauth2/v3/certs")
async def id_token_keys(request: Request) -> Response:
    """The public keys of the ID tokens instances get (JWKS), as Google serves them."""
    return json_response(await call(cloud_of(request).id_tokens.jwks))


@router.get("/oauth2/v1/certs")
async def id_token_certificates(request: Request) -> Response:
    return json_response(await call(cloud_of(request).id_tokens.certificates))


@router.post("/nimbus/v1/userCredentials")
async def mint_user_credentials(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated(scopes()))],
) -> Response:
    """Nimbus's own: an ``authorized_user`` credentials file for a person (owner only)."""
    body = await parse_body(request, MintUserCredentialsRequest)
    minted = await call(
        cloud_of(request).user_credentials.mint, caller, body.email, body.scopes, base_url(request)
    )
    return json_response(minted)
