"""V4 signed requests (``X-Goog-Signature`` in the query string), checked exactly as
Cloud Storage defines them. No HTTP here: the API hands over the method, the path,
the query pairs and the headers as they arrived.

    canonical request = METHOD \\n URI \\n QUERY \\n HEADERS \\n SIGNED-HEADERS \\n PAYLOAD
    string to sign    = ALGORITHM \\n X-Goog-Date \\n SCOPE \\n hex(sha256(canonical request))
    scope             = DATE/LOCATION/storage/goog4_request

``GOOG4-RSA-SHA256`` signatures are checked (PKCS#1 v1.5, SHA-256) against the
certificates of the signing account's enabled keys; ``GOOG4-HMAC-SHA256`` ones are
recomputed with the ACTIVE HMAC key the credential names. Either way a valid request
acts as that service account and still needs IAM permission for what it does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from nimbus.core.clock import Clock
from nimbus.services.caller import Caller
from nimbus.services.storage.errors import ExpiredToken, MalformedSignature, SignatureDoesNotMatch
from nimbus.services.storage.hmac_keys import SigningSecret
from nimbus.services.storage.signatures_v2 import is_v2, v2_signer
from nimbus.services.storage.signed_requests import (
    SIGNATURE,
    Certificates,
    SignedRequest,
    rsa_signed,
    signed_header_values,
)

RSA = "GOOG4-RSA-SHA256"
HMAC = "GOOG4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_EXPIRES = 7 * 24 * 3600
# A request dated further ahead than this is refused (clocks drift, not by hours).
SKEW = dt.timedelta(minutes=15)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your Google secret key and signing method."
)


@dataclass(frozen=True)
class V4Params:
    """The ``X-Goog-*`` parameters of a signed request, parsed and checked for form."""

    algorithm: str
    signer: str  # a service account's email, or an HMAC access id
    scope: str
    location: str
    timestamp: str
    issued: dt.datetime
    expires: int
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def expiry(self) -> dt.datetime:
        return self.issued + dt.timedelta(seconds=self.expires)


def split_credential(credential: str) -> tuple[str, str, list[str]] | None:
    """``ID/DATE/LOCATION/storage/goog4_request`` as the signer, the scope and the
    scope's four parts; None if it is not of that form."""
    signer, _, scope = credential.partition("/")
    parts = scope.split("/")
    if not signer or len(parts) != 4 or parts[2:] != ["storage", "goog4_request"]:
        return None
    return signer, scope, parts


