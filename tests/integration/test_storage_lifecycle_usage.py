"""Lifecycle rules applied by the controller, and the usage records billing will read."""

from __future__ import annotations

import httpx
from google.cloud import storage
from sqlalchemy import create_engine, text

from tests.servers import NimbusServer


def _run_lifecycle(server: NimbusServer) -> int:
    response = httpx.post(f"{server.url}/_nimbus/test/v1/storage/lifecycle:run")
    assert response.status_code == 200, response.text
    return int(response.json()["acted"])


def test_set_storage_class_and_delete_rules(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    for name in ("logs/a.log", "logs/b.log", "data/keep.csv"):
        bucket.blob(name).upload_from_string(name.encode())
    bucket.add_lifecycle_set_storage_class_rule("COLDLINE", age=0, matches_prefix=["data/"])
    bucket.add_lifecycle_delete_rule(age=0, matches_suffix=[".log"])
    bucket.patch()
    assert _run_lifecycle(server) >= 3
    assert [b.name for b in storage_client.list_blobs(bucket)] == ["data/keep.csv"]
    kept = bucket.get_blob("data/keep.csv")
    assert kept is not None and kept.storage_class == "COLDLINE"
    assert kept.download_as_bytes() == b"data/keep.csv"


def test_rules_on_versions(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    bucket.versioning_enabled = True
    bucket.patch()
    for content in (b"v1", b"v2", b"v3", b"v4"):
        bucket.blob("doc").upload_from_string(content)
    # Keep the live version and one noncurrent one.
    bucket.add_lifecycle_delete_rule(is_live=False, number_of_newer_versions=2)
    bucket.patch()
    _run_lifecycle(server)
    versions = [b.download_as_bytes() for b in storage_client.list_blobs(bucket, versions=True)]
    assert versions == [b"v3", b"v4"]
    # The rules don't touch a live object that matches no condition.
    assert bucket.blob("doc").download_as_bytes() == b"v4"


def test_noncurrent_days_rule_waits(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    bucket.versioning_enabled = True
    bucket.add_lifecycle_delete_rule(days_since_noncurrent_time=7)
    bucket.patch()
    bucket.blob("x").upload_from_string(b"1")
    bucket.blob("x").upload_from_string(b"2")
    _run_lifecycle(server)
    assert len(list(storage_client.list_blobs(bucket, versions=True))) == 2


def test_usage_records(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    bucket.blob("one").upload_from_string(b"x" * 1000)
    bucket.blob("two").upload_from_string(b"y" * 500)
    bucket.blob("one").download_as_bytes()
    bucket.blob("two").delete()
    assert httpx.post(f"{server.url}/_nimbus/test/v1/storage/usage:flush").status_code == 200
    database = server.database_url or f"sqlite:///{server.data_dir / 'nimbus.db'}"
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text(
                    "SELECT storage_class, SUM(delta_bytes) FROM storage_byte_changes "
                    "WHERE bucket = :b GROUP BY storage_class"
                ),
                {"b": bucket.name},
            ).all()
            counts = connection.execute(
                text(
                    "SELECT SUM(class_a), SUM(class_b) FROM storage_operation_counts "
                    "WHERE bucket = :b"
                ),
                {"b": bucket.name},
            ).one()
    finally:
        engine.dispose()
    # "two" is soft-deleted (the bucket's default policy): its bytes are still billed.
    assert [tuple(row) for row in stored] == [("STANDARD", 1500)]
    class_a, class_b = counts
    assert class_a >= 2 and class_b >= 1
