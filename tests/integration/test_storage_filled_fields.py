"""Fields Cloud Storage fills in: autoclass times, encryption enforcement times, the IP
filter kept, configurable dual-regions; an object's owner and its predefined ACLs."""

from __future__ import annotations

import datetime as dt

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.cloud.storage.bucket import EncryptionEnforcementConfig
from google.cloud.storage.constants import (
    ENFORCEMENT_MODE_FULLY_RESTRICTED,
    ENFORCEMENT_MODE_NOT_RESTRICTED,
)
from google.cloud.storage.ip_filter import IPFilter, PublicNetworkSource, VpcNetworkSource

from tests.conftest import unique_id
from tests.servers import NimbusServer


def test_autoclass_on_create_defaults_to_nearline_and_records_its_toggle(
    storage_client: storage.Client,
) -> None:
    wanted = storage_client.bucket(unique_id("autoclass"))
    wanted.autoclass_enabled = True
    bucket = storage_client.create_bucket(wanted)
    toggled = bucket.autoclass_toggle_time

    assert bucket.autoclass_enabled is True
    assert bucket.autoclass_terminal_storage_class == "NEARLINE"
    assert isinstance(toggled, dt.datetime)
    assert isinstance(bucket.autoclass_terminal_storage_class_update_time, dt.datetime)

    bucket.autoclass_enabled = False
    bucket.patch(if_metageneration_match=bucket.metageneration)

    assert bucket.autoclass_enabled is False
    assert bucket.autoclass_toggle_time is not None and bucket.autoclass_toggle_time > toggled


def test_autoclass_on_an_existing_bucket_records_terminal_class_changes(
    bucket: storage.Bucket,
) -> None:
    assert bucket.autoclass_enabled is False and bucket.autoclass_toggle_time is None

    bucket.autoclass_enabled = True
    bucket.autoclass_terminal_storage_class = "ARCHIVE"
    bucket.patch(if_metageneration_match=bucket.metageneration)
    archived_at = bucket.autoclass_terminal_storage_class_update_time
    toggled = bucket.autoclass_toggle_time
    assert bucket.autoclass_terminal_storage_class == "ARCHIVE" and archived_at is not None

    bucket.autoclass_terminal_storage_class = "NEARLINE"
    bucket.patch(if_metageneration_match=bucket.metageneration)

    assert bucket.autoclass_terminal_storage_class == "NEARLINE"
    assert bucket.autoclass_terminal_storage_class_update_time != archived_at
    assert bucket.autoclass_toggle_time == toggled


def test_a_bad_autoclass_terminal_class_is_refused(bucket: storage.Bucket) -> None:
    bucket.autoclass_enabled = True
    bucket.autoclass_terminal_storage_class = "COLDLINE"
    with pytest.raises(exceptions.BadRequest):
        bucket.patch()

    bucket.reload()
    assert bucket.autoclass_enabled is False and bucket.metageneration == 1


def test_the_ip_filter_is_kept(storage_client: storage.Client, bucket: storage.Bucket) -> None:
    ip_filter = IPFilter()
    ip_filter.mode = "Disabled"
    ip_filter.allow_all_service_agent_access = True
    ip_filter.public_network_source = PublicNetworkSource(
        allowed_ip_cidr_ranges=["203.0.113.10/32"]
    )
    ip_filter.vpc_network_sources.append(
        VpcNetworkSource(
            network=f"projects/{storage_client.project}/global/networks/default",
            allowed_ip_cidr_ranges=["10.0.0.0/8"],
        )
    )
    bucket.ip_filter = ip_filter
    bucket.patch()

    bucket.reload()
    kept = bucket.ip_filter
    assert kept is not None and kept.mode == "Disabled"
    assert kept.allow_all_service_agent_access is True
    assert kept.public_network_source.allowed_ip_cidr_ranges == ["203.0.113.10/32"]
    assert len(kept.vpc_network_sources) == 1

    bucket.ip_filter = {"mode": "Sometimes"}
    with pytest.raises(exceptions.BadRequest):
        bucket.patch()


def test_a_restricting_enforcement_config_gets_an_effective_time(
    storage_client: storage.Client,
) -> None:
    wanted = storage_client.bucket(unique_id("enforced"))
    wanted.encryption.google_managed_encryption_enforcement_config = EncryptionEnforcementConfig(
        restriction_mode=ENFORCEMENT_MODE_FULLY_RESTRICTED
    )
    bucket = storage_client.create_bucket(wanted)
    created = bucket.encryption.google_managed_encryption_enforcement_config
    assert created.restriction_mode == ENFORCEMENT_MODE_FULLY_RESTRICTED
    assert isinstance(created.effective_time, dt.datetime)

    bucket.encryption.customer_managed_encryption_enforcement_config = EncryptionEnforcementConfig(
        restriction_mode=ENFORCEMENT_MODE_NOT_RESTRICTED
    )
    bucket.patch()
    bucket.reload()
    google = bucket.encryption.google_managed_encryption_enforcement_config
    customer = bucket.encryption.customer_managed_encryption_enforcement_config
    assert google.effective_time == created.effective_time
    assert customer.restriction_mode == ENFORCEMENT_MODE_NOT_RESTRICTED
    assert customer.effective_time is None

    bucket.encryption.google_managed_encryption_enforcement_config = None
    bucket.patch()
    bucket.reload()
    assert bucket.encryption.google_managed_encryption_enforcement_config is None
    assert bucket.encryption.customer_managed_encryption_enforcement_config is not None


