"""Repeated reads of a small object are replayed only while everything their answer
rests on stands: the store's committed state (changed here by the services, by a policy
and by another connection, as another worker would), the token's validity and, for a
grant under an IAM condition, the time, which no kept answer may depend on."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import google_crc32c
import httpx
import pytest
from sqlalchemy import select

from nimbus.api.app import create_app
from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.storage.generations import Content
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.preconditions import Preconditions
from nimbus.settings import ServerSettings
from nimbus.store.models import StorageOperationCount
from nimbus.wire.iam import Policy
from tests.clocks import ManualClock
from tests.unit.cloud_owner import owner_of

BUCKET = "kept-reads"
PATH = f"/storage/v1/b/{BUCKET}/o/hot"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def cloud(tmp_path: Path, clock: ManualClock) -> Iterator[Cloud]:
    built = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"), clock=clock)
    built.start()
    owner = owner_of(built)
    built.buckets.insert(
        owner,
        "nimbus-system",
        {"name": BUCKET, "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}}},
    )
    _put(built, owner, b"first")
    yield built
    built.close()


def _put(cloud: Cloud, caller: Caller, data: bytes) -> None:
    content = Content(len(data), google_crc32c.value(data), hashlib.md5(data).digest(), inline=data)
    cloud.objects.insert(
        caller,
        BUCKET,
        "hot",
        content,
        ObjectSpec(fields={"contentType": "text/plain"}),
        Preconditions(),
    )


def _token(cloud: Cloud, principal: str) -> str:
    with cloud.db.write() as session:
        return cloud.tokens._issue(session, principal=principal, scope=SCOPE).access_token


Step = str | Callable[[], object]


def _reads(cloud: Cloud, token: str, *steps: Step) -> list[httpx.Response]:
    """The steps in order, on one event loop as on a server: a query string is a GET of
    the object with it, a callable runs between the GETs (a change, the clock moved)."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(cloud))
        headers = {"Authorization": f"Bearer {token}"}
        responses = []
        async with httpx.AsyncClient(transport=transport, base_url="http://nimbus") as client:
            for step in steps:
                if callable(step):
                    step()
                else:
                    responses.append(await client.get(f"{PATH}?{step}", headers=headers))
        return responses

    return asyncio.run(run())


def _later(clock: ManualClock, minutes: int) -> Callable[[], None]:
    return lambda: clock.advance(minutes=minutes)


@pytest.fixture
def short_path_calls(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The object reads the short path decided afresh (a replay decides nothing)."""
    reads = cloud.quick_object_reads
    assert reads is not None
    calls: list[str] = []
    decide = reads.get

    def counted(*args: object, **kwargs: object) -> object:
        calls.append("read")
        return decide(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reads, "get", counted)
    return calls


def test_a_read_is_replayed_until_the_object_changes(
    cloud: Cloud, short_path_calls: list[str]
) -> None:
    owner = owner_of(cloud)
    token = _token(cloud, owner.principal)

    def change() -> None:
        _put(cloud, owner, b"second")

    responses = _reads(cloud, token, *["alt=media"] * 3, change, *["alt=media"] * 2)

    assert [r.content for r in responses] == [b"first"] * 3 + [b"second"] * 2
    # The first asking is remembered, the second kept, the third replayed; after the
    # change, the next is kept again (it was asked before) and the last replayed.
    assert len(short_path_calls) == 3


def test_a_commit_by_another_connection_ends_the_replays(cloud: Cloud) -> None:
    token = _token(cloud, owner_of(cloud).principal)

    def change_elsewhere() -> None:
        # As another worker process would: its own connection to the database file.
        with sqlite3.connect(cloud.settings.data_dir / "nimbus.db") as other:
            other.execute("UPDATE objects SET content_type = 'text/x-changed'")

    responses = _reads(cloud, token, "", "", change_elsewhere, "")

    types = [r.json()["contentType"] for r in responses]
    assert types == ["text/plain"] * 2 + ["text/x-changed"]


def test_an_expired_token_is_refused_though_its_answer_was_kept(
    cloud: Cloud, clock: ManualClock
) -> None:
    token = _token(cloud, owner_of(cloud).principal)

    # The token lives an hour.
    responses = _reads(
        cloud, token, "alt=media", _later(clock, 30), "alt=media", _later(clock, 31), "alt=media"
    )

    assert [r.status_code for r in responses] == [200, 200, 401]


def test_a_grant_under_a_condition_on_the_time_is_decided_every_time(
    cloud: Cloud, clock: ManualClock
) -> None:
    owner = owner_of(cloud)
    guest = "user:guest@example.com"
    end = clock.now() + dt.timedelta(minutes=30)
    policy = cloud.buckets.get_iam_policy(owner, BUCKET, 3)
    bindings = [b.dump() for b in policy.bindings or []] + [
        {
            "role": "roles/storage.objectViewer",
            "members": [guest],
            "condition": {
                "title": "30 min",
                "expression": f'request.time < timestamp("{end.isoformat()}")',
            },
        }
    ]
    cloud.buckets.set_iam_policy(
        owner, BUCKET, Policy.model_validate({"version": 3, "bindings": bindings})
    )

    # The condition ends at 30 minutes, the token at 60.
    responses = _reads(
        cloud,
        _token(cloud, guest),
        "alt=media",
        _later(clock, 10),
        "alt=media",
        _later(clock, 21),
        "alt=media",
    )

    assert [r.status_code for r in responses] == [200, 200, 403]


def test_replays_count_as_reads(cloud: Cloud) -> None:
    token = _token(cloud, owner_of(cloud).principal)
    cloud.storage_usage.flush()
    with cloud.db.read() as session:
        before = sum(session.scalars(select(StorageOperationCount.class_b)))

    responses = _reads(cloud, token, *["alt=media"] * 5)

    assert [r.content for r in responses] == [b"first"] * 5
    cloud.storage_usage.flush()
    with cloud.db.read() as session:
        assert sum(session.scalars(select(StorageOperationCount.class_b))) - before == 5


def test_other_requests_are_answered_for_themselves(cloud: Cloud) -> None:
    """The query is part of what is replayed: a failing precondition is not answered
    with the kept bytes, nor metadata with them."""
    token = _token(cloud, owner_of(cloud).principal)

    media, unmet, metadata = _reads(cloud, token, "alt=media", "alt=media&ifGenerationMatch=1", "")

    assert media.content == b"first"
    assert unmet.status_code == 412
    assert metadata.json()["name"] == "hot"


def test_answers_trimmed_to_fields_stay_trimmed(cloud: Cloud) -> None:
    token = _token(cloud, owner_of(cloud).principal)

    responses = _reads(cloud, token, *["fields=name"] * 3, "", "")

    assert [r.json() for r in responses[:3]] == [{"name": "hot"}] * 3
    assert [r.json()["bucket"] for r in responses[3:]] == [BUCKET] * 2
