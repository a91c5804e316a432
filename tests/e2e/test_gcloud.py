"""Google's own gcloud CLI against Nimbus, as a student points it there: a service
account key, and the API endpoints overridden to this server. Skipped where gcloud
is not installed (it is not a Debian package Nimbus can install)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import unique_id
from tests.servers import NimbusServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("gcloud") is None, reason="gcloud is not installed"),
]

Gcloud = Callable[..., subprocess.CompletedProcess[str]]
# Each API gcloud reaches, and where it is found on this server.
OVERRIDES = {
    "storage": "/storage/v1/",
    "compute": "/compute/v1/",
    "cloudresourcemanager": "/",
    "iam": "/",
    "serviceusage": "/",
}


@pytest.fixture
def gcloud(server: NimbusServer, tmp_path: Path) -> Gcloud:
    """``gcloud ARGS...`` with a configuration of its own, signed in as the owner's
    service account, that never reaches past this server."""
    env = {**os.environ, "CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        env.pop(name, None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["gcloud", *args, "--quiet"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert done.returncode == 0, f"gcloud {' '.join(args)}:\n{done.stderr}"
        return done

    settings = {
        "core/disable_usage_reporting": "true",
        "core/check_gce_metadata": "false",
        "component_manager/disable_update_check": "true",
        **{f"api_endpoint_overrides/{api}": server.url + path for api, path in OVERRIDES.items()},
    }
    for key, value in settings.items():
        run("config", "set", key, value)
    run("auth", "activate-service-account", f"--key-file={server.owner_key}")
    return run


def test_storage_as_a_course_uses_it(gcloud: Gcloud, project: str, tmp_path: Path) -> None:
    tree = tmp_path / "site"
    (tree / "img").mkdir(parents=True)
    (tree / "index.html").write_text("<h1>hello</h1>\n")
    (tree / "img" / "logo.bin").write_bytes(os.urandom(300_000))
    bucket = f"gs://{unique_id('gcl')}"

    gcloud("storage", "buckets", "create", bucket, f"--project={project}", "--location=EU")
    described = yaml.safe_load(gcloud("storage", "buckets", "describe", bucket).stdout)
    assert described["location"] == "EU"
    gcloud("storage", "cp", str(tree / "index.html"), f"{bucket}/")  # a multipart upload
    video = tmp_path / "video.bin"
    video.write_bytes(os.urandom(9 * 1024 * 1024))  # past gcloud's 8 MiB: resumable
    gcloud("storage", "cp", str(video), f"{bucket}/video.bin")
    gcloud("storage", "cp", f"{bucket}/video.bin", str(tmp_path / "video.back"))
    assert (tmp_path / "video.back").read_bytes() == video.read_bytes()
    gcloud("storage", "cp", "-r", str(tree), f"{bucket}/copy")  # asks for the layout first
    listed = gcloud("storage", "ls", "-r", f"{bucket}/copy").stdout
    assert f"{bucket}/copy/img/logo.bin" in listed  # a new destination: the tree renamed
    assert gcloud("storage", "cat", f"{bucket}/index.html").stdout == "<h1>hello</h1>\n"
    gcloud("storage", "rsync", "-r", str(tree), f"{bucket}/synced")
    back = tmp_path / "back"
    gcloud("storage", "rsync", "-r", f"{bucket}/synced", str(back))
    assert (back / "img" / "logo.bin").read_bytes() == (tree / "img" / "logo.bin").read_bytes()
    hashes = yaml.safe_load(gcloud("storage", "hash", f"{bucket}/index.html").stdout)
    local = yaml.safe_load(gcloud("storage", "hash", str(tree / "index.html")).stdout)
    assert hashes["md5_hash"] == local["md5_hash"] and hashes["crc32c_hash"]
    gcloud(
        "storage", "buckets", "add-iam-policy-binding", bucket,
        "--member=allUsers", "--role=roles/storage.objectViewer",
    )  # fmt: skip
    gcloud("storage", "rm", "-r", bucket)
    missing = gcloud("storage", "buckets", "describe", bucket, check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr.lower()


def test_projects_services_and_images(gcloud: Gcloud) -> None:
    created = unique_id("gcl")
    # gcloud also enables cloudapis.googleapis.com in the new project.
    gcloud("projects", "create", created)
    services = gcloud("services", "list", f"--project={created}").stdout
    assert "storage.googleapis.com" in services
    images = gcloud("compute", "images", "list", f"--project={created}")  # one batch request
    assert "debian-12" in images.stdout and "WARNING" not in images.stderr
    zones = gcloud("compute", "zones", "list", f"--project={created}").stdout
    assert "us-central1-a" in zones


def test_an_instance_from_an_image_family(gcloud: Gcloud, project: str) -> None:
    gcloud("services", "enable", "compute.googleapis.com", f"--project={project}")
    zone = ("--zone", "us-central1-a", f"--project={project}")
    # gcloud names the family as a zonal view: projects/debian-cloud/zones/-/imageFamilyViews/...
    gcloud(
        "compute", "instances", "create", "vm1", *zone, "--machine-type=e2-micro",
        "--image-family=debian-12", "--image-project=debian-cloud",
    )  # fmt: skip
    status = gcloud("compute", "instances", "describe", "vm1", *zone, "--format=value(status)")
    assert status.stdout.strip() == "RUNNING"
    gcloud("compute", "instances", "stop", "vm1", *zone)
    gcloud("compute", "instances", "delete", "vm1", *zone)
    assert "vm1" not in gcloud("compute", "instances", "list", f"--project={project}").stdout


def test_custom_roles_and_operations(gcloud: Gcloud, project: str) -> None:
    where = f"--project={project}"
    # create asks which permissions are testable first; update sends back the etag it
    # read, in the URL-safe alphabet.
    gcloud("iam", "roles", "create", "reader", where, "--title=Reader",
           "--permissions=storage.objects.get")  # fmt: skip
    for permission in ("storage.objects.list", "storage.buckets.get"):
        gcloud("iam", "roles", "update", "reader", where, f"--add-permissions={permission}")
    role = yaml.safe_load(gcloud("iam", "roles", "describe", "reader", where).stdout)
    assert role["includedPermissions"] == [
        "storage.buckets.get",
        "storage.objects.get",
        "storage.objects.list",
    ]
    gcloud("compute", "networks", "create", "net1", "--subnet-mode=custom", where)
    operations = gcloud("compute", "operations", "list", where)  # aggregated, every scope
    assert "insert" in operations.stdout and "WARNING" not in operations.stderr
