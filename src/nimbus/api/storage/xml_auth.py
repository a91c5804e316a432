"""Who makes an XML API request: the signer of a signed URL, else the bearer token's
principal, else the public."""

from __future__ import annotations

from fastapi import Request

from nimbus.api.auth import current_caller, require_scope
from nimbus.api.deps import call, cloud_of
from nimbus.services.caller import Caller
from nimbus.services.storage.signed_requests import SignedRequest


async def xml_caller(request: Request, accepted: frozenset[str]) -> Caller:
    signed = SignedRequest.of(
        request.method,
        request.scope["path"],
        request.query_params.multi_items(),
        request.headers.items(),
        raw_path=bytes(request.scope.get("raw_path") or b"").decode("latin-1") or None,
    )
    if signed.is_signed:
        return await call(cloud_of(request).signed_urls.authenticate, signed)
    caller = await current_caller(request)
    require_scope(caller, accepted)
    return caller
