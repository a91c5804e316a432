"""``nimbus services`` as a course's first steps type it."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def test_enable_list_disable(cli: Cli, project: str) -> None:
    listed = cli("services", "list", "--project", project, "--format", "value(config.name)")
    assert "storage.googleapis.com" in listed.stdout.split()
    assert "compute.googleapis.com" not in listed.stdout.split()
    enabled = cli("services", "enable", "compute.googleapis.com", "iam.googleapis.com",
                  "--project", project)  # fmt: skip
    assert enabled.returncode == 0, enabled.stderr
    listed = cli("services", "list", "--project", project, "--format", "value(config.name)")
    assert {"compute.googleapis.com", "iam.googleapis.com"} <= set(listed.stdout.split())
    assert cli("services", "disable", "iam.googleapis.com", "--project", project).returncode == 0
    listed = cli("services", "list", "--project", project, "--format", "value(config.name)")
    assert "iam.googleapis.com" not in listed.stdout.split()
    everything = cli("services", "list", "--available", "--project", project,
                     "--format", "value(config.name)")  # fmt: skip
    assert "iam.googleapis.com" in everything.stdout.split()
    unknown = cli("services", "enable", "nonsense.googleapis.com", "--project", project)
    assert unknown.returncode != 0 and unknown.stderr.count("\n") == 1
