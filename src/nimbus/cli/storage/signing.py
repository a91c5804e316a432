"""V4 signed URLs (GOOG4-RSA-SHA256), made with a service account's key file.

The canonical request, string to sign and query follow Google's "V4 signing process":
the resource is ``/BUCKET/OBJECT`` on the endpoint's host, the only signed header is
``host`` unless more are asked for, and the payload is unsigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from nimbus.cli.failures import CliError

ALGORITHM = "GOOG4-RSA-SHA256"
MAX_SECONDS = 7 * 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class SigningKey:
    email: str
    private_key_pem: str


@dataclass(frozen=True)
class SignRequest:
    endpoint: str
    bucket: str
    name: str
    method: str = "GET"
    seconds: int = 3600
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    region: str = "auto"


def parse_duration(text: str) -> int:
    """``3600``, ``90s``, ``10m``, ``1h``, ``7d`` (at most seven days, as Google allows)."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else "s"
    number = value[:-1] if value[-1:] in _UNITS else value
    if not number.isdigit() or int(number) <= 0:
        raise CliError(f"argument --duration: [{text}] is not a duration such as 10m, 1h or 7d.")
    seconds = int(number) * _UNITS[unit]
    if seconds > MAX_SECONDS:
        raise CliError("argument --duration: a signed URL can be valid for at most 7 days.")
    return seconds


def canonical_resource(bucket: str, name: str) -> str:
    return f"/{bucket}/{quote(name.encode(), safe=b'/~')}"


def _encode(value: str) -> str:
    return quote(value, safe="~")


def _headers(request: SignRequest) -> list[tuple[str, str]]:
    headers: dict[str, str] = {}
    for key, value in request.headers.items():
        headers[key.strip().lower()] = " ".join(value.split())
    headers.setdefault("host", urlsplit(request.endpoint).netloc)
    return sorted(headers.items())


def signed_url(request: SignRequest, key: SigningKey, now: dt.datetime) -> str:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{stamp[:8]}/{request.region}/storage/goog4_request"
    headers = _headers(request)
    signed_headers = ";".join(name for name, _ in headers)
    query = {
        **request.query,
        "X-Goog-Algorithm": ALGORITHM,
        "X-Goog-Credential": f"{key.email}/{scope}",
        "X-Goog-Date": stamp,
        "X-Goog-Expires": str(request.seconds),
        "X-Goog-SignedHeaders": signed_headers,
    }
    canonical_query = "&".join(sorted(f"{_encode(k)}={_encode(v)}" for k, v in query.items()))
    resource = canonical_resource(request.bucket, request.name)
    canonical_request = "\n".join(
        [
            request.method,
            resource,
            canonical_query,
            "".join(f"{name}:{value}\n" for name, value in headers),
            signed_headers,
            "UNSIGNED-PAYLOAD",
        ]
    )
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    string_to_sign = "\n".join([ALGORITHM, stamp, scope, digest])
    signature = _sign(key, string_to_sign.encode()).hex()
    return f"{request.endpoint}{resource}?{canonical_query}&X-Goog-Signature={signature}"


def _sign(key: SigningKey, message: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        private = serialization.load_pem_private_key(key.private_key_pem.encode(), None)
    except (ValueError, TypeError) as exc:
        raise CliError(f"The private key of [{key.email}] is not a usable PEM key.") from exc
    if not isinstance(private, rsa.RSAPrivateKey):
        raise CliError(f"The private key of [{key.email}] is not an RSA key.")
    return private.sign(message, padding.PKCS1v15(), hashes.SHA256())
