"""``nimbus storage managed-folders`` as a user runs it, like ``gcloud storage
managed-folders``: create, list, describe, delete."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e


def test_managed_folders_create_list_describe_delete(cli: Cli, project: str) -> None:
    bucket = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {bucket} --project {project} --uniform-bucket-level-access")

    created = ok(cli, f"storage managed-folders create {bucket}/logs {bucket}/logs/app/")
    assert created.stderr.splitlines() == [
        f"Creating {bucket}/logs/...",
        f"Creating {bucket}/logs/app/...",
    ]
    listed = ok(cli, f"storage managed-folders list {bucket}")
    assert listed.stdout.splitlines() == [f"{bucket}/logs/", f"{bucket}/logs/app/"]
    under = ok(cli, f"storage managed-folders list {bucket}/logs/a")
    assert under.stdout.splitlines() == [f"{bucket}/logs/app/"]

    shown = yaml.safe_load(ok(cli, f"storage managed-folders describe {bucket}/logs/app/").stdout)
    assert shown["name"] == "logs/app/" and shown["storage_url"] == f"{bucket}/logs/app/"
    assert shown["metageneration"] == "1"

    not_empty = nimbus(cli, f"storage managed-folders delete {bucket}/logs/")
    assert not_empty.returncode != 0 and "not empty" in not_empty.stderr.splitlines()[-1]
    missing = nimbus(cli, f"storage managed-folders describe {bucket}/nope/")
    assert "NOT_FOUND" in failed_in_one_line(missing, "storage.managed-folders.describe")
    ok(cli, f"storage managed-folders delete {bucket}/logs/app/ {bucket}/logs/")
    assert ok(cli, f"storage managed-folders list {bucket}").stdout == ""
    ok(cli, f"storage buckets delete {bucket}")
