"""Resumable sessions past their week end, and their bytes go with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.services.cloud import Cloud
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.uploads import UploadGone
from nimbus.settings import ServerSettings
from tests.clocks import ManualClock
from tests.unit.cloud_owner import owner_of

BUCKET = "expiring-uploads"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def cloud(tmp_path: Path, clock: ManualClock) -> Iterator[Cloud]:
    built = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"), clock=clock)
    built.start()
    yield built
    built.close()


def _session_with_bytes(cloud: Cloud) -> str:
    owner = owner_of(cloud)
    upload_id = cloud.uploads.start(owner, BUCKET, "big", {}, Preconditions(), None)
    chunk = cloud.uploads.begin_chunk(upload_id, 0, None)
    chunk.write(b"x" * 1024)
    cloud.uploads.end_chunk(chunk, chunk.appender.finish(), 1024)
    return upload_id


def test_a_session_past_its_week_ends_and_frees_its_bytes(cloud: Cloud, clock: ManualClock) -> None:
    cloud.buckets.insert(owner_of(cloud), "nimbus-system", {"name": BUCKET})
    abandoned = _session_with_bytes(cloud)
    clock.advance(days=6)
    recent = _session_with_bytes(cloud)

    assert cloud.uploads.expire() == 0
    clock.advance(days=1, seconds=1)
    assert cloud.uploads.expire() == 1

    assert not cloud.blobs.upload_path(abandoned).exists()
    with pytest.raises(UploadGone):
        cloud.uploads.status(abandoned)
    assert cloud.blobs.upload_path(recent).exists()
    assert cloud.uploads.status(recent).persisted == 1024
