"""``nimbus projects`` as a user runs it, against a real server."""

from __future__ import annotations

import json

import pytest

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e


def test_create_list_describe_delete_undelete(cli: Cli) -> None:
    project = unique_id("cli")
    created = ok(cli, f"projects create {project} --name 'CLI demo' --labels env=dev")
    assert f"/v1/projects/{project}]" in created.stderr

    listed = ok(cli, "projects list").stdout.splitlines()
    assert listed[0].split() == ["PROJECT_ID", "NAME", "PROJECT_NUMBER"]
    row = next(line.split() for line in listed if line.startswith(project + " "))
    assert row[1:3] == ["CLI", "demo"] and row[3].isdigit()

    described = ok(cli, f"projects describe {project}").stdout
    assert f"projectId: {project}\n" in described
    assert "lifecycleState: ACTIVE\n" in described
    assert "  env: dev\n" in described

    ok(cli, f"projects delete {project} --quiet")
    assert project not in ok(cli, "projects list --format 'value(projectId)'").stdout.split()

    ok(cli, f"projects undelete {project}")
    state = ok(cli, f"projects describe {project} --format=value(lifecycleState)")
    assert state.stdout == "ACTIVE\n"


def test_list_formats_filter_and_limit(cli: Cli, project: str) -> None:
    values = ok(cli, "projects list --format 'value(projectId)'").stdout
    assert project in values.splitlines()

    shown = json.loads(ok(cli, f"projects list --filter=projectId={project} --format=json").stdout)
    assert [p["projectId"] for p in shown] == [project]
    assert shown[0]["lifecycleState"] == "ACTIVE"

    limited = ok(cli, "--format 'value(projectId)' projects list --limit 1").stdout
    assert len(limited.splitlines()) == 1

    described = ok(cli, f"projects describe {project} --format 'csv(projectId,lifecycleState)'")
    assert described.stdout == f"projectId,lifecycleState\n{project},ACTIVE\n"


def test_update_labels_and_name(cli: Cli, project: str) -> None:
    ok(cli, f"projects update {project} --update-labels env=dev,team=a")
    updated = ok(
        cli, f"projects update {project} --name Renamed --remove-labels team --format json"
    )
    shown = json.loads(updated.stdout)
    assert shown["name"] == "Renamed"
    assert shown["labels"] == {"env": "dev"}


def test_delete_needs_quiet_without_a_terminal(cli: Cli, project: str) -> None:
    refused = nimbus(cli, f"projects delete {project}", input="")
    assert "--quiet" in failed_in_one_line(refused, "projects.delete")
    state = ok(cli, f"projects describe {project} --format=value(lifecycleState)")
    assert state.stdout == "ACTIVE\n"


def test_missing_project_is_one_error_line(cli: Cli) -> None:
    result = nimbus(cli, f"projects describe {unique_id('missing')}")
    assert "NOT_FOUND" in failed_in_one_line(result, "projects.describe")
    assert result.returncode == 1 and result.stdout == ""


def test_bad_flag_is_one_error_line(cli: Cli) -> None:
    result = nimbus(cli, "projects list --no-such-flag")
    assert "--no-such-flag" in failed_in_one_line(result, "projects.list")
    assert result.returncode == 2
