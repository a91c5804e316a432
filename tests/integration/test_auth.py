"""Credentials as the official google-auth library uses them, against a real server."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import google.auth.transport.requests
import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import jwt as google_jwt
from google.auth.exceptions import RefreshError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.servers import NimbusServer, running_server

Session = google.auth.transport.requests.AuthorizedSession


def make_account_key(server: NimbusServer, owner: Session, project: str) -> dict[str, Any]:
    account_id = unique_id("sa")
    created = owner.post(
        f"{server.url}/v1/projects/{project}/serviceAccounts", json={"accountId": account_id}
    )
    assert created.status_code == 200, created.text
    email = created.json()["email"]
    key = owner.post(f"{server.url}/v1/projects/{project}/serviceAccounts/{email}/keys", json={})
    assert key.status_code == 200, key.text
    info: dict[str, Any] = json.loads(base64.b64decode(key.json()["privateKeyData"]))
    return info


def grant(server: NimbusServer, owner: Session, project: str, member: str, role: str) -> None:
    url = f"{server.url}/v1/projects/{project}"
    policy = owner.post(f"{url}:getIamPolicy", json={}).json()
    policy.setdefault("bindings", []).append({"role": role, "members": [member]})
    response = owner.post(f"{url}:setIamPolicy", json={"policy": policy})
    assert response.status_code == 200, response.text


def assert_google_error(response: httpx.Response | Any, code: int) -> dict[str, Any]:
    assert response.status_code == code, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["status"] and error["message"]
    assert error["errors"][0]["reason"] and error["errors"][0]["domain"]
    return error


def test_google_auth_key_gets_token_and_calls_api(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/viewer")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with Session(creds) as session:
        response = session.get(f"{server.url}/v1/projects/{project}")
        assert response.status_code == 200, response.text
        assert response.json()["projectId"] == project
        assert creds.token and creds.token.startswith("ya29.")
        assert creds.expiry is not None
        lifetime = creds.expiry.timestamp() - time.time()
        assert 3500 < lifetime <= 3600


def test_deleted_key_stops_working_at_once(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/viewer")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with Session(creds) as session:
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200
        key_name = (
            f"projects/{project}/serviceAccounts/{info['client_email']}"
            f"/keys/{info['private_key_id']}"
        )
        assert owner.delete(f"{server.url}/v1/{key_name}").status_code == 200
        # The token already issued dies with its key; so does any new token.
        denied = httpx.get(
            f"{server.url}/v1/projects/{project}",
            headers={"Authorization": f"Bearer {creds.token}"},
        )
        assert_google_error(denied, 401)
    fresh = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with pytest.raises(RefreshError):
        fresh.refresh(google.auth.transport.requests.Request())


def test_disabled_account_stops_working_and_comes_back(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    email = info["client_email"]
    grant(server, owner, project, f"serviceAccount:{email}", "roles/viewer")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    account_url = f"{server.url}/v1/projects/{project}/serviceAccounts/{email}"
    with Session(creds) as session:
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200
        assert owner.post(f"{account_url}:disable", json={}).status_code == 200
        denied = httpx.get(
            f"{server.url}/v1/projects/{project}",
            headers={"Authorization": f"Bearer {creds.token}"},
        )
        assert_google_error(denied, 401)
        assert owner.post(f"{account_url}:enable", json={}).status_code == 200
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200


def test_self_signed_jwt_access(server: NimbusServer, owner: Session, project: str) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/viewer")
    signer = service_account.Credentials.from_service_account_info(info)
    for audience in (server.url + "/", "https://cloudresourcemanager.googleapis.com/"):
        creds = google_jwt.Credentials.from_signing_credentials(signer, audience=audience)
        with Session(creds) as session:
            assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200
    # google-auth's JWT access with scopes (what the GAPIC clients send).
    scoped = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM], always_use_jwt_access=True
    )
    scoped._create_self_signed_jwt(None)  # what the GAPIC transports call
    with Session(scoped) as session:
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200
        assert scoped.token is not None and scoped.token.count(".") == 2


def test_wrong_audience_jwt_is_refused(server: NimbusServer, owner: Session, project: str) -> None:
    info = make_account_key(server, owner, project)
    signer = service_account.Credentials.from_service_account_info(info)
    creds = google_jwt.Credentials.from_signing_credentials(
        signer, audience="https://elsewhere.example.com/"
    )
    creds.refresh(google.auth.transport.requests.Request())
    response = httpx.get(
        f"{server.url}/v1/projects/{project}", headers={"Authorization": f"Bearer {creds.token}"}
    )
    assert_google_error(response, 401)
    # The token endpoint refuses an assertion meant for another token endpoint.
    assertion = _assertion(info, audience="https://login.example.com/token")
    grant_response = _jwt_grant(server, assertion)
    assert grant_response.status_code == 400
    assert grant_response.json()["error"] == "invalid_grant"


def _assertion(
    info: dict[str, Any],
    *,
    audience: str = "https://oauth2.googleapis.com/token",
    issued: float | None = None,
    lifetime: int = 3600,
    key_pem: str | None = None,
    scope: str = CLOUD_PLATFORM,
) -> str:
    now = int(issued if issued is not None else time.time())
    claims = {
        "iss": info["client_email"],
        "aud": audience,
        "scope": scope,
        "iat": now,
        "exp": now + lifetime,
    }
    return pyjwt.encode(
        claims,
        key_pem or info["private_key"],
        algorithm="RS256",
        headers={"kid": info["private_key_id"]},
    )


def _jwt_grant(server: NimbusServer, assertion: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )


def test_expired_and_overlong_assertions_are_refused(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    expired = _jwt_grant(server, _assertion(info, issued=time.time() - 3 * 3600))
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    overlong = _jwt_grant(server, _assertion(info, lifetime=5 * 3600))
    assert overlong.status_code == 400 and overlong.json()["error"] == "invalid_grant"
    no_scope = _jwt_grant(server, _assertion(info, scope=""))
    assert no_scope.status_code == 400 and no_scope.json()["error"] == "invalid_scope"
    good = _jwt_grant(server, _assertion(info))
    assert good.status_code == 200 and good.json()["expires_in"] == 3600


def test_expired_self_signed_jwt_is_refused(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    stale = _assertion(info, audience=server.url + "/", issued=time.time() - 3 * 3600)
    response = httpx.get(
        f"{server.url}/v1/projects/{project}", headers={"Authorization": f"Bearer {stale}"}
    )
    assert_google_error(response, 401)


def test_forged_tokens_are_refused(server: NimbusServer, owner: Session, project: str) -> None:
    info = make_account_key(server, owner, project)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged_pem = forger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forged = _jwt_grant(server, _assertion(info, key_pem=forged_pem))
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"
    forged_bearer = _assertion(info, audience=server.url + "/", key_pem=forged_pem)
    for bearer in (forged_bearer, "ya29.not-a-token-this-server-issued", "garbage"):
        response = httpx.get(
            f"{server.url}/v1/projects/{project}", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert_google_error(response, 401)
    basic = httpx.get(f"{server.url}/v1/projects/{project}", auth=("user", "password"))
    assert_google_error(basic, 401)


def test_unauthenticated_call_is_401(server: NimbusServer, project: str) -> None:
    for url in (f"/v1/projects/{project}", "/v1/projects", f"/compute/v1/projects/{project}/zones"):
        response = httpx.get(server.url + url)
        error = assert_google_error(response, 401)
        assert error["status"] == "UNAUTHENTICATED"


def test_refresh_token_grant_for_a_user(server: NimbusServer, owner: Session, project: str) -> None:
    minted = owner.post(
        f"{server.url}/nimbus/v1/userCredentials", json={"email": "alice@example.com"}
    )
    assert minted.status_code == 200, minted.text
    info = minted.json()
    assert info["type"] == "authorized_user"
    creds = _user_credentials(info)
    with Session(creds) as session:
        denied = session.get(f"{server.url}/v1/projects/{project}")
        error = assert_google_error(denied, 403)
        assert "resourcemanager.projects.get" in error["message"]
        grant(server, owner, project, "user:alice@example.com", "roles/viewer")
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 200
    wrong_secret = dict(info, client_secret="not-the-secret")
    with pytest.raises(RefreshError):
        _user_credentials(wrong_secret).refresh(google.auth.transport.requests.Request())


def _user_credentials(info: dict[str, str]) -> user_credentials.Credentials:
    """google-auth's ``from_authorized_user_info`` always uses Google's token URI,
    so the credentials are built with the file's own ``token_uri``."""
    return user_credentials.Credentials(
        None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=info["token_uri"],
    )


def test_only_the_owner_mints_user_credentials(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/owner")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with Session(creds) as session:
        response = session.post(
            f"{server.url}/nimbus/v1/userCredentials", json={"email": "mallory@example.com"}
        )
        assert_google_error(response, 403)


@pytest.fixture(scope="module")
def anonymous_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("anonymous") / "data"
    with running_server(data, ["--allow-anonymous"]) as running:
        yield running


def test_allow_anonymous_acts_as_owner(anonymous_server: NimbusServer) -> None:
    created = httpx.post(f"{anonymous_server.url}/v1/projects", json={"projectId": "anon-demo"})
    assert created.status_code == 200, created.text
    assert httpx.get(f"{anonymous_server.url}/v1/projects/anon-demo").status_code == 200


def test_allow_anonymous_with_a_principal(tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("anonymous-user") / "data"
    with running_server(data, ["--allow-anonymous=user:bob@example.com"]) as running:
        response = httpx.get(f"{running.url}/v1/projects/nimbus-system")
        error = assert_google_error(response, 403)
        assert "resourcemanager.projects.get" in error["message"]
