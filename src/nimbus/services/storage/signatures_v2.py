"""V2 signed URLs (``GoogleAccessId``, ``Expires``, ``Signature`` in the query string),
the form google-cloud-storage makes when no version is asked for.

    string to sign = METHOD \\n Content-MD5 \\n Content-Type \\n Expires \\n
                     x-goog-* headers, one "name:value\\n" each, sorted
                     /bucket/object[?signed query]

The signature is RSA PKCS#1 v1.5 over SHA-256 by one of the account's keys, in
base64. Which query parameters a signer folded into the resource is not told, so the
resource is tried bare and with the request's other parameters.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from urllib.parse import urlencode

from nimbus.services.storage.errors import ExpiredToken, MalformedSignature
from nimbus.services.storage.signed_requests import (
    Certificates,
    SignedRequest,
    rsa_signed,
    signed_header_values,
)

ACCESS_ID = "googleaccessid"
# Parameters a V2 URL carries beside what was signed into its resource.
_OUTSIDE_RESOURCE = {
    ACCESS_ID,
    "expires",
    "signature",
    "response-content-type",
    "response-content-disposition",
    "generation",
}
# Extension headers never signed in V2 (Google's canonical extension headers leave the
# customer key and its hash out; only the algorithm is signed).
_UNSIGNED_HEADERS = {
    "x-goog-encryption-key",
    "x-goog-encryption-key-sha256",
    "x-goog-copy-source-encryption-key",
    "x-goog-copy-source-encryption-key-sha256",
}


def is_v2(request: SignedRequest) -> bool:
    return request.param("GoogleAccessId") is not None or request.param("Signature") is not None


def strings_to_sign(request: SignedRequest, expires: str) -> list[str]:
    """Every string the signer may have signed for this request."""
    extension = tuple(
        dict.fromkeys(
            name.strip().lower()
            for name, _ in request.headers
            if name.strip().lower().startswith("x-goog-")
            and name.strip().lower() not in _UNSIGNED_HEADERS
        )
    )
    values = signed_header_values(request.headers, extension)
    headers = "".join(f"{name}:{values[name]}\n" for name in sorted(values))
    header = {name.lower(): value for name, value in request.headers}
    head = "\n".join(
        [request.method, header.get("content-md5", ""), header.get("content-type", ""), expires]
    )
    signed_query = sorted(
        (name.lower(), value.strip())
        for name, value in request.query
        if name.lower() not in _OUTSIDE_RESOURCE
    )
    resources = [
        resource
        for path in request.path_forms
        for resource in ([path, f"{path}?{urlencode(signed_query)}"] if signed_query else [path])
    ]
    return [f"{head}\n{headers}{resource}" for resource in resources]


def v2_signer(request: SignedRequest, keys: Certificates, now: dt.datetime) -> str | None:
    """The account email whose key signed this V2 request, or None if none did.

    Raises ``MalformedSignature`` (400) or ``ExpiredToken`` (400)."""
    access_id = request.param("GoogleAccessId")
    expires = request.param("Expires")
    signature_text = request.param("Signature")
    if not access_id or not expires or not signature_text:
        raise MalformedSignature("A V2 signed URL needs GoogleAccessId, Expires and Signature.")
    if not expires.isdigit():
        raise MalformedSignature("Expires must be a number of seconds since the epoch.")
    if now.timestamp() >= int(expires):
        raise ExpiredToken(f"Request has expired: {expires}.")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    candidates = strings_to_sign(request, expires)
    return access_id if rsa_signed(keys, access_id, signature, candidates) else None
