"""The authorization epoch: every change to what authorization reads moves it, so the
short path's kept results never outlive a change, whichever process made it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.store.epochs import AUTHORIZATION_TABLES, CURRENT_EPOCH
from nimbus.store.models import StoredObject
from nimbus.store.snapshots import Prepared
from nimbus.wire.iam import Binding
from tests.unit.cloud_owner import owner_of

STRANGER = "user:stranger@example.com"


def _epoch(cloud: Cloud) -> int:
    with cloud.db.read() as session:
        return int(session.execute(text(CURRENT_EPOCH)).scalar_one())


def test_every_authorization_table_moves_the_epoch_on_every_change(cloud: Cloud) -> None:
    with cloud.db.read() as session:
        triggers = set(
            session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
    expected = {
        f"store_epoch_{table}_{event}"
        for table in AUTHORIZATION_TABLES
        for event in ("insert", "update", "delete")
    }
    assert expected <= triggers

    before = _epoch(cloud)
    cloud.buckets.insert(owner_of(cloud), "nimbus-system", {"name": "epochs"})
    assert _epoch(cloud) > before


def test_only_statements_over_those_tables_may_be_kept(cloud: Cloud) -> None:
    with pytest.raises(ValueError, match="authorization epoch"):
        Prepared(select(StoredObject), cloud.db.engine.dialect, stable=True)


def test_a_revoked_grant_stops_the_next_read(cloud: Cloud) -> None:
    owner = owner_of(cloud)
    cloud.buckets.insert(owner, "nimbus-system", {"name": "epochs"})
    reads = cloud.quick_object_reads
    assert reads is not None
    stranger = Caller(principal=STRANGER)

    def lists() -> bool:
        return reads.bucket_for(stranger, "epochs", "storage.objects.list") is not None

    original = cloud.buckets.get_iam_policy(owner, "epochs", None)
    assert not lists()
    viewer = Binding(role="roles/storage.objectViewer", members=[STRANGER])
    granted = cloud.buckets.set_iam_policy(
        owner,
        "epochs",
        original.model_copy(update={"bindings": [*(original.bindings or []), viewer]}),
    )
    assert lists()
    assert lists()  # now from the kept results
    cloud.buckets.set_iam_policy(
        owner, "epochs", original.model_copy(update={"etag": granted.etag})
    )
    assert not lists()
