"""The storage CLI's pure parts: signed URLs (judged by google-cloud-storage), URLs,
wildcards, sizes, ls -j and du rows, and cp's naming rules."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.storage import du, listed_json, plan, signing, uploads, views, wildcards
from nimbus.cli.storage.checksums import Crc32c
from nimbus.cli.storage.endpoints import LocalFile, Options
from nimbus.cli.storage.listing import Entry, Scope
from nimbus.cli.storage.progress import Progress
from nimbus.cli.storage.urls import CloudUrl, object_path, parse

ENDPOINT = "http://127.0.0.1:8080"
EMAIL = "signer@demo.iam.gserviceaccount.com"
NOW = dt.datetime(2024, 5, 1, 12, 30, 45, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _official(pem: str, name: str, monkeypatch: pytest.MonkeyPatch, **options: Any) -> str:
    from google.cloud import storage
    from google.cloud.storage import _signing

    monkeypatch.setattr(_signing, "_NOW", lambda tz=None: NOW.replace(tzinfo=tz))
    credentials = service_account.Credentials.from_service_account_info(
        {"client_email": EMAIL, "private_key": pem, "token_uri": f"{ENDPOINT}/token"}
    )
    client = storage.Client.create_anonymous_client()
    blob = client.bucket("demo-bucket").blob(name)
    return str(
        blob.generate_signed_url(
            version="v4",
            api_access_endpoint=ENDPOINT,
            credentials=credentials,
            expiration=dt.timedelta(minutes=10),
            **options,
        )
    )


@pytest.mark.parametrize("name", ["a.txt", "dir/with space/ünï~code+plus&amp.bin"])
def test_signed_url_matches_google_cloud_storage(
    pem: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = signing.SignRequest(ENDPOINT, "demo-bucket", name, "GET", seconds=600)
    mine = signing.signed_url(request, signing.SigningKey(EMAIL, pem), NOW)
    assert mine == _official(pem, name, monkeypatch)


def test_signed_put_with_headers_and_query_matches(
    pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Content-Type": "text/plain", "x-goog-meta-owner": "  ci   bot "}
    query = {"userProject": "p1"}
    request = signing.SignRequest(
        ENDPOINT, "demo-bucket", "up.txt", "PUT", 600, headers=headers, query=query
    )
    mine = signing.signed_url(request, signing.SigningKey(EMAIL, pem), NOW)
    official = _official(
        pem, "up.txt", monkeypatch, method="PUT", headers=dict(headers), query_parameters=query
    )
    assert mine == official


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600), ("90s", 90), ("10m", 600), ("1h", 3600), ("7d", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert signing.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["8d", "0", "soon", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(CliError):
        signing.parse_duration(text)


def test_urls() -> None:
    assert parse("gs://") == CloudUrl()
    assert parse("gs://bkt") == CloudUrl("bkt")
    assert parse("gs://bkt/") == CloudUrl("bkt")
    assert parse("gs://bkt/dir/o.txt#123") == CloudUrl("bkt", "dir/o.txt", 123)
    assert str(parse("gs://bkt/a b#7")) == "gs://bkt/a b#7"
    assert object_path("bkt", "dir/a b") == "/storage/v1/b/bkt/o/dir%2Fa%20b"
    for bad in ("s3://bkt/o", "bkt/o", "gs://Bad_Bucket/o", "gs:///o", "gs://b/o"):
        with pytest.raises(CliError):
            parse(bad)


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        ("*.txt", "a.txt", True),
        ("*.txt", "dir/a.txt", False),
        ("**.txt", "dir/a.txt", True),
        ("dir/**", "dir/sub/x", True),
        ("d?r/*", "dir/x", True),
        ("[ab].bin", "b.bin", True),
        ("[!ab].bin", "b.bin", False),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_wildcards(pattern: str, name: str, matched: bool) -> None:
    assert wildcards.compile_pattern(pattern)(name) is matched


def test_literal_prefix() -> None:
    assert wildcards.literal_prefix("logs/2024-*/x") == "logs/2024-"
    assert wildcards.literal_prefix("plain") == "plain"


def test_human_sizes() -> None:
    assert views.human_size(0) == "0B"
    assert views.human_size(5) == "5.00B"
    assert views.human_size(2048) == "2.00kiB"
    assert views.total_line(2, 20 * 1024 * 1024) == "TOTAL: 2 objects, 20971520 bytes (20.00MiB)"


def test_long_rows_with_etag_and_readable_size() -> None:
    item = {"size": "3000", "timeCreated": "2024-05-01T12:00:00.5Z", "metageneration": "2"}
    url = "gs://b/o#7"
    row = views.long_row(url, {**item, "etag": "CAE="}, versioned=True, etag=True, readable=True)
    assert row == "   2.93kiB  2024-05-01T12:00:00Z  gs://b/o#7  metageneration=2  etag=CAE="
    assert views.long_row("gs://b/p/", None, etag=True, readable=True) == " " * 34 + "gs://b/p/"


def test_listing_scopes_ask_for_what_they_read() -> None:
    assert Scope().query() == {}
    assert Scope(versions=True).query() == {"versions": "true"}
    # Soft-deleted wins over versions (the API refuses both), as gcloud's flags do.
    both = Scope(versions=True, soft_deleted=True, full=True)
    assert both.query() == {"projection": "full", "softDeleted": "true"}
    assert both.versioned and not Scope().versioned


def test_listed_json_is_what_gcloud_dumps() -> None:
    resource = {
        "name": "a b.txt",
        "bucket": "b",
        "generation": "12",
        "timeCreated": "2024-05-01T12:00:00.090Z",
        "updated": "2024-05-01T12:00:00Z",
        "metadata": {"z": "1", "updated": "2024-05-01T12:00:00Z"},
        "acl": [],
        "kind": "storage#object",
        "retention": {"retainUntilTime": "2030-01-01T00:00:00Z", "mode": "Locked"},
    }
    dumped = json.loads(listed_json.object_json(resource))
    assert dumped["url"] == "gs://b/a b.txt#12" and dumped["type"] == "cloud_object"
    meta = dumped["metadata"]
    assert list(meta) == [
        "bucket",
        "generation",
        "kind",
        "metadata",
        "name",
        "retention",
        "timeCreated",
        "updated",
    ]  # in name order, the empty ACL left out
    # The user's keys are sorted too, their values left as they are.
    assert meta["metadata"] == {"updated": "2024-05-01T12:00:00Z", "z": "1"}
    assert list(meta["metadata"]) == ["updated", "z"]
    assert meta["timeCreated"] == "2024-05-01T12:00:00.090000+00:00"
    assert meta["updated"] == "2024-05-01T12:00:00+00:00"
    assert meta["retention"] == {"mode": "Locked", "retainUntilTime": "2030-01-01T00:00:00+00:00"}
    assert (
        listed_json.container_json(Entry("b", "d/"))
        == '{\n  "url": "gs://b/d/",\n  "type": "prefix"\n}'
    )
    assert list(listed_json.json_list(["{1}", "{2}"])) == ["[", "{1},", "{2}", "]"]
    assert list(listed_json.json_list([])) == [""]


def test_du_rows_and_exclusions() -> None:
    options = du.Options(readable_sizes=True, exclude=("*.bak", "*/tmp/"))
    assert options.row(2048, "gs://b/o") == "2.00kiB      gs://b/o"
    assert du.Options().row(0, "total") == "0            total"
    assert options.excluded(Entry("b", "x/y.bak", {"size": "1"}))
    assert options.excluded(Entry("b", "x/tmp/"))
    assert not options.excluded(Entry("b", "x/y.txt", {"size": "1"}))
    assert not du.Options(exclude=("*",)).excluded(Entry("b", ""))  # never a bucket


def test_directory_upload_names(tmp_path: Path) -> None:
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "data" / "sub" / "b.txt").write_text("b")
    items = plan.expand(None, str(tmp_path / "data"), recursive=True)  # type: ignore[arg-type]
    assert [item.relative for item in items] == ["data/a.txt", "data/sub/b.txt"]
    assert all(isinstance(item.source, LocalFile) and item.nested for item in items)
    into = [plan._target_name("dest/", item, container=True) for item in items]
    assert into == ["dest/data/a.txt", "dest/data/sub/b.txt"]
    renamed = [plan._target_name("copy", item, container=False) for item in items]
    assert renamed == ["copy/a.txt", "copy/sub/b.txt"]
    with pytest.raises(CliError, match="cp -r"):
        plan.expand(None, str(tmp_path / "data"), recursive=False)  # type: ignore[arg-type]


class FlakyResumableServer:
    """A resumable session that keeps only half of each chunk's bytes the first time,
    and fails one request with 503, as a real network and server may."""

    def __init__(self) -> None:
        self.stored = b""
        self.failed = False
        self.halved: set[int] = set()
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.headers.get('content-range', '')}")
        if request.method == "POST":
            return httpx.Response(200, headers={"Location": "http://nimbus.test/session/1"})
        if request.method == "DELETE":
            return httpx.Response(499)
        spec = request.headers["content-range"].removeprefix("bytes ")
        span, _, total = spec.partition("/")
        body = request.read()
        if span != "*":
            if not self.failed and len(self.stored) > 0:
                self.failed = True
                return httpx.Response(503, json={"error": {"code": 503, "message": "busy"}})
            start = int(span.partition("-")[0])
            assert start == len(self.stored), (start, len(self.stored))
            halve = start not in self.halved and len(body) > 1
            self.halved.add(start)
            self.stored += body[: len(body) // 2] if halve else body
        if total != "*" and len(self.stored) == int(total):
            crc = Crc32c()
            crc.update(self.stored)
            return httpx.Response(200, json={"name": "o", "generation": "1", "crc32c": crc.b64()})
        headers = {"Range": f"bytes=0-{len(self.stored) - 1}"} if self.stored else {}
        return httpx.Response(308, headers=headers)


def _fake_api(handler: FlakyResumableServer) -> Api:
    api = Api("http://nimbus.test", None)
    api._http = httpx.Client(base_url="http://nimbus.test", transport=httpx.MockTransport(handler))
    return api


@pytest.mark.parametrize("from_stdin", [False, True])
def test_resumable_upload_resends_what_the_server_did_not_keep(
    tmp_path: Path, from_stdin: bool
) -> None:
    data = os.urandom(uploads.CHUNK * 2 + 5000)
    server = FlakyResumableServer()
    target = CloudUrl("bkt", "o")
    with _fake_api(server) as api, Progress(1, None, visible=False) as progress:
        if from_stdin:
            stored = uploads.upload_stream(api, io.BytesIO(data), target, Options(), progress)
        else:
            path = tmp_path / "data.bin"
            path.write_bytes(data)
            stored = uploads.upload_file(api, path, target, Options(), progress)
    assert server.stored == data and server.failed
    assert stored["generation"] == "1"
    assert server.requests[0] == "POST "
    assert any(line.endswith("/*") for line in server.requests) is from_stdin
