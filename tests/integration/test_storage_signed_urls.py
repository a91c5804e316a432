"""V4 and V2 signed URLs and HMAC keys through the official google-cloud-storage client, and
the XML API paths they use, checked over raw HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.cloud.storage import _signing
from google.cloud.storage.hmac_key import HMACKeyMetadata
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM
from tests.integration.test_auth import Session, make_account_key
from tests.servers import NimbusServer

FIFTEEN_MINUTES = dt.timedelta(minutes=15)


@dataclass
class Signer:
    credentials: service_account.Credentials
    email: str
    key_id: str


def _signer(server: NimbusServer, owner: Session, project: str) -> Signer:
    info = make_account_key(server, owner, project)
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    return Signer(creds, info["client_email"], info["private_key_id"])


def _grant(bucket: storage.Bucket, member: str, role: str) -> None:
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": role, "members": {member}})
    bucket.set_iam_policy(policy)


@pytest.fixture
def signer(server: NimbusServer, owner: Session, project: str, bucket: storage.Bucket) -> Signer:
    """A service account with a key, holding storage.objectAdmin on the bucket only."""
    made = _signer(server, owner, project)
    _grant(bucket, f"serviceAccount:{made.email}", "roles/storage.objectAdmin")
    return made


def _signed(blob: storage.Blob, server: NimbusServer, signer: Signer, **kwargs: Any) -> str:
    kwargs.setdefault("expiration", FIFTEEN_MINUTES)
    url: str = blob.generate_signed_url(
        version="v4", api_access_endpoint=server.url, credentials=signer.credentials, **kwargs
    )
    return url


def _xml_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith("<?xml version='1.0' encoding='UTF-8'?><Error>")
    found = re.search(r"<Code>([^<]+)</Code>", response.text)
    assert found is not None and found.group(1) == code, response.text
    return response.text


# -- RSA signed URLs ------------------------------------------------------------------------


def test_signed_get_downloads(server: NimbusServer, bucket: storage.Bucket, signer: Signer) -> None:
    data = bytes(range(256)) * 400
    blob = bucket.blob("dir/report final~1.bin")
    blob.upload_from_string(data, content_type="application/x-report")
    url = _signed(blob, server, signer, method="GET")
    assert "X-Goog-Algorithm=GOOG4-RSA-SHA256" in url
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.content == data
    assert response.headers["content-type"] == "application/x-report"
    assert response.headers["x-goog-generation"] == str(blob.generation)
    ranged = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == data[10:20]
    head = httpx.head(_signed(blob, server, signer, method="HEAD"))
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))


def test_signed_get_response_overrides(
    server: NimbusServer, bucket: storage.Bucket, signer: Signer
) -> None:
    blob = bucket.blob("page")
    blob.upload_from_string(b"<p>hi</p>")
    url = _signed(
        blob,
        server,
        signer,
        response_type="text/html",
        response_disposition="attachment; filename=page.html",
    )
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html"
    assert response.headers["content-disposition"] == "attachment; filename=page.html"


def test_signed_put_uploads(server: NimbusServer, bucket: storage.Bucket, signer: Signer) -> None:
    blob = bucket.blob("uploads/new file.txt")
    url = _signed(
        blob, server, signer, method="PUT", content_type="text/plain",
        headers={"x-goog-meta-colour": "blue"},
    )  # fmt: skip
    body = b"uploaded through a signed URL"
    response = httpx.put(
        url, content=body, headers={"Content-Type": "text/plain", "x-goog-meta-colour": "blue"}
    )
    assert response.status_code == 200, response.text
    stored = bucket.get_blob("uploads/new file.txt")
    assert stored is not None
    assert stored.download_as_bytes() == body
    assert stored.content_type == "text/plain"
    assert stored.metadata == {"colour": "blue"}
    assert response.headers["x-goog-generation"] == str(stored.generation)
    assert f"md5={stored.md5_hash}" in response.headers["x-goog-hash"]
    assert response.headers["etag"] == f'"{hashlib.md5(body).hexdigest()}"'  # as the XML API


def test_signed_put_large_body_and_generation_match(
    server: NimbusServer, bucket: storage.Bucket, signer: Signer
) -> None:
    blob = bucket.blob("big.bin")
    body = bytes(range(256)) * 4096  # 1 MiB: streamed to a blob, not inline
    headers = {"x-goog-if-generation-match": "0"}
    url = _signed(blob, server, signer, method="PUT", headers=headers)
    assert httpx.put(url, content=body, headers=headers).status_code == 200
    again = httpx.put(url, content=b"replaced", headers=headers)
    _xml_error(again, 412, "PreconditionFailed")
    assert bucket.blob("big.bin").download_as_bytes() == body


def test_signed_delete(server: NimbusServer, bucket: storage.Bucket, signer: Signer) -> None:
    blob = bucket.blob("doomed")
    blob.upload_from_string(b"x")
    assert httpx.delete(_signed(blob, server, signer, method="DELETE")).status_code == 204
    assert bucket.get_blob("doomed") is None
    missing = httpx.get(_signed(blob, server, signer))
    _xml_error(missing, 404, "NoSuchKey")


def test_expired_url_is_refused(
    server: NimbusServer,
    bucket: storage.Bucket,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blob = bucket.blob("old")
    blob.upload_from_string(b"old news")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    monkeypatch.setattr(_signing, "_NOW", lambda tz=None: an_hour_ago)
    url = _signed(blob, server, signer, expiration=FIFTEEN_MINUTES)
    monkeypatch.undo()
    _xml_error(httpx.get(url), 400, "ExpiredToken")
    put_url = _signed(blob, server, signer, method="PUT", expiration=dt.timedelta(seconds=-60))
    _xml_error(httpx.put(put_url, content=b"new"), 400, "AuthorizationQueryParametersError")
    assert bucket.blob("old").download_as_bytes() == b"old news"


def _replace_param(url: str, name: str, value: str) -> str:
    return re.sub(rf"([?&]{name}=)[^&]*", lambda m: m.group(1) + value, url)


def test_tampered_urls_are_refused(
    server: NimbusServer, bucket: storage.Bucket, signer: Signer
) -> None:
    bucket.blob("report.txt").upload_from_string(b"real")
    bucket.blob("report.txu").upload_from_string(b"other")
    get_url = _signed(bucket.blob("report.txt"), server, signer)
    assert httpx.get(get_url).content == b"real"
    signature = re.search(r"X-Goog-Signature=([0-9a-f]+)", get_url)
    assert signature is not None
    flipped = "0" if signature.group(1)[-1] != "0" else "1"
    tampered = {
        "object name": get_url.replace("report.txt", "report.txu"),
        "expiry": _replace_param(get_url, "X-Goog-Expires", "901"),
        "date": _replace_param(get_url, "X-Goog-Date", "20200101T000000Z"),
        "extra parameter": get_url + "&generation=1",
        "signature": get_url[:-1] + flipped,
    }
    for what, url in tampered.items():
        response = httpx.get(url)
        assert response.status_code in (400, 403), (what, response.text)
        assert response.content not in (b"real", b"other"), what
        if what != "date":  # a date that no longer matches the credential is malformed
            _xml_error(response, 403, "SignatureDoesNotMatch")
    # The method is signed: a GET URL neither writes nor deletes.
    _xml_error(httpx.put(get_url, content=b"overwritten"), 403, "SignatureDoesNotMatch")
    _xml_error(httpx.delete(get_url), 403, "SignatureDoesNotMatch")
    # A signed header must be sent as signed.
    put_url = _signed(
        bucket.blob("report.txt"), server, signer, method="PUT", content_type="text/plain"
    )
    wrong_type = httpx.put(put_url, content=b"overwritten", headers={"Content-Type": "text/html"})
    body = _xml_error(wrong_type, 403, "SignatureDoesNotMatch")
    assert "<CanonicalRequest>PUT\n" in body
    assert bucket.blob("report.txt").download_as_bytes() == b"real"


def test_signer_needs_permission(
    server: NimbusServer, owner: Session, project: str, bucket: storage.Bucket
) -> None:
    bucket.blob("private").upload_from_string(b"secret")
    outsider = _signer(server, owner, project)
    response = httpx.get(_signed(bucket.blob("private"), server, outsider))
    _xml_error(response, 403, "AccessDenied")
    put = httpx.put(_signed(bucket.blob("new"), server, outsider, method="PUT"), content=b"x")
    _xml_error(put, 403, "AccessDenied")
    assert bucket.get_blob("new") is None
    reader = _signer(server, owner, project)
    _grant(bucket, f"serviceAccount:{reader.email}", "roles/storage.objectViewer")
    assert httpx.get(_signed(bucket.blob("private"), server, reader)).content == b"secret"
    put = httpx.put(_signed(bucket.blob("new"), server, reader, method="PUT"), content=b"x")
    _xml_error(put, 403, "AccessDenied")


def test_disabled_account_and_deleted_key_stop_their_urls(
    server: NimbusServer, owner: Session, project: str, bucket: storage.Bucket, signer: Signer
) -> None:
    bucket.blob("f").upload_from_string(b"data")
    url = _signed(bucket.blob("f"), server, signer)
    assert httpx.get(url).status_code == 200
    account = f"{server.url}/v1/projects/{project}/serviceAccounts/{signer.email}"
    assert owner.post(f"{account}:disable", json={}).status_code == 200
    _xml_error(httpx.get(url), 403, "SignatureDoesNotMatch")
    assert owner.post(f"{account}:enable", json={}).status_code == 200
    assert httpx.get(url).status_code == 200
    assert owner.delete(f"{account}/keys/{signer.key_id}").status_code == 200
    _xml_error(httpx.get(url), 403, "SignatureDoesNotMatch")


# -- V2 signed URLs (the client's default version) ------------------------------------------


def _signed_v2(blob: storage.Blob, server: NimbusServer, signer: Signer, **kwargs: Any) -> str:
    kwargs.setdefault("expiration", FIFTEEN_MINUTES)
    url: str = blob.generate_signed_url(
        api_access_endpoint=server.url, credentials=signer.credentials, **kwargs
    )
    assert "GoogleAccessId=" in url and "X-Goog-Signature" not in url
    return url


def test_v2_signed_get_and_put(
    server: NimbusServer, bucket: storage.Bucket, signer: Signer
) -> None:
    blob = bucket.blob("v2/report final~1.txt")
    blob.upload_from_string(b"version two", content_type="text/plain")
    assert httpx.get(_signed_v2(blob, server, signer)).content == b"version two"
    overridden = httpx.get(_signed_v2(blob, server, signer, response_type="text/csv"))
    assert overridden.headers["content-type"] == "text/csv"
    folded = _signed_v2(blob, server, signer, query_parameters={"userProject": "p"})
    assert httpx.get(folded).content == b"version two"

    put_url = _signed_v2(
        bucket.blob("v2/new"), server, signer, method="PUT", content_type="text/plain",
        headers={"x-goog-meta-colour": "blue"},
    )  # fmt: skip
    response = httpx.put(
        put_url,
        content=b"new",
        headers={"Content-Type": "text/plain", "x-goog-meta-colour": "blue"},
    )
    assert response.status_code == 200, response.text
    stored = bucket.get_blob("v2/new")
    assert stored is not None and stored.metadata == {"colour": "blue"}
    assert stored.download_as_bytes() == b"new"


def test_v2_expired_and_tampered_urls_are_refused(
    server: NimbusServer, bucket: storage.Bucket, signer: Signer
) -> None:
    bucket.blob("v2.txt").upload_from_string(b"real")
    bucket.blob("v2.txu").upload_from_string(b"other")
    expired = _signed_v2(bucket.blob("v2.txt"), server, signer, expiration=dt.timedelta(seconds=-5))
    _xml_error(httpx.get(expired), 400, "ExpiredToken")

    url = _signed_v2(bucket.blob("v2.txt"), server, signer)
    expires = re.search(r"Expires=(\d+)", url)
    assert expires is not None
    tampered = {
        "object name": url.replace("v2.txt", "v2.txu"),
        "expiry": _replace_param(url, "Expires", str(int(expires.group(1)) + 60)),
        "signature": _replace_param(url, "Signature", quote("A" * 344)),
        "account": _replace_param(url, "GoogleAccessId", quote("other@x.iam.gserviceaccount.com")),
    }
    for what, bad in tampered.items():
        response = httpx.get(bad)
        assert response.status_code == 403, what
        _xml_error(response, 403, "SignatureDoesNotMatch")
    _xml_error(httpx.put(url, content=b"overwritten"), 403, "SignatureDoesNotMatch")
    put_url = _signed_v2(bucket.blob("v2.txt"), server, signer, method="PUT", content_type="a/b")
    wrong_type = httpx.put(put_url, content=b"overwritten", headers={"Content-Type": "c/d"})
    _xml_error(wrong_type, 403, "SignatureDoesNotMatch")
    assert bucket.blob("v2.txt").download_as_bytes() == b"real"


# -- the XML paths without a signature ----------------------------------------------------------


def test_xml_paths_with_bearer_token_and_anonymous(
    server: NimbusServer,
    owner: Session,
    bucket: storage.Bucket,
) -> None:
    url = f"{server.url}/{bucket.name}/notes/today.txt"
    put = owner.put(
        url, data=b"by token", headers={"Content-Type": "text/plain", "x-goog-meta-by": "owner"}
    )
    assert put.status_code == 200, put.text
    stored = bucket.get_blob("notes/today.txt")
    assert stored is not None and stored.metadata == {"by": "owner"}
    assert owner.get(url).content == b"by token"
    assert owner.get(url, headers={"If-None-Match": put.headers["ETag"]}).status_code == 304
    head = owner.head(url)
    assert head.status_code == 200 and head.headers["x-goog-meta-by"] == "owner"
    _xml_error(httpx.get(url), 403, "AccessDenied")
    _xml_error(owner.get(f"{server.url}/{bucket.name}/nothing"), 404, "NoSuchKey")
    _xml_error(owner.get(f"{server.url}/no-such-bucket-xyz/x"), 404, "NoSuchBucket")
    _grant(bucket, "allUsers", "roles/storage.objectViewer")
    public = httpx.get(url)
    assert public.status_code == 200 and public.content == b"by token"
    _xml_error(httpx.delete(url), 403, "AccessDenied")
    _xml_error(httpx.put(url, content=b"vandal"), 403, "AccessDenied")
    bad_token = httpx.get(url, headers={"Authorization": "Bearer not-a-token"})
    _xml_error(bad_token, 401, "AuthenticationRequired")


def test_xml_paths_shadow_no_other_route(server: NimbusServer, owner: Session) -> None:
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    token = httpx.post(f"{server.url}/token", data={"grant_type": "nonsense"})
    assert token.status_code == 400 and "error" in token.json()
    assert owner.get(f"{server.url}/v1/projects").status_code == 200
    assert httpx.get(f"{server.url}/nimbus/openapi.json").status_code == 200
    # Paths under other APIs keep their JSON answers, even where a bucket could match.
    for method, path in [
        ("PUT", "/v1/projects/x"),
        ("GET", "/healthz/x"),
        ("DELETE", "/token/x"),
        ("GET", "/storage/v1/x"),
        ("PUT", "/compute/v1/projects/x"),
        ("GET", "/nimbus/x"),
    ]:
        response = owner.request(method, f"{server.url}{path}")
        assert response.status_code in (400, 404, 405), (path, response.text)
        assert response.headers["content-type"].startswith("application/json"), path
        assert "error" in response.json(), path


def _keys(document: str) -> list[str]:
    return re.findall(r"<Key>([^<]*)</Key>", document)


def test_xml_listing_signed_and_by_token(
    server: NimbusServer, owner: Session, bucket: storage.Bucket, signer: Signer
) -> None:
    for name in ("a/1.txt", "a/2.txt", "b & c.txt", "d.txt"):
        bucket.blob(name).upload_from_string(name.encode())
    for version in ("v2", "v4"):
        url = bucket.generate_signed_url(
            expiration=FIFTEEN_MINUTES, version=version, api_access_endpoint=server.url,
            credentials=signer.credentials,
        )  # fmt: skip
        listed = httpx.get(url)
        assert listed.status_code == 200, listed.text
        assert listed.headers["content-type"].startswith("application/xml")
        assert _keys(listed.text) == ["a/1.txt", "a/2.txt", "b &amp; c.txt", "d.txt"]
        assert "<IsTruncated>false</IsTruncated>" in listed.text
    _xml_error(httpx.get(f"{server.url}/{bucket.name}"), 403, "AccessDenied")
    _xml_error(owner.get(f"{server.url}/no-such-bucket-{bucket.name}"), 404, "NoSuchBucket")

    grouped = owner.get(f"{server.url}/{bucket.name}", params={"delimiter": "/"}).text
    assert _keys(grouped) == ["b &amp; c.txt", "d.txt"]
    assert "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>" in grouped

    pages, marker = [], ""
    while True:
        page = owner.get(
            f"{server.url}/{bucket.name}",
            params={"max-keys": "2", "marker": marker, "delimiter": "/"},
        ).text
        pages.append(re.findall(r"<(?:Key|Prefix)>([^<]+)</(?:Key|Prefix)>", page))
        found = re.search(r"<NextMarker>([^<]*)</NextMarker>", page)
        if found is None:
            break
        marker = found.group(1).replace("&amp;", "&")
    assert pages == [["b &amp; c.txt", "a/"], ["d.txt"]]
    before_prefix = owner.get(f"{server.url}/{bucket.name}", params={"prefix": "a/", "marker": "0"})
    assert _keys(before_prefix.text) == ["a/1.txt", "a/2.txt"]

    first = owner.get(f"{server.url}/{bucket.name}", params={"list-type": "2", "max-keys": "3"})
    token = re.search(r"<NextContinuationToken>([^<]+)<", first.text)
    assert token is not None and _keys(first.text) == ["a/1.txt", "a/2.txt", "b &amp; c.txt"]
    rest = owner.get(
        f"{server.url}/{bucket.name}",
        params={"list-type": "2", "continuation-token": token.group(1)},
    )
    assert _keys(rest.text) == ["d.txt"] and "<KeyCount>1</KeyCount>" in rest.text
    bad = owner.get(f"{server.url}/{bucket.name}", params={"max-keys": "many"})
    _xml_error(bad, 400, "InvalidArgument")


# -- HMAC keys --------------------------------------------------------------------------------


def test_hmac_key_lifecycle(storage_client: storage.Client, signer: Signer) -> None:
    project = storage_client.project
    metadata, secret = storage_client.create_hmac_key(
        service_account_email=signer.email, project_id=project
    )
    assert re.fullmatch(r"GOOG1E[A-Z0-9]{55}", metadata.access_id)
    assert len(secret) == 40
    assert metadata.state == "ACTIVE" and metadata.service_account_email == signer.email
    assert metadata.project == project and metadata.etag and metadata.time_created
    listed = list(storage_client.list_hmac_keys(project_id=project))
    assert metadata.access_id in {k.access_id for k in listed}
    other = storage_client.list_hmac_keys(
        service_account_email="nobody@example.com", project_id=project
    )
    assert list(other) == []
    fetched = storage_client.get_hmac_key_metadata(metadata.access_id, project_id=project)
    assert fetched.exists()
    fetched.reload()
    assert fetched._properties == metadata._properties
    with pytest.raises(exceptions.BadRequest):
        metadata.delete()
    metadata.state = "INACTIVE"
    metadata.update()
    assert metadata.state == "INACTIVE" and metadata.etag != fetched.etag
    metadata.delete()
    assert not [k for k in storage_client.list_hmac_keys(project_id=project)]
    shown = list(storage_client.list_hmac_keys(project_id=project, show_deleted_keys=True))
    assert [k.state for k in shown] == ["DELETED"]
    missing = HMACKeyMetadata(storage_client, access_id="GOOG1ENOSUCHKEY", project_id=project)
    assert not missing.exists()
    with pytest.raises(exceptions.NotFound):
        storage_client.get_hmac_key_metadata("GOOG1ENOSUCHKEY", project_id=project)


def test_hmac_keys_need_permission(
    server: NimbusServer, owner: Session, project: str, storage_client: storage.Client
) -> None:
    from google.api_core.client_options import ClientOptions

    stranger = _signer(server, owner, project)
    client = storage.Client(
        project=project,
        credentials=stranger.credentials,
        client_options=ClientOptions(api_endpoint=server.url),
    )
    with pytest.raises(exceptions.Forbidden):
        client.create_hmac_key(service_account_email=stranger.email, project_id=project)
    with pytest.raises(exceptions.Forbidden):
        list(client.list_hmac_keys(project_id=project))
    with pytest.raises(exceptions.NotFound):
        storage_client.create_hmac_key(
            service_account_email="ghost@nowhere.iam.gserviceaccount.com", project_id=project
        )


def hmac_signed_url(
    endpoint: str,
    access_id: str,
    secret: str,
    method: str,
    bucket: str,
    name: str,
    *,
    expires: int = 900,
    headers: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A V4 URL signed with an HMAC key, written from Google's documented algorithm
    (google-cloud-storage signs only with RSA keys)."""
    moment = now or dt.datetime.now(dt.UTC)
    timestamp, date = moment.strftime("%Y%m%dT%H%M%SZ"), moment.strftime("%Y%m%d")
    scope = f"{date}/auto/storage/goog4_request"
    signed = {
        "host": urlsplit(endpoint).netloc,
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    signed_names = ";".join(sorted(signed))
    query = {
        "X-Goog-Algorithm": "GOOG4-HMAC-SHA256",
        "X-Goog-Credential": f"{access_id}/{scope}",
        "X-Goog-Date": timestamp,
        "X-Goog-Expires": str(expires),
        "X-Goog-SignedHeaders": signed_names,
    }
    canonical_query = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items())
    )
    path = f"/{bucket}/{quote(name, safe='/~')}"
    canonical_headers = "".join(f"{k}:{signed[k]}\n" for k in sorted(signed))
    canonical = "\n".join(
        [method, path, canonical_query, canonical_headers, signed_names, "UNSIGNED-PAYLOAD"]
    )
    to_sign = "\n".join(
        ["GOOG4-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("GOOG4" + secret).encode()
    for part in (date, "auto", "storage", "goog4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{endpoint}{path}?{canonical_query}&X-Goog-Signature={signature}"


def test_hmac_signed_urls(
    server: NimbusServer, storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    metadata, secret = storage_client.create_hmac_key(
        service_account_email=signer.email, project_id=storage_client.project
    )

    def sign(method: str, name: str, **options: Any) -> str:
        return hmac_signed_url(
            server.url, metadata.access_id, secret, method, bucket.name, name, **options
        )

    put = httpx.put(
        sign("PUT", "hmac/object.txt", headers={"Content-Type": "text/plain"}),
        content=b"hmac bytes",
        headers={"Content-Type": "text/plain"},
    )
    assert put.status_code == 200, put.text
    stored = bucket.get_blob("hmac/object.txt")
    assert stored is not None and stored.content_type == "text/plain"
    get_url = sign("GET", "hmac/object.txt")
    assert httpx.get(get_url).content == b"hmac bytes"
    _xml_error(httpx.get(get_url.replace("object.txt", "object.txx")), 403, "SignatureDoesNotMatch")
    wrong_secret = hmac_signed_url(
        server.url, metadata.access_id, "x" * 40, "GET", bucket.name, "hmac/object.txt"
    )
    _xml_error(httpx.get(wrong_secret), 403, "SignatureDoesNotMatch")
    stale = sign("GET", "hmac/object.txt", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    _xml_error(httpx.get(stale), 400, "ExpiredToken")
    too_long = sign("GET", "hmac/object.txt", expires=7 * 24 * 3600 + 1)
    _xml_error(httpx.get(too_long), 400, "AuthorizationQueryParametersError")

    metadata.state = "INACTIVE"
    metadata.update()
    _xml_error(httpx.get(get_url), 403, "SignatureDoesNotMatch")
    metadata.state = "ACTIVE"
    metadata.update()
    assert httpx.get(get_url).status_code == 200
    metadata.state = "INACTIVE"
    metadata.update()
    metadata.delete()
    _xml_error(httpx.get(sign("GET", "hmac/object.txt")), 403, "SignatureDoesNotMatch")
