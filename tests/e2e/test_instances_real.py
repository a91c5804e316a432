"""Real instances, as a user drives them: the course's create command, ``compute ssh``,
a forwarded port, the startup script's serial output, Cloud Storage from inside with
the instance's own service account, and the limits that isolate instances.

Runs runc and network namespaces: needs root (as CI has).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import unique_id
from tests.real_compute import Cli, container_server, owner_session
from tests.servers import NimbusServer, free_port

ZONE = "us-central1-a"
STARTUP = """#!/bin/bash
echo "startup says hello from $(hostname)"
mkdir -p /srv/www && echo "served from $(hostname)" > /srv/www/index.html
cd /srv/www && nohup python3 -m http.server 8888 --bind 127.0.0.1 >/dev/null 2>&1 &
"""
UPLOAD = """set -e
token=$(curl -sf -H 'Metadata-Flavor: Google' \
  http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s -o /dev/null -w '%{{http_code}}' -X POST --data-binary 'written inside' \
  -H "Authorization: Bearer $token" \
  "$API_ENDPOINT_OVERRIDE/upload/storage/v1/b/{bucket}/o?uploadType=media&name=inside.txt"
"""


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, image_cache: Path) -> Iterator[NimbusServer]:
    with container_server(tmp_path_factory.mktemp("real") / "data", image_cache) as server:
        yield server


@pytest.fixture
def user(real: NimbusServer, tmp_path: Path) -> Cli:
    return Cli(real, tmp_path / "home")


@pytest.fixture
def project(real: NimbusServer) -> str:
    project_id = unique_id("real")
    with owner_session(real) as owner:
        created = owner.post(f"{real.url}/v1/projects", json={"projectId": project_id})
        assert created.status_code == 200, created.text
    return project_id


def ssh(user: Cli, project: str, name: str, command: str) -> subprocess.CompletedProcess[str]:
    return user.run(
        "compute", "ssh", name, f"--zone={ZONE}", f"--project={project}", "--command", command
    )


def test_the_course_instance_end_to_end(user: Cli, project: str, tmp_path: Path) -> None:
    script = tmp_path / "startup_script.sh"
    script.write_text(STARTUP)
    created = user.run(
        "compute", f"--project={project}", "instances", "create", "course-vm",
        f"--zone={ZONE}", "--machine-type=n1-standard-8",
        "--scopes=default,storage-rw,compute-rw", "--maintenance-policy=TERMINATE",
        "--image-family=debian-12", "--image-project=debian-cloud",
        "--boot-disk-size=200GB", "--boot-disk-type=pd-standard",
        "--metadata-from-file", f"startup-script={script}",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "RUNNING" in created.stdout

    hostname = ssh(user, project, "course-vm", "hostname")
    assert hostname.returncode == 0, hostname.stderr
    assert hostname.stdout.strip() == "course-vm"

    local = tmp_path / "notes.txt"
    local.write_text("copied with scp\n")
    sent = user.run("compute", "scp", str(local), "course-vm:notes.txt", f"--zone={ZONE}",
                    f"--project={project}")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    back = tmp_path / "back.txt"
    fetched = user.run("compute", "scp", "course-vm:notes.txt", str(back), f"--zone={ZONE}",
                       f"--project={project}")  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    assert back.read_text() == "copied with scp\n"

    deadline = time.monotonic() + 60
    serial = ""
    while "startup says hello from course-vm" not in serial and time.monotonic() < deadline:
        shown = user.run("compute", "instances", "get-serial-port-output", "course-vm",
                         f"--zone={ZONE}", f"--project={project}")  # fmt: skip
        serial = shown.stdout
        time.sleep(0.5)
    assert "google_metadata_script_runner" in serial and "startup says hello" in serial

    port = free_port()
    forward = subprocess.Popen(
        user.command(
            "compute",
            "ssh",
            "course-vm",
            f"--zone={ZONE}",
            f"--project={project}",
            "--",
            "-N",
            "-L",
            f"{port}:localhost:8888",
        ),
        env=user.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = _fetch_until_served(f"http://127.0.0.1:{port}/", deadline=time.monotonic() + 60)
        assert page == "served from course-vm\n"
    finally:
        forward.terminate()
        try:
            forward.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # ssh may linger over a forwarded connection that is still closing.
            forward.kill()
            forward.wait(timeout=10)


def _fetch_until_served(url: str, deadline: float) -> str:
    while True:
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer.text
        assert time.monotonic() < deadline, f"nothing served at {url}"
        time.sleep(0.3)


def test_storage_from_inside_follows_scopes(real: NimbusServer, user: Cli, project: str) -> None:
    bucket = unique_id("inside")
    with owner_session(real) as owner:
        made = owner.post(f"{real.url}/storage/v1/b", params={"project": project},
                          json={"name": bucket})  # fmt: skip
        assert made.status_code == 200, made.text
    for name, scopes in (("writer", "storage-rw"), ("reader", "compute-ro")):
        created = user.run("compute", "instances", "create", name, f"--zone={ZONE}",
                           f"--project={project}", f"--scopes={scopes}",
                           "--machine-type=e2-small")  # fmt: skip
        assert created.returncode == 0, created.stderr
    allowed = ssh(user, project, "writer", UPLOAD.format(bucket=bucket))
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.strip() == "200"
    refused = ssh(user, project, "reader", UPLOAD.format(bucket=bucket))
    assert refused.stdout.strip() == "403"
    with owner_session(real) as owner:
        stored = owner.get(
            f"{real.url}/storage/v1/b/{bucket}/o/inside.txt", params={"alt": "media"}
        )
        assert stored.content == b"written inside"
    # Instances reach each other by name (Google's internal DNS), and nothing outside.
    found = ssh(user, project, "reader",
                f"getent hosts writer.{ZONE}.c.{project}.internal && getent hosts writer && "
                "timeout 3 bash -c '</dev/tcp/writer/22' && echo reached")  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert found.stdout.count("writer") == 2 and "reached" in found.stdout
    outside = ssh(user, project, "reader", "getent hosts deb.debian.org || echo unresolved")
    assert outside.stdout.strip() == "unresolved"
    # Each instance sees its own metadata only.
    seen = ssh(user, project, "reader",
               "curl -sf -H 'Metadata-Flavor: Google' "
               "http://169.254.169.254/computeMetadata/v1/instance/name")  # fmt: skip
    assert seen.stdout.strip() == "reader"


def test_limits_hold_inside(user: Cli, project: str) -> None:
    created = user.run("compute", "instances", "create", "small", f"--zone={ZONE}",
                       f"--project={project}", "--machine-type=custom-1-1024")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert ssh(user, project, "small", "nproc").stdout.strip() == "1"
    hog = ssh(user, project, "small",
              "python3 -c 'x = bytearray(2 * 1024**3); print(len(x))'")  # fmt: skip
    assert hog.returncode != 0 and "2147483648" not in hog.stdout
    assert ssh(user, project, "small", "echo still here").stdout.strip() == "still here"