def test_a_multi_region_with_two_data_locations_is_a_dual_region(
    storage_client: storage.Client,
) -> None:
    created = storage_client.create_bucket(
        unique_id("dual"), location="US", data_locations=["US-EAST1", "US-WEST1"]
    )

    assert created.location == "US"
    assert created.location_type == "dual-region"
    assert created.data_locations == ["US-EAST1", "US-WEST1"]


@pytest.mark.parametrize(
    ("location", "data_locations"),
    [
        ("US", ["US-EAST1"]),
        ("US", ["US-EAST1", "EUROPE-WEST1"]),
        ("US", ["US-EAST1", "US-EAST1"]),
        ("US-EAST1", ["US-EAST1", "US-WEST1"]),
    ],
)
def test_bad_data_locations_are_refused(
    storage_client: storage.Client, location: str, data_locations: list[str]
) -> None:
    name = unique_id("dual")
    with pytest.raises(exceptions.BadRequest):
        storage_client.create_bucket(name, location=location, data_locations=data_locations)

    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket(name)


def _entities(blob: storage.Blob) -> dict[str, str]:
    blob.acl.reload()
    return {entry["entity"]: entry["role"] for entry in blob.acl}


def test_an_object_is_owned_by_its_uploader(
    bucket: storage.Bucket, owner_credentials: object
) -> None:
    email = owner_credentials.service_account_email  # type: ignore[attr-defined]
    bucket.blob("mine").upload_from_string(b"Hello World")

    blob = bucket.blob("mine")
    blob.reload(projection="full")

    assert blob.owner == {"entity": f"user-{email}"}
    assert blob.acl.has_entity(f"user-{email}")


def test_a_default_object_acl_is_project_private_plus_the_owner(
    storage_client: storage.Client, bucket: storage.Bucket, owner_credentials: object
) -> None:
    email = owner_credentials.service_account_email  # type: ignore[attr-defined]
    number = storage_client.get_bucket(bucket.name).project_number
    bucket.blob("default").upload_from_string(b"")

    assert _entities(bucket.blob("default")) == {
        f"project-owners-{number}": "OWNER",
        f"project-editors-{number}": "OWNER",
        f"project-viewers-{number}": "READER",
        f"user-{email}": "OWNER",
    }


@pytest.mark.parametrize(
    ("predefined", "teams"),
    [
        ("private", {}),
        ("bucketOwnerRead", {"project-owners": "READER"}),
        ("bucketOwnerFullControl", {"project-owners": "OWNER"}),
        (
            "projectPrivate",
            {"project-owners": "OWNER", "project-editors": "OWNER", "project-viewers": "READER"},
        ),
    ],
)
def test_predefined_object_acls_are_googles(
    storage_client: storage.Client,
    bucket: storage.Bucket,
    owner_credentials: object,
    predefined: str,
    teams: dict[str, str],
) -> None:
    email = owner_credentials.service_account_email  # type: ignore[attr-defined]
    number = storage_client.get_bucket(bucket.name).project_number
    blob = bucket.blob(predefined)
    blob.upload_from_string(b"", predefined_acl=predefined)

    expected = {f"{team}-{number}": role for team, role in teams.items()}
    assert _entities(bucket.blob(predefined)) == {**expected, f"user-{email}": "OWNER"}


def test_a_uniform_bucket_refuses_an_acl_on_a_new_object(
    server: NimbusServer,
    owner: google.auth.transport.requests.AuthorizedSession,
    storage_client: storage.Client,
) -> None:
    uniform = storage_client.bucket(unique_id("ubla"))
    uniform.iam_configuration.uniform_bucket_level_access_enabled = True
    uniform.create()

    with pytest.raises(exceptions.BadRequest, match="Cannot insert legacy ACL"):
        uniform.blob("public").upload_from_string(b"x", predefined_acl="publicRead")
    refused = owner.put(
        f"{server.url}/{uniform.name}/public", data=b"x", headers={"x-goog-acl": "public-read"}
    )
    assert refused.status_code == 400, refused.text
    assert list(uniform.list_blobs()) == []
    uniform.blob("plain").upload_from_string(b"x")  # without an ACL, as usual
    assert [b.name for b in uniform.list_blobs()] == ["plain"]


def test_a_predefined_acl_on_patch_keeps_the_object_owner(
    bucket: storage.Bucket, owner_credentials: object
) -> None:
    email = owner_credentials.service_account_email  # type: ignore[attr-defined]
    blob = bucket.blob("repatched")
    blob.upload_from_string(b"")

    blob.acl.save_predefined("publicRead")

    assert _entities(bucket.blob("repatched")) == {"allUsers": "READER", f"user-{email}": "OWNER"}


def test_an_unknown_predefined_acl_is_refused(
    server: NimbusServer,
    owner: google.auth.transport.requests.AuthorizedSession,
    bucket: storage.Bucket,
) -> None:
    response = owner.post(
        f"{server.url}/upload/storage/v1/b/{bucket.name}/o",
        params={"uploadType": "media", "name": "refused", "predefinedAcl": "everyone"},
        data=b"",
    )

    assert response.status_code == 400, response.text
    assert bucket.get_blob("refused") is None
