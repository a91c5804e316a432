"""``nimbus compute``: zones, regions, project metadata, operations."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def test_zones_and_regions(cli: Cli, project: str) -> None:
    zones = cli("compute", "zones", "list", "--project", project, "--format", "value(name)")
    assert zones.returncode == 0, zones.stderr
    names = zones.stdout.split()
    for zone in ("us-central1-a", "us-central1-f", "europe-west9-b", "asia-east1-c"):
        assert zone in names
    table = cli("compute", "zones", "list", "--project", project, "--filter", "region:us-east1")
    assert "us-east1-b" in table.stdout and "REGION" in table.stdout
    assert "europe" not in table.stdout
    region = cli("compute", "regions", "describe", "europe-west1", "--project", project,
                 "--format", "value(status)")  # fmt: skip
    assert region.stdout.strip() == "UP"
    missing = cli("compute", "zones", "describe", "mars-1a", "--project", project)
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1


def test_project_metadata_and_operations(cli: Cli, project: str) -> None:
    added = cli("compute", "project-info", "add-metadata", "--metadata", "a=1,b=2",
                "--project", project)  # fmt: skip
    assert added.returncode == 0, added.stderr
    shown = cli("compute", "project-info", "describe", "--project", project, "--format", "json")
    assert '"key": "a"' in shown.stdout and '"value": "2"' in shown.stdout
    assert cli("compute", "project-info", "remove-metadata", "--keys", "a",
               "--project", project).returncode == 0  # fmt: skip
    shown = cli("compute", "project-info", "describe", "--project", project, "--format", "json")
    assert '"key": "a"' not in shown.stdout
    listed = cli("compute", "operations", "list", "--project", project,
                 "--format", "value(operationType)")  # fmt: skip
    assert listed.stdout.split() == ["compute.projects.setCommonInstanceMetadata"] * 2


def test_machine_types(cli: Cli, project: str) -> None:
    listed = cli("compute", "machine-types", "list", "--zones", "europe-west1-b",
                 "--project", project, "--format", "value(name)")  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert {"e2-micro", "n1-standard-8"} <= set(listed.stdout.split())
    shown = cli(
        "compute", "machine-types", "describe", "n1-standard-8", "--zone", "europe-west1-b",
        "--project", project, "--format", "value(guestCpus,memoryMb)",
    )  # fmt: skip
    assert shown.stdout.split() == ["8", "30720"]
