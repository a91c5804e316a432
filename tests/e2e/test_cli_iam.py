"""``nimbus projects *-iam-policy*`` and ``nimbus iam`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok
from tests.servers import NimbusServer

pytestmark = pytest.mark.e2e


def members(policy: dict[str, Any], role: str) -> list[str]:
    return [m for b in policy.get("bindings") or [] if b["role"] == role for m in b["members"]]


def test_project_policy_bindings(cli: Cli, project: str) -> None:
    alice = "user:alice@example.com"
    added = ok(
        cli, f"projects add-iam-policy-binding {project} --member {alice} --role roles/viewer"
    )
    assert f"Updated IAM policy for project [{project}]." in added.stderr
    assert alice in members(yaml.safe_load(added.stdout), "roles/viewer")

    policy = json.loads(ok(cli, f"projects get-iam-policy {project} --format=json").stdout)
    assert alice in members(policy, "roles/viewer")
    assert policy["etag"]

    flat = ok(
        cli,
        f"projects get-iam-policy {project} --flatten=bindings[].members "
        f"--filter=bindings.members:{alice} --format='value(bindings.role)'",
    )
    assert flat.stdout == "roles/viewer\n"

    remove = f"projects remove-iam-policy-binding {project} --member={alice} --role=roles/viewer"
    removed = ok(cli, remove + " --format=json")
    assert alice not in members(json.loads(removed.stdout), "roles/viewer")
    again = failed_in_one_line(nimbus(cli, remove), "projects.remove-iam-policy-binding")
    assert "not found" in again


def test_set_iam_policy_from_a_file(cli: Cli, project: str, tmp_path: Path) -> None:
    policy = yaml.safe_load(ok(cli, f"projects get-iam-policy {project}").stdout)
    policy["bindings"].append({"role": "roles/browser", "members": ["user:bob@example.com"]})
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    updated = ok(cli, f"projects set-iam-policy {project} {path} --format=json")
    assert members(json.loads(updated.stdout), "roles/browser") == ["user:bob@example.com"]


def test_service_account_key_activates_and_its_token_works(
    cli: Cli, project: str, server: NimbusServer, tmp_path: Path
) -> None:
    name = unique_id("sa")
    email = f"{name}@{project}.iam.gserviceaccount.com"
    created = ok(
        cli, f"iam service-accounts create {name} --display-name Runner --project {project}"
    )
    assert f"Created service account [{name}]." in created.stderr

    listed = ok(cli, f"iam service-accounts list --project {project}").stdout.splitlines()
    assert listed[0].split() == ["DISPLAY", "NAME", "EMAIL", "DISABLED"]
    assert ["Runner", email, "False"] in [line.split() for line in listed]

    key_file = tmp_path / "key.json"
    made = ok(cli, f"iam service-accounts keys create {key_file} --iam-account {email}")
    assert f"of type [json] as [{key_file}] for [{email}]" in made.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = json.loads(key_file.read_text())
    assert key["type"] == "service_account" and key["client_email"] == email
    keys = ok(cli, f"iam service-accounts keys list --iam-account={email} --format=json").stdout
    assert key["private_key_id"] in [k["name"].rsplit("/", 1)[-1] for k in json.loads(keys)]

    grant = f"--member=serviceAccount:{email} --role=roles/viewer --format=none"
    ok(cli, f"projects add-iam-policy-binding {project} {grant}")
    activated = ok(cli, f"auth activate-service-account --key-file {key_file}")
    assert f"[{email}]" in activated.stderr
    token = ok(cli, "auth print-access-token").stdout.strip()

    url = f"{server.url}/v1/projects/{project}"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["projectId"] == project
    assert httpx.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401

    # From now on the CLI acts as the account: it may read the project, not add accounts.
    shown = ok(cli, f"projects describe {project} --format=value(projectId)")
    assert shown.stdout == f"{project}\n"
    denied = nimbus(cli, f"iam service-accounts create {unique_id('sa')} --project {project}")
    assert "PERMISSION_DENIED" in failed_in_one_line(denied, "iam.service-accounts.create")


def test_custom_role_lifecycle(cli: Cli, project: str) -> None:
    viewer = ok(cli, "iam roles describe roles/viewer --format='value(name,title)'")
    assert viewer.stdout == "roles/viewer\tViewer\n"

    role = "ciReader"
    created = ok(
        cli,
        f"iam roles create {role} --project {project} --title 'CI reader' "
        "--permissions resourcemanager.projects.get --stage beta --format=json",
    )
    assert json.loads(created.stdout)["name"] == f"projects/{project}/roles/{role}"

    updated = ok(
        cli, f"iam roles update {role} --project {project} --add-permissions iam.roles.get -q"
    )
    assert yaml.safe_load(updated.stdout)["includedPermissions"] == [
        "iam.roles.get",
        "resourcemanager.projects.get",
    ]

    ok(cli, f"iam roles delete {role} --project {project}")
    listed = ok(
        cli,
        f"iam roles list --project {project} --show-deleted "
        "--format='value(name.basename(),deleted)'",
    )
    assert f"{role}\tTrue" in listed.stdout.splitlines()
    ok(cli, f"iam roles undelete {role} --project {project}")
