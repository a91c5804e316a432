"""``nimbus config`` and ``nimbus auth``, and where a command finds its settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def test_config_set_get_unset_list(cli: Cli, tmp_path: Path) -> None:
    assert ok(cli, "config set project demo").stderr.strip() == "Updated property [core/project]."
    ok(cli, "config set compute/zone europe-west1-b")
    assert ok(cli, "config get project").stdout == "demo\n"
    assert ok(cli, "config get-value compute/zone").stdout == "europe-west1-b\n"

    listed = ok(cli, "config list")
    assert listed.stdout == "[compute]\nzone = europe-west1-b\n[core]\nproject = demo\n"
    assert "Your active configuration is: [default]" in listed.stderr
    ini = (tmp_path / "config" / "configurations" / "config_default").read_text()
    assert "[core]\nproject = demo\n" in ini

    ok(cli, "config unset compute/zone")
    unset = ok(cli, "config get compute/zone")
    assert unset.stdout == "" and unset.stderr.strip() == "(unset)"
    assert json.loads(ok(cli, "config list --format=json").stdout) == {"core": {"project": "demo"}}

    unknown = nimbus(cli, "config set core/no_such_property 1")
    assert "no property [no_such_property]" in failed_in_one_line(unknown, "config.set")


def test_configured_project_is_used_and_environment_overrides_it(cli: Cli, project: str) -> None:
    ok(cli, f"config set project {project}")
    name = unique_id("sa")
    ok(cli, f"iam service-accounts create {name}")
    listed = ok(cli, "iam service-accounts list --format=value(email)").stdout
    assert f"{name}@{project}.iam.gserviceaccount.com" in listed.split()

    elsewhere = {"NIMBUS_PROJECT": "somewhere-else"}
    assert ok(cli, "config get project", extra_env=elsewhere).stdout == "somewhere-else\n"
    denied = nimbus(cli, "iam service-accounts list", extra_env=elsewhere)
    assert "somewhere-else" in failed_in_one_line(denied, "iam.service-accounts.list")
    flagged = ok(cli, f"iam service-accounts list --project {project}", extra_env=elsewhere)
    assert f"{name}@{project}" in flagged.stdout


def test_missing_project_setting_is_one_error_line(cli: Cli) -> None:
    result = nimbus(cli, "iam service-accounts list")
    assert "[project]" in failed_in_one_line(result, "iam.service-accounts.list")


def test_login_a_person_then_revoke(cli: Cli, project: str, tmp_path: Path) -> None:
    owner = ok(cli, "auth list --format=json").stdout
    assert [a["status"] for a in json.loads(owner)] == ["ACTIVE"]

    email = f"{unique_id('user')}@example.com"
    ok(cli, f"projects add-iam-policy-binding {project} --member user:{email} --role roles/viewer")
    cred_file = tmp_path / "user.json"
    logged_in = ok(cli, f"auth login {email} --cred-file {cred_file}")
    assert f"[{email}]" in logged_in.stderr
    assert json.loads(cred_file.read_text())["type"] == "authorized_user"
    assert cred_file.stat().st_mode & 0o777 == 0o600
    stored = tmp_path / "config" / "credentials" / f"{email}.json"
    assert stored.stat().st_mode & 0o777 == 0o600

    accounts = ok(cli, "auth list").stdout.splitlines()
    assert accounts[0].split() == ["ACTIVE", "ACCOUNT"]
    assert ["*", email] in [line.split() for line in accounts]
    assert ok(cli, "projects list --format=value(projectId)").stdout == f"{project}\n"

    revoked = ok(cli, "auth revoke")
    assert f" - {email}" in revoked.stderr
    assert not stored.exists()
    assert ok(cli, "config get account").stdout == ""


def test_activating_a_key_that_is_not_a_service_account_fails(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "not-a-key.json"
    key.write_text('{"type": "external_account"}')
    result = nimbus(cli, f"auth activate-service-account --key-file {key}")
    assert "external_account" in failed_in_one_line(result, "auth.activate-service-account")


def test_no_server_is_one_error_line(cli: Cli) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = nimbus(cli, "projects list", extra_env={"NIMBUS_ENDPOINT": endpoint})
    error = failed_in_one_line(result, "projects.list")
    assert endpoint in error and "nimbus up" in error
