"""V4 signature checks, against URLs signed by google-cloud-storage's own signer."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from google.cloud.storage._signing import generate_signed_url_v4
from google.oauth2 import service_account

from nimbus.services.iam.keys_crypto import new_key_material
from nimbus.services.storage.errors import (
    ExpiredToken,
    MalformedSignature,
    SignatureDoesNotMatch,
)
from nimbus.services.storage.hmac_keys import SigningSecret
from nimbus.services.storage.signatures import SignedUrls, canonical_queries, hmac_signing_key
from nimbus.services.storage.signed_requests import (
    SignedRequest,
    canonical_uri,
    signed_header_values,
)

EMAIL = "signer@demo.iam.gserviceaccount.com"
ENDPOINT = "http://127.0.0.1:8080"
SIGNED_AT = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)
TIMESTAMP = SIGNED_AT.strftime("%Y%m%dT%H%M%SZ")


class FixedClock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment


class FakeKeys:
    def __init__(self, certificates: dict[str, list[str]]) -> None:
        self.certificates = certificates

    def signing_certificates(self, email: str) -> list[str]:
        return self.certificates.get(email, [])


class FakeHmacKeys:
    def __init__(self, secrets: dict[str, SigningSecret]) -> None:
        self.secrets = secrets

    def signing_secret(self, access_id: str) -> SigningSecret | None:
        return self.secrets.get(access_id)


@pytest.fixture(scope="module")
def credentials_and_certificate() -> tuple[service_account.Credentials, str]:
    material = new_key_material(EMAIL, SIGNED_AT - dt.timedelta(days=1))
    info = {
        "type": "service_account",
        "client_email": EMAIL,
        "private_key": material.private_key_pem,
        "private_key_id": "k1",
        "token_uri": f"{ENDPOINT}/token",
    }
    return service_account.Credentials.from_service_account_info(info), material.certificate_pem


def _sign(
    credentials: service_account.Credentials, resource: str, method: str = "GET", **extra: object
) -> str:
    url: str = generate_signed_url_v4(
        credentials,
        resource,
        expiration=900,
        api_access_endpoint=ENDPOINT,
        method=method,
        _request_timestamp=TIMESTAMP,
        **extra,
    )
    return url


def _request(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> SignedRequest:
    parts = urlsplit(url)
    sent = [("host", parts.netloc), *(headers or {}).items()]
    return SignedRequest.of(
        method, unquote(parts.path), parse_qsl(parts.query, keep_blank_values=True), sent
    )


def _service(certificate: str, at: dt.datetime = SIGNED_AT) -> SignedUrls:
    return SignedUrls(FakeKeys({EMAIL: [certificate]}), FakeHmacKeys({}), FixedClock(at))


def test_rsa_signed_urls_of_the_official_client_verify(
    credentials_and_certificate: tuple[service_account.Credentials, str],
) -> None:
    credentials, certificate = credentials_and_certificate
    service = _service(certificate, SIGNED_AT + dt.timedelta(minutes=5))
    for name in ("plain.txt", "dir/with%20space.txt", "%C3%BCn%C3%AFc%C3%B8d%C3%A9/~x", "a%2Bb"):
        url = _sign(credentials, f"/bucket/{name}")
        assert service.authenticate(_request(url)).principal == f"serviceAccount:{EMAIL}"
    put = _sign(credentials, "/bucket/o", "PUT", content_type="text/plain")
    assert service.authenticate(_request(put, "PUT", {"Content-Type": "text/plain"}))
    with pytest.raises(SignatureDoesNotMatch):
        service.authenticate(_request(put, "PUT", {"Content-Type": "text/html"}))
    with pytest.raises(SignatureDoesNotMatch):
        service.authenticate(_request(put, "POST", {"Content-Type": "text/plain"}))


def test_tampering_and_expiry(
    credentials_and_certificate: tuple[service_account.Credentials, str],
) -> None:
    credentials, certificate = credentials_and_certificate
    url = _sign(credentials, "/bucket/object")
    with pytest.raises(SignatureDoesNotMatch):
        _service(certificate).authenticate(_request(url.replace("/object", "/objecu")))
    with pytest.raises(SignatureDoesNotMatch):
        _service(certificate).authenticate(_request(url + "&generation=2"))
    with pytest.raises(SignatureDoesNotMatch):
        _service(certificate).authenticate(_request(url.replace("Expires=900", "Expires=901")))
    other = new_key_material(EMAIL, SIGNED_AT).certificate_pem
    with pytest.raises(SignatureDoesNotMatch):
        _service(other).authenticate(_request(url))
    with pytest.raises(ExpiredToken):
        _service(certificate, SIGNED_AT + dt.timedelta(seconds=900)).authenticate(_request(url))
    with pytest.raises(MalformedSignature):
        _service(certificate, SIGNED_AT - dt.timedelta(hours=1)).authenticate(_request(url))


@pytest.mark.parametrize(
    ("replace", "by"),
    [
        ("X-Goog-Algorithm=GOOG4-RSA-SHA256", "X-Goog-Algorithm=AWS4-HMAC-SHA256"),
        ("X-Goog-Expires=900", "X-Goog-Expires=604801"),
        ("X-Goog-Expires=900", "X-Goog-Expires=-1"),
        ("X-Goog-SignedHeaders=host", "X-Goog-SignedHeaders=content-type"),
        (f"X-Goog-Date={TIMESTAMP}", "X-Goog-Date=20300102T120000Z"),
        ("%2Fauto%2Fstorage%2F", "%2Fauto%2Fs3%2F"),
        ("&X-Goog-Signature=", "&X-Goog-Sig="),
    ],
)
def test_malformed_parameters(
    credentials_and_certificate: tuple[service_account.Credentials, str], replace: str, by: str
) -> None:
    credentials, certificate = credentials_and_certificate
    url = _sign(credentials, "/bucket/object")
    assert replace in url
    with pytest.raises(MalformedSignature):
        _service(certificate).authenticate(_request(url.replace(replace, by)))


def test_hmac_signatures_verify_only_with_the_secret() -> None:
    secret = "s" * 40
    scope = f"{TIMESTAMP[:8]}/auto/storage/goog4_request"
    query = [
        ("X-Goog-Algorithm", "GOOG4-HMAC-SHA256"),
        ("X-Goog-Credential", f"GOOG1EKEY/{scope}"),
        ("X-Goog-Date", TIMESTAMP),
        ("X-Goog-Expires", "60"),
        ("X-Goog-SignedHeaders", "host"),
    ]
    canonical = "\n".join(
        ["GET", "/b/o", canonical_queries(query)[0], "host:h\n", "host", "UNSIGNED-PAYLOAD"]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"GOOG4-HMAC-SHA256\n{TIMESTAMP}\n{scope}\n{digest}"
    key = hmac_signing_key(secret, TIMESTAMP[:8], "auto")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = SignedRequest.of(
        "GET", "/b/o", [*query, ("X-Goog-Signature", signature)], [("Host", "h")]
    )
    known = FakeHmacKeys({"GOOG1EKEY": SigningSecret("sa@p.iam.gserviceaccount.com", secret)})
    service = SignedUrls(FakeKeys({}), known, FixedClock(SIGNED_AT))
    assert service.authenticate(request).principal == "serviceAccount:sa@p.iam.gserviceaccount.com"
    for secrets in ({}, {"GOOG1EKEY": SigningSecret("sa@p", "t" * 40)}):
        with pytest.raises(SignatureDoesNotMatch):
            SignedUrls(FakeKeys({}), FakeHmacKeys(secrets), FixedClock(SIGNED_AT)).authenticate(
                request
            )


def test_canonical_forms() -> None:
    assert canonical_uri("/b/a b/ü~x+y") == "/b/a%20b/%C3%BC~x%2By"
    assert canonical_queries([("b", "2"), ("a", "x y"), ("X-Goog-Signature", "s")]) == [
        "a=x%20y&b=2"
    ]
    assert canonical_queries([("a-b", "1"), ("a", "2")]) == ["a=2&a-b=1", "a-b=1&a=2"]
    values = signed_header_values(
        [("Host", "h"), ("X-Goog-Meta-A", "  one   two "), ("x-goog-meta-a", "3")],
        ("host", "x-goog-meta-a"),
    )
    assert values == {"host": "h", "x-goog-meta-a": "one two,3"}
