"""``nimbus compute instances`` and ``images`` as a student types them (fake runtime).

The course's create command works as written, with ``nimbus`` for ``gcloud``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

Cli = Callable[..., CliResult]
ZONE = "us-central1-a"


def test_the_course_create_command_and_the_instance_verbs(
    cli: Cli, project: str, tmp_path: Path
) -> None:
    script = tmp_path / "startup_script.sh"
    script.write_text("#!/bin/bash\necho started\n")
    created = cli(
        "compute", f"--project={project}", "instances", "create", "course-vm",
        f"--zone={ZONE}", "--machine-type=n1-standard-8",
        "--scopes=default,storage-rw,compute-rw", "--maintenance-policy=TERMINATE",
        "--image-family=debian-12", "--image-project=debian-cloud",
        "--boot-disk-size=200GB", "--boot-disk-type=pd-standard",
        "--metadata-from-file", f"startup-script={script}",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Created [" in created.stderr
    header, row = created.stdout.splitlines()
    assert header.split() == [
        "NAME", "ZONE", "MACHINE_TYPE", "PREEMPTIBLE", "INTERNAL_IP", "EXTERNAL_IP", "STATUS"
    ]  # fmt: skip
    assert row.split()[:3] == ["course-vm", ZONE, "n1-standard-8"] and "RUNNING" in row

    described = cli("compute", "instances", "describe", "course-vm", "--zone", ZONE,
                    "--project", project, "--format", "json")  # fmt: skip
    assert '"devstorage.read_write"' not in described.stdout  # full URLs, not aliases
    assert "https://www.googleapis.com/auth/devstorage.read_write" in described.stdout
    assert "https://www.googleapis.com/auth/compute" in described.stdout
    assert '"onHostMaintenance": "TERMINATE"' in described.stdout
    assert "echo started" in described.stdout

    for verb, status in (("stop", "TERMINATED"), ("start", "RUNNING"), ("reset", "RUNNING")):
        done = cli("compute", "instances", verb, "course-vm", "--zone", ZONE, "--project", project)
        assert done.returncode == 0, done.stderr
        shown = cli("compute", "instances", "list", "--project", project,
                    "--format", "value(name,status)")  # fmt: skip
        assert shown.stdout.split() == ["course-vm", status]

    added = cli("compute", "instances", "add-metadata", "course-vm", "--zone", ZONE,
                "--metadata", "color=blue", "--project", project)  # fmt: skip
    assert added.returncode == 0, added.stderr
    removed = cli("compute", "instances", "remove-metadata", "course-vm", "--zone", ZONE,
                  "--keys", "startup-script", "--project", project)  # fmt: skip
    assert removed.returncode == 0, removed.stderr
    keys = cli("compute", "instances", "describe", "course-vm", "--zone", ZONE,
               "--project", project, "--format", "value(metadata.items[0].key)")  # fmt: skip
    assert keys.stdout.strip() == "color"

    serial = cli("compute", "instances", "get-serial-port-output", "course-vm", "--zone", ZONE,
                 "--project", project)  # fmt: skip
    assert serial.returncode == 0 and "booted" in serial.stdout

    deleted = cli("compute", "instances", "delete", "course-vm", "--zone", ZONE,
                  "--project", project, "--quiet")  # fmt: skip
    assert deleted.returncode == 0, deleted.stderr
    listed = cli("compute", "instances", "list", "--project", project, "--format", "value(name)")
    assert listed.stdout.strip() == ""


def test_bad_input_is_one_line(cli: Cli, project: str) -> None:
    unknown_image = cli("compute", "instances", "create", "vm", "--zone", ZONE,
                        "--image-family=debian-9", "--project", project)  # fmt: skip
    assert unknown_image.returncode != 0
    assert unknown_image.stderr.count("\n") == 1 and "debian-12" in unknown_image.stderr
    bad_scope = cli("compute", "instances", "create", "vm", "--zone", ZONE,
                    "--scopes=everything", "--project", project)  # fmt: skip
    assert bad_scope.returncode != 0 and "unknown scope alias" in bad_scope.stderr
    no_zone = cli("compute", "instances", "create", "vm", "--project", project)
    assert no_zone.returncode != 0 and "[zone]" in no_zone.stderr


def test_images(cli: Cli, project: str) -> None:
    family = cli("compute", "images", "describe-from-family", "debian-12",
                 "--project", "debian-cloud", "--format", "value(family)")  # fmt: skip
    assert family.returncode == 0 and family.stdout.strip() == "debian-12"
    listed = cli("compute", "images", "list", "--project", project, "--format", "value(name)")
    assert listed.stdout.startswith("debian-12-bookworm-v")
