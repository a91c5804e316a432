"""``nimbus storage hmac`` as a user runs it, like ``gcloud storage hmac``: create (the
secret shown once), list short and long, describe, activate and deactivate with etags,
delete only once inactive, and one-line errors."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e


def service_account(cli: Cli, project: str) -> str:
    name = unique_id("sa")
    ok(cli, f"iam service-accounts create {name} --project {project}")
    return f"{name}@{project}.iam.gserviceaccount.com"


def documents(text: str) -> list[dict[str, object]]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def test_create_describe_list_and_delete_once_inactive(cli: Cli, project: str) -> None:
    email = service_account(cli, project)
    other = service_account(cli, project)

    created = yaml.safe_load(ok(cli, f"storage hmac create {email} --project {project}").stdout)
    assert created["kind"] == "storage#hmacKey"
    assert len(created["secret"]) == 40
    metadata = created["metadata"]
    access_id = metadata["accessId"]
    assert access_id.startswith("GOOG1E") and len(access_id) == 61
    assert metadata["state"] == "ACTIVE" and metadata["serviceAccountEmail"] == email
    theirs = json.loads(
        ok(cli, f"storage hmac create {other} --project {project} --format=json").stdout
    )["metadata"]["accessId"]

    shown = yaml.safe_load(ok(cli, f"storage hmac describe {access_id} --project {project}").stdout)
    assert shown["accessId"] == access_id and shown["state"] == "ACTIVE"
    assert shown["etag"] == metadata["etag"] and "secret" not in shown

    short = documents(ok(cli, f"storage hmac list --project {project}").stdout)
    assert sorted(short, key=lambda key: str(key["accessId"])) == sorted(
        [
            {"accessId": access_id, "serviceAccountEmail": email, "state": "ACTIVE"},
            {"accessId": theirs, "serviceAccountEmail": other, "state": "ACTIVE"},
        ],
        key=lambda key: str(key["accessId"]),
    )
    mine = documents(ok(cli, f"storage hmac list -l -u {email} --project {project}").stdout)
    assert mine == [shown]

    refused = nimbus(cli, f"storage hmac delete {access_id} --project {project}")
    assert "ACTIVE" in failed_in_one_line(refused, "storage.hmac.delete")
    still = yaml.safe_load(ok(cli, f"storage hmac describe {access_id} --project {project}").stdout)
    assert still == shown

    ok(cli, f"storage hmac update {access_id} --deactivate --project {project}")
    deleted = ok(cli, f"storage hmac delete {access_id} --project {project}")
    assert deleted.stdout == ""
    live = ok(cli, f"storage hmac list --project {project} --format=value(accessId)")
    assert live.stdout.splitlines() == [theirs]
    every = ok(cli, f"storage hmac list --all --project {project} --filter=state=DELETED")
    assert documents(every.stdout) == [
        {"accessId": access_id, "serviceAccountEmail": email, "state": "DELETED"}
    ]


def test_update_deactivates_and_activates_with_etags(cli: Cli, project: str) -> None:
    email = service_account(cli, project)
    created = json.loads(
        ok(cli, f"storage hmac create {email} --project {project} --format=json").stdout
    )
    access_id, first = created["metadata"]["accessId"], created["metadata"]["etag"]

    off = f"storage hmac update {access_id} --deactivate --etag={first} --project {project}"
    inactive = yaml.safe_load(ok(cli, off).stdout)
    assert inactive["state"] == "INACTIVE" and inactive["etag"] != first

    on = f"storage hmac update {access_id} --activate --project {project} -e"
    stale = nimbus(cli, f"{on} {first}")
    assert "etag" in failed_in_one_line(stale, "storage.hmac.update")
    active = yaml.safe_load(ok(cli, f"{on} {inactive['etag']}").stdout)
    assert active["state"] == "ACTIVE" and active["etag"] not in (first, inactive["etag"])
    described = ok(cli, f"storage hmac describe {access_id} --project {project}")
    assert yaml.safe_load(described.stdout) == active


def test_bad_input_fails_in_one_line(cli: Cli, project: str) -> None:
    both = nimbus(cli, f"storage hmac update GOOG1EX --activate --deactivate --project {project}")
    assert "At most one of --activate | --deactivate" in failed_in_one_line(
        both, "storage.hmac.update"
    )
    neither = nimbus(cli, f"storage hmac update GOOG1EX --project {project}")
    assert "Exactly one of (--activate | --deactivate)" in failed_in_one_line(
        neither, "storage.hmac.update"
    )
    unknown = nimbus(cli, f"storage hmac describe GOOG1ENOSUCHKEY --project {project}")
    assert "NOT_FOUND" in failed_in_one_line(unknown, "storage.hmac.describe")
    gone = nimbus(cli, f"storage hmac delete GOOG1ENOSUCHKEY --project {project}")
    assert "NOT_FOUND" in failed_in_one_line(gone, "storage.hmac.delete")
    nobody = f"nobody@{project}.iam.gserviceaccount.com"
    absent = nimbus(cli, f"storage hmac create {nobody} --project {project}")
    assert f"{nobody} does not exist" in failed_in_one_line(absent, "storage.hmac.create")