def parse_params(request: SignedRequest) -> V4Params:
    """Raise ``MalformedSignature`` for anything missing or out of form."""
    values: dict[str, str] = {}
    for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature"):
        value = request.param(f"X-Goog-{name}")
        if not value:
            raise MalformedSignature(f"Missing required query parameter X-Goog-{name}.")
        values[name.lower()] = value
    algorithm = values["algorithm"]
    if algorithm not in (RSA, HMAC):
        raise MalformedSignature(f"Unsupported X-Goog-Algorithm '{algorithm}'.")
    credential = split_credential(values["credential"])
    if credential is None:
        raise MalformedSignature(
            "X-Goog-Credential must be ID/DATE/LOCATION/storage/goog4_request."
        )
    signer, scope, parts = credential
    try:
        issued = dt.datetime.strptime(values["date"], _DATE_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise MalformedSignature("X-Goog-Date must be of the form YYYYMMDDTHHMMSSZ.") from exc
    if parts[0] != values["date"][:8]:
        raise MalformedSignature("The date of X-Goog-Credential is not that of X-Goog-Date.")
    expires = values["expires"]
    if not expires.isdigit() or not 1 <= int(expires) <= MAX_EXPIRES:
        raise MalformedSignature(
            f"X-Goog-Expires must be a number of seconds from 1 to {MAX_EXPIRES} (7 days)."
        )
    signed_headers = tuple(values["signedheaders"].split(";"))
    if "host" not in signed_headers or any(h != h.strip().lower() for h in signed_headers):
        raise MalformedSignature(
            "X-Goog-SignedHeaders must list lowercase header names, including host."
        )
    return V4Params(
        algorithm=algorithm,
        signer=signer,
        scope=scope,
        location=parts[1],
        timestamp=values["date"],
        issued=issued,
        expires=int(expires),
        signed_headers=signed_headers,
        signature=values["signature"].lower(),
    )


def canonical_queries(query: Iterable[tuple[str, str]]) -> list[str]:
    """The canonical query string: every parameter but the signature, encoded, sorted.

    Google sorts by name, then value; the official Python client sorts the encoded
    ``name=value`` strings. They differ only when one name prefixes another, and the
    parameters are the same either way, so both orders are accepted.
    """
    pairs = [
        (quote(name, safe="~"), quote(value, safe="~"))
        for name, value in query
        if name.lower() != SIGNATURE
    ]
    by_name = "&".join(f"{n}={v}" for n, v in sorted(pairs))
    by_text = "&".join(sorted(f"{n}={v}" for n, v in pairs))
    return [by_name] if by_name == by_text else [by_name, by_text]


def canonical_requests(request: SignedRequest, params: V4Params) -> list[str]:
    """Every form of the canonical request this request may have been signed as."""
    values = signed_header_values(request.headers, params.signed_headers)
    headers = "".join(f"{name}:{values[name]}\n" for name in sorted(values))
    payload = values.get("x-goog-content-sha256") or UNSIGNED_PAYLOAD
    return [
        "\n".join([request.method, uri, query, headers, ";".join(params.signed_headers), payload])
        for uri in request.path_forms
        for query in canonical_queries(request.query)
    ]


def string_to_sign(params: V4Params, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return "\n".join([params.algorithm, params.timestamp, params.scope, digest])


def hmac_signing_key(secret: str, date: str, location: str) -> bytes:
    """``GOOG4`` + secret, then HMAC-SHA256 through date, location, service, request type."""
    key = ("GOOG4" + secret).encode()
    for part in (date, location, "storage", "goog4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class HmacSecrets(Protocol):
    """Where HMAC signatures are checked from (``storage.hmac_keys.HmacKeys``)."""

    def signing_secret(self, access_id: str) -> SigningSecret | None: ...


def hmac_signer(
    secrets: HmacSecrets,
    access_id: str,
    date: str,
    location: str,
    signature: str,
    candidates: list[str],
) -> str | None:
    """The account of HMAC key ``access_id`` if ``signature`` (hex) is its secret's
    signature, under the credential scope's date and location, of one of
    ``candidates``; else None. Signed URLs and POST policies are checked by it."""
    secret = secrets.signing_secret(access_id)
    if secret is None:
        return None
    key = hmac_signing_key(secret.secret, date, location)
    for candidate in candidates:
        expected = hmac.new(key, candidate.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            return secret.service_account_email
    return None


class SignedUrls:
    def __init__(self, keys: Certificates, hmac_keys: HmacSecrets, clock: Clock) -> None:
        self.keys = keys
        self.hmac_keys = hmac_keys
        self.clock = clock

    def authenticate(self, request: SignedRequest) -> Caller:
        """The service account a valid, unexpired signed request acts as.

        Raises ``MalformedSignature`` (400), ``ExpiredToken`` (400) or
        ``SignatureDoesNotMatch`` (403); which key, account or check failed is not
        told, as on Google.
        """
        now = self.clock.now()
        if is_v2(request) and request.param(SIGNATURE) is None:
            email = v2_signer(request, self.keys, now)
            if email is None:
                raise SignatureDoesNotMatch(_MISMATCH)
            return Caller(principal=f"serviceAccount:{email}")
        params = parse_params(request)
        if now >= params.expiry:
            raise ExpiredToken(f"Request has expired: {params.expiry.isoformat()}.")
        if params.issued > now + SKEW:
            raise MalformedSignature("X-Goog-Date is in the future.")
        canonical = canonical_requests(request, params)
        candidates = [string_to_sign(params, c) for c in canonical]
        if params.algorithm == RSA:
            email = self._rsa_signer(params, candidates)
        else:
            email = hmac_signer(
                self.hmac_keys,
                params.signer,
                params.timestamp[:8],
                params.location,
                params.signature,
                candidates,
            )
        if email is None:
            raise SignatureDoesNotMatch(
                _MISMATCH, string_to_sign=candidates[0], canonical_request=canonical[0]
            )
        return Caller(principal=f"serviceAccount:{email}")

    def _rsa_signer(self, params: V4Params, candidates: list[str]) -> str | None:
        try:
            signature = bytes.fromhex(params.signature)
        except ValueError:
            return None
        signed = rsa_signed(self.keys, params.signer, signature, candidates)
        return params.signer if signed else None
