"""The short path of object reads decides only what the full path would grant, with the
same rows; everything else it leaves to the full path (None)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import google_crc32c
import pytest
from sqlalchemy import inspect

from nimbus.api.storage import views
from nimbus.core.errors import PermissionDenied
from nimbus.services.caller import ANONYMOUS, Caller
from nimbus.services.cloud import Cloud
from nimbus.services.storage.generations import Content
from nimbus.services.storage.listing import RESOURCE_COLUMNS, ListQuery
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.quick_reads import QuickObjectReads
from nimbus.store.base import Base
from nimbus.store.models import ServiceAccountKey, StoredObject
from tests.unit.cloud_owner import owner_of

SCOPES = frozenset({"https://www.googleapis.com/auth/cloud-platform"})
BUCKET = "quick-reads"


@pytest.fixture
def reads(cloud: Cloud) -> QuickObjectReads:
    assert cloud.quick_object_reads is not None
    return cloud.quick_object_reads


def _put(cloud: Cloud, owner: Caller, name: str, data: bytes, **fields: object) -> StoredObject:
    content = Content(len(data), google_crc32c.value(data), hashlib.md5(data).digest(), inline=data)
    _, row = cloud.objects.insert(
        owner, BUCKET, name, content, ObjectSpec(fields=dict(fields)), Preconditions()
    )
    return row


def _token(cloud: Cloud, principal: str) -> str:
    with cloud.db.write() as session:
        return cloud.tokens._issue(
            session, principal=principal, scope=" ".join(SCOPES)
        ).access_token


def _columns(row: Base) -> dict[str, object]:
    return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs}


def _resource(row: StoredObject) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in RESOURCE_COLUMNS}


def test_a_granted_read_gives_the_rows_the_full_path_gives(
    cloud: Cloud, reads: QuickObjectReads
) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    custom_time = dt.datetime(2030, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    _put(
        cloud,
        owner,
        "dir/ünïcode name",
        b"hello",
        contentType="text/plain",
        metadata={"k": "v"},
        customTime=custom_time.isoformat(),
        temporaryHold=True,
    )
    token = _token(cloud, owner.principal)

    found = reads.get(token, ANONYMOUS, SCOPES, BUCKET, "dir/ünïcode name", None, Preconditions())

    assert found is not None
    bucket, row = found.bucket, found.row
    expected_bucket, expected = cloud.objects.get(owner, BUCKET, "dir/ünïcode name")
    assert _columns(row) == _columns(expected)
    assert row.custom_time == custom_time and row.custom_metadata == {"k": "v"}
    assert row.temporary_hold is True and row.live is True
    assert _columns(bucket) == _columns(expected_bucket)


def test_a_named_generation_and_its_preconditions(cloud: Cloud, reads: QuickObjectReads) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET, "versioning": {"enabled": True}})
    first = _put(cloud, owner, "o", b"one")
    _put(cloud, owner, "o", b"two")
    token = _token(cloud, owner.principal)

    old = reads.get(token, ANONYMOUS, SCOPES, BUCKET, "o", first.generation, Preconditions())
    assert old is not None and old.row.inline_data == b"one" and old.row.live is False
    unmet = Preconditions(if_generation_match=first.generation)
    assert reads.get(token, ANONYMOUS, SCOPES, BUCKET, "o", None, unmet) is None


def test_what_it_cannot_grant_is_left_to_the_full_path(
    cloud: Cloud, reads: QuickObjectReads
) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    _put(cloud, owner, "o", b"data")
    token = _token(cloud, owner.principal)
    stranger = _token(cloud, "user:stranger@example.com")
    none = Preconditions()

    assert reads.get(token, ANONYMOUS, SCOPES, BUCKET, "missing", None, none) is None
    assert reads.get(token, ANONYMOUS, SCOPES, "no-such-bucket", "o", None, none) is None
    assert reads.get("ya29.not-a-token", ANONYMOUS, SCOPES, BUCKET, "o", None, none) is None
    assert reads.get(stranger, ANONYMOUS, SCOPES, BUCKET, "o", None, none) is None
    assert reads.get(None, ANONYMOUS, SCOPES, BUCKET, "o", None, none) is None
    other_scope = frozenset({"https://www.googleapis.com/auth/devstorage.read_only"})
    assert reads.get(token, ANONYMOUS, other_scope, BUCKET, "o", None, none) is None
    # The configured anonymous principal reads like that principal.
    assert reads.get(None, owner, SCOPES, BUCKET, "o", None, none) is not None


def test_a_disabled_key_stops_its_tokens_at_once(cloud: Cloud, reads: QuickObjectReads) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    _put(cloud, owner, "o", b"data")
    with cloud.db.read() as session:
        key = session.query(ServiceAccountKey).first()
    assert key is not None
    with cloud.db.write() as session:
        issued = cloud.tokens._issue(
            session,
            principal=owner.principal,
            scope=" ".join(SCOPES),
            service_account_id=key.service_account_id,
            key_id=key.key_id,
        )
    token = issued.access_token
    assert reads.get(token, ANONYMOUS, SCOPES, BUCKET, "o", None, Preconditions()) is not None

    with cloud.db.write() as session:
        stored = session.get(ServiceAccountKey, key.key_id)
        assert stored is not None
        stored.disabled = True

    assert reads.get(token, ANONYMOUS, SCOPES, BUCKET, "o", None, Preconditions()) is None


LISTINGS = [
    ListQuery(),
    ListQuery(prefix="a/"),
    ListQuery(delimiter="/"),
    ListQuery(prefix="a/", delimiter="/", include_trailing_delimiter=True),
    ListQuery(start_offset="a/c", end_offset="b/"),
    ListQuery(match_glob="**.txt"),
    ListQuery(versions=True),
    ListQuery(versions=True, max_results=2),
    ListQuery(max_results=3),
]


@pytest.mark.parametrize("query", LISTINGS, ids=repr)
def test_listings_page_for_page_as_the_full_path(
    cloud: Cloud, reads: QuickObjectReads, query: ListQuery
) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET, "versioning": {"enabled": True}})
    for name in ("a/", "a/b.txt", "a/c/d.txt", "a/c/e.bin", "b", "b/f.txt", "a/b.txt", "z"):
        _put(cloud, owner, name, name.encode())
    token = _token(cloud, owner.principal)

    pages = 0
    while True:
        quick = reads.list_objects(token, ANONYMOUS, SCOPES, BUCKET, query)
        full = cloud.objects.list_objects(owner, BUCKET, query)
        assert quick is not None
        # A listing reads the columns its resources are rendered from.
        assert [_resource(item.row()) for item in quick.items] == [
            _resource(row) for row in full.items
        ]
        assert (quick.prefixes, quick.next_page_token) == (full.prefixes, full.next_page_token)
        pages += 1
        if full.next_page_token is None:
            break
        query = dataclasses.replace(query, page_token=full.next_page_token)
    # The small pages did page.
    assert pages > 1 or query.max_results > 3


def test_a_listing_it_cannot_decide_is_left_to_the_full_path(
    cloud: Cloud, reads: QuickObjectReads
) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    token = _token(cloud, owner.principal)
    stranger = _token(cloud, "user:stranger@example.com")

    assert reads.list_objects(stranger, ANONYMOUS, SCOPES, BUCKET, ListQuery()) is None
    assert reads.list_objects(token, ANONYMOUS, SCOPES, "no-such", ListQuery()) is None
    bad_token = ListQuery(page_token="%%%")
    assert reads.list_objects(token, ANONYMOUS, SCOPES, BUCKET, bad_token) is None


def test_a_row_renders_alike_loaded_or_expired_in_its_session(
    cloud: Cloud, reads: QuickObjectReads
) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    _put(cloud, owner, "o", b"data", contentType="text/plain", metadata={"k": "v"})
    token = _token(cloud, owner.principal)
    found = reads.get(token, ANONYMOUS, SCOPES, BUCKET, "o", None, Preconditions())
    assert found is not None
    bucket, detached = found.bucket, found.row

    with cloud.db.read() as session:
        row = session.get(StoredObject, (BUCKET, "o", detached.generation))
        assert row is not None
        session.expire(row, ["size", "custom_metadata"])
        rendered = views.stored_object("http://x", bucket, row, full=True)
    assert rendered == views.stored_object("http://x", bucket, detached, full=True)
    assert rendered["size"] == "4" and rendered["metadata"] == {"k": "v"}


def test_a_write_decides_again_when_authorization_moved_since_the_short_path(
    cloud: Cloud, reads: QuickObjectReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The short path's grant and bucket row stand in the write transaction only at
    the epoch they were read at; otherwise the transaction authorizes on its own."""
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": BUCKET})
    stranger = Caller(principal="user:stranger@example.com")
    assert reads.bucket_for(stranger, BUCKET, "storage.objects.create") is None
    bucket = reads.bucket_for(owner, BUCKET, "storage.objects.create")
    assert bucket is not None
    snapshots = cloud.db.snapshots
    assert snapshots is not None
    with snapshots.read() as snapshot:
        epoch = snapshot.epoch()

    # As if the stranger had held the permission until just before the write.
    monkeypatch.setattr(reads, "bucket_at_epoch", lambda *_: (bucket, epoch - 1))
    with pytest.raises(PermissionDenied):
        _put(cloud, stranger, "late", b"x")
    # At the same epoch the decision stands, row and all.
    monkeypatch.setattr(reads, "bucket_at_epoch", lambda *_: (bucket, epoch))
    written_bucket, _ = cloud.objects.insert(
        owner, BUCKET, "now", Content(1, google_crc32c.value(b"x"), None, inline=b"x"),
        ObjectSpec(fields={}), Preconditions(),
    )  # fmt: skip
    assert written_bucket is bucket
