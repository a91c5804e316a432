"""The metadata server's HTTP contract (GCE's), on an in-process cloud with the fake
runtime: the instance is found by its network and source address."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from nimbus.api.metadata.app import metadata_app
from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.store.models import Instance
from tests.unit.cloud_owner import owner_of

ZONE = "europe-west1-b"
FLAVOR = {"Metadata-Flavor": "Google"}
LINK = "http://nimbus/compute/v1/projects/meta-project"


def _instance(cloud: Cloud, owner: Caller, name: str, scopes: list[str]) -> Instance:
    body = {
        "name": name,
        "machineType": "e2-small",
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
        "metadata": {"items": [{"key": "startup-script", "value": "echo hi"}]},
        "tags": {"items": ["web"]},
        "serviceAccounts": [{"email": "default", "scopes": scopes}],
    }  # fmt: skip
    cloud.instances.insert(owner, "meta-project", ZONE, parse_instance(body, ZONE), LINK)
    _, row = cloud.instances.get(owner, InstanceRef("meta-project", ZONE, name))
    return row


@pytest.fixture
def setup(cloud: Cloud) -> tuple[Cloud, Instance, Instance]:
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("meta-project"))
    storage = "https://www.googleapis.com/auth/devstorage.read_write"
    return cloud, _instance(cloud, owner, "vm-a", [storage]), _instance(cloud, owner, "vm-b", [])


def _get(cloud: Cloud, instance: Instance, path: str, **kwargs: object) -> httpx.Response:
    app = metadata_app(cloud.metadata, instance.network_id)
    transport = httpx.ASGITransport(app=app, client=(instance.network_ip, 40000))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://metadata") as client:
            return await client.get(path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(fetch())


def test_flavor_header_is_required_and_forwarding_refused(
    setup: tuple[Cloud, Instance, Instance],
) -> None:
    cloud, vm, _ = setup
    path = "/computeMetadata/v1/instance/name"
    assert _get(cloud, vm, path).status_code == 403
    forwarded = {**FLAVOR, "X-Forwarded-For": "10.0.0.9"}
    assert _get(cloud, vm, path, headers=forwarded).status_code == 403
    answer = _get(cloud, vm, path, headers=FLAVOR)
    assert answer.text == "vm-a"
    assert answer.headers["Metadata-Flavor"] == "Google" and answer.headers["ETag"]


def test_tree_directories_and_recursive_json(setup: tuple[Cloud, Instance, Instance]) -> None:
    cloud, vm, _ = setup
    moved = _get(cloud, vm, "/computeMetadata/v1/instance/attributes", headers=FLAVOR)
    assert moved.status_code == 301 and moved.headers["location"].endswith("/attributes/")
    listing = _get(cloud, vm, "/computeMetadata/v1/instance/attributes/", headers=FLAVOR)
    assert listing.text == "startup-script\n"
    script = "/computeMetadata/v1/instance/attributes/startup-script"
    assert _get(cloud, vm, script, headers=FLAVOR).text == "echo hi"
    tree = _get(
        cloud, vm, "/computeMetadata/v1/instance/", params={"recursive": "true"}, headers=FLAVOR
    ).json()
    assert tree["networkInterfaces"][0]["ip"] == vm.network_ip
    assert tree["attributes"] == {"startup-script": "echo hi"}
    assert tree["machineType"].endswith("/machineTypes/e2-small")
    assert tree["hostname"] == f"vm-a.{ZONE}.c.meta-project.internal"
    tags = _get(cloud, vm, "/computeMetadata/v1/instance/tags", headers=FLAVOR)
    assert tags.text == '["web"]'
    missing = _get(cloud, vm, "/computeMetadata/v1/instance/nothing", headers=FLAVOR)
    assert missing.status_code == 404
    project = _get(cloud, vm, "/computeMetadata/v1/project/project-id", headers=FLAVOR)
    assert project.text == "meta-project"


def test_each_instance_sees_only_itself(setup: tuple[Cloud, Instance, Instance]) -> None:
    cloud, vm_a, vm_b = setup
    path = "/computeMetadata/v1/instance/name"
    assert _get(cloud, vm_b, path, headers=FLAVOR).text == "vm-b"
    stranger = Instance(network_id=vm_a.network_id, network_ip="10.132.0.200")
    assert _get(cloud, stranger, path, headers=FLAVOR).status_code == 404


def test_tokens_follow_the_instance_scopes(setup: tuple[Cloud, Instance, Instance]) -> None:
    cloud, with_scope, without = setup
    path = "/computeMetadata/v1/instance/service-accounts/default/token"
    token = _get(cloud, with_scope, path, headers=FLAVOR).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 3000
    caller = cloud.tokens.authenticate(token["access_token"], set())
    assert caller.principal.endswith("-compute@developer.gserviceaccount.com")
    assert caller.scopes == {"https://www.googleapis.com/auth/devstorage.read_write"}
    assert (
        _get(cloud, with_scope, path, headers=FLAVOR).json()["access_token"]
        == token["access_token"]
    )
    assert _get(cloud, without, path, headers=FLAVOR).status_code == 404
    email = _get(
        cloud, with_scope, "/computeMetadata/v1/instance/service-accounts/default/email",
        headers=FLAVOR,
    )  # fmt: skip
    assert email.text == caller.principal.split(":", 1)[1]


def test_wait_for_change_returns_on_a_change(setup: tuple[Cloud, Instance, Instance]) -> None:
    cloud, vm, _ = setup
    path = "/computeMetadata/v1/instance/attributes/"
    first = _get(cloud, vm, path, params={"recursive": "true"}, headers=FLAVOR)
    timed_out = _get(
        cloud, vm, path, headers=FLAVOR,
        params={"recursive": "true", "wait_for_change": "true", "timeout_sec": "1",
                "last_etag": first.headers["ETag"]},
    )  # fmt: skip
    assert timed_out.headers["ETag"] == first.headers["ETag"]
    owner = owner_of(cloud)
    ref = InstanceRef("meta-project", ZONE, "vm-a")
    cloud.instances.set_metadata(owner, ref, [{"key": "k", "value": "v"}], None, LINK)
    changed = _get(
        cloud, vm, path, headers=FLAVOR,
        params={"recursive": "true", "wait_for_change": "true", "timeout_sec": "5",
                "last_etag": first.headers["ETag"]},
    )  # fmt: skip
    assert changed.json() == {"k": "v"} and changed.headers["ETag"] != first.headers["ETag"]


def test_identity_tokens_verify_with_google_auth(
    setup: tuple[Cloud, Instance, Instance],
) -> None:
    import google.auth.transport.requests
    from google.oauth2 import id_token

    cloud, vm, without_scopes = setup
    path = "/computeMetadata/v1/instance/service-accounts/default/identity"
    assert _get(cloud, vm, path, headers=FLAVOR).status_code == 400
    answer = _get(cloud, vm, path, headers=FLAVOR,
                  params={"audience": "https://my-service", "format": "full"})  # fmt: skip
    assert answer.status_code == 200

    class KeysOfThisCloud(google.auth.transport.requests.Request):
        def __call__(self, url: str, method: str = "GET", **kwargs: object) -> object:  # type: ignore[override]
            response = httpx.Response(200, json=cloud.id_tokens.jwks())
            return _Response(response)

    claims = id_token.verify_token(
        answer.text, KeysOfThisCloud(), audience="https://my-service",
        certs_url="http://nimbus/oauth2/v3/certs",
    )  # fmt: skip
    assert claims["email"].endswith("-compute@developer.gserviceaccount.com")
    assert claims["iss"] == "https://accounts.google.com"
    # No scope is needed for an identity, as on Google.
    other = _get(cloud, without_scopes, path, headers=FLAVOR, params={"audience": "x"})
    assert other.status_code == 200


class _Response:
    """google-auth's transport response shape, over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.data = response.content


def test_google_auth_compute_engine_credentials(setup: tuple[Cloud, Instance, Instance]) -> None:
    """google-auth's own metadata client, as code inside an instance uses it."""
    import google.auth.transport
    from google.auth import compute_engine
    from google.auth.compute_engine import _metadata

    cloud, vm, _ = setup

    class ThroughTheApp(google.auth.transport.Request):
        def __call__(  # type: ignore[override]
            self, url: str, method: str = "GET", body: object = None,
            headers: dict[str, str] | None = None, **kwargs: object,
        ) -> _Response:  # fmt: skip
            parts = urlsplit(url)
            path = parts.path or "/"
            params = dict(parse_qsl(parts.query))
            return _Response(_get(cloud, vm, path, headers=headers or {}, params=params))

    request = ThroughTheApp()
    assert _metadata.is_on_gce(request)
    assert _metadata.get_project_id(request) == "meta-project"
    credentials = compute_engine.Credentials()
    credentials.refresh(request)
    caller = cloud.tokens.authenticate(credentials.token, set())
    assert caller.principal.endswith("-compute@developer.gserviceaccount.com")
    assert credentials.service_account_email == caller.principal.split(":", 1)[1]
