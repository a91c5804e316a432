"""Object reads and listings on the embedded store's short path (see ``store/snapshots``).

The usual read (a valid access token or the configured anonymous principal, bucket
and project policies that grant ``storage.objects.get`` or ``.list``, the live or a
named generation whose preconditions hold) is decided in one snapshot, without the ORM.
Anything else (a missing row, a refusal, an ACL grant, a self-signed JWT) gives None,
and the full path answers it, so every error is worded in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import String, bindparam, select

from nimbus.core.errors import NimbusError
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.tokens import Tokens
from nimbus.services.storage.access import bucket_target
from nimbus.services.storage.listing import (
    RESOURCE_COLUMNS,
    BatchShape,
    ListedObject,
    Listing,
    ListQuery,
    list_objects,
)
from nimbus.services.storage.objects import LIVE_GENERATION, NAMED_GENERATION
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.usage import CLASS_A, CLASS_B, StorageUsage
from nimbus.store.models import Bucket, CustomRole, IamPolicy, Project, StoredObject
from nimbus.store.snapshots import PreparedEntity, Snapshot, Snapshots

# A bearer token, or None for a call without credentials (which acts as ``anonymous``).
Credentials = str | None

# When the anonymous caller's standing ends: only with a change in the store.
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class QuickRead:
    """An object read decided on the short path, and until when that decision stands
    while the store does not change: the caller's token's expiry, or None if the time
    went into it (an IAM condition), so that it stood only at that moment."""

    bucket: Bucket
    row: StoredObject
    holds_until: dt.datetime | None


class QuickObjectReads:
    def __init__(
        self, snapshots: Snapshots, tokens: Tokens, authorizer: Authorizer, usage: StorageUsage
    ) -> None:
        self._snapshots = snapshots
        self._tokens = tokens
        self._authorizer = authorizer
        self._usage = usage
        # What authorization reads is kept while the authorization epoch stays put.
        prepare = partial(snapshots.prepare_entity, stable=True)
        self._bucket = prepare(Bucket, Bucket.name == bindparam("name"))
        self._project = prepare(Project, Project.number == bindparam("number"))
        self._custom_role = prepare(CustomRole, CustomRole.name == bindparam("name"))
        self._live = snapshots.prepare_query(StoredObject, LIVE_GENERATION)
        self._generation = snapshots.prepare_query(StoredObject, NAMED_GENERATION)
        self._policies: dict[int, PreparedEntity[IamPolicy]] = {}
        self._batches: dict[BatchShape, PreparedEntity[StoredObject]] = {}
        self._resource = snapshots.prepare_query(StoredObject, select(*RESOURCE_COLUMNS))
        keys = self._resource.prepared.keys
        self._name_at, self._generation_at = keys.index("name"), keys.index("generation")

    def get(
        self,
        bearer: Credentials,
        anonymous: Caller,
        accepted_scopes: frozenset[str],
        bucket: str,
        name: str,
        generation: int | None,
        preconditions: Preconditions,
    ) -> QuickRead | None:
        """What ``Objects.get`` returns, when this path can decide it; else None."""
        with self._snapshots.read() as snapshot:
            readable = self._readable_bucket(
                snapshot, bearer, anonymous, accepted_scopes, bucket, "storage.objects.get"
            )
            if readable is None:
                return None
            bucket_row, expires = readable
            if generation is None:
                row = snapshot.entity(self._live, bucket=bucket, name=name)
            else:
                row = snapshot.entity(
                    self._generation, bucket=bucket, name=name, generation=generation
                )
            holds_until = expires if snapshot.timeless else None
        if row is None or row.key_sha256 is not None:  # customer keys: the full path
            return None
        try:
            preconditions.check(row.generation, row.metageneration, read=True)
        except NimbusError:
            return None
        self._usage.count(bucket_row, CLASS_B)
        return QuickRead(bucket_row, row, holds_until)

    def list_objects(
        self,
        bearer: Credentials,
        anonymous: Caller,
        accepted_scopes: frozenset[str],
        bucket: str,
        query: ListQuery,
    ) -> Listing[ListedObject] | None:
        """What ``Objects.list_objects`` returns, when this path can decide it; else None.
        Its items are ``ListedObject``s."""
        with self._snapshots.read() as snapshot:
            readable = self._readable_bucket(
                snapshot, bearer, anonymous, accepted_scopes, bucket, "storage.objects.list"
            )
            if readable is None:
                return None
            bucket_row = readable[0]

            def fetch(shape: BatchShape, values: dict[str, Any]) -> list[ListedObject]:
                entity = self._batch(shape)
                name_at, generation_at = self._name_at, self._generation_at
                return [
                    ListedObject(stored[name_at], stored[generation_at], stored, entity)
                    for stored in snapshot.rows(entity.prepared, **values)
                ]

            try:
                listing = list_objects(fetch, bucket_row, query)
            except NimbusError:
                return None
        self._usage.count(bucket_row, CLASS_A)
        return listing

    def bucket_for(self, caller: Caller, bucket: str, permission: str) -> Bucket | None:
        """The bucket, if the caller holds ``permission`` on it by IAM; else None."""
        with self._snapshots.read() as snapshot:
            return self._authorized(snapshot, caller, bucket, permission)

    def bucket_at_epoch(
        self, caller: Caller, bucket: str, permission: str
    ) -> tuple[Bucket, int] | None:
        """``bucket_for``, with the authorization epoch it was decided at: a write
        transaction that finds the epoch unchanged may take both as they are."""
        with self._snapshots.read() as snapshot:
            row = self._authorized(snapshot, caller, bucket, permission)
            return None if row is None else (row, snapshot.epoch())

    def _readable_bucket(
        self,
        snapshot: Snapshot,
        bearer: Credentials,
        anonymous: Caller,
        accepted_scopes: frozenset[str],
        bucket: str,
        permission: str,
    ) -> tuple[Bucket, dt.datetime] | None:
        """The bucket, if the request's caller (whose token's scopes admit the API)
        holds ``permission`` on it, and when the caller's token expires."""
        grant = (
            (anonymous, _NEVER)
            if bearer is None
            else self._tokens.access_grant_in(snapshot, bearer)
        )
        if grant is None:
            return None
        caller, expires = grant
        if caller.scopes and caller.scopes.isdisjoint(accepted_scopes):
            return None
        row = self._authorized(snapshot, caller, bucket, permission)
        return None if row is None else (row, expires)

    def _authorized(
        self, snapshot: Snapshot, caller: Caller, bucket: str, permission: str
    ) -> Bucket | None:
        """The bucket, if the caller holds ``permission`` on it by IAM. The decision is
        kept with the rows it was made on, unless a condition (on the time) went into it."""
        values = snapshot.derived(
            ("authorized", caller, bucket, permission),
            lambda: self._decide(snapshot, caller, bucket, permission),
        )
        return None if values is None else self._bucket.instance(values)

    def _decide(
        self, snapshot: Snapshot, caller: Caller, bucket: str, permission: str
    ) -> tuple[dict[str, Any] | None, bool]:
        """The bucket's values if the caller holds ``permission`` on it, and whether the
        decision holds for as long as the rows it read."""
        values = snapshot.first(self._bucket.prepared, name=bucket)
        if values is None:
            return None, True
        bucket_row = self._bucket.instance(values)
        project = snapshot.entity(self._project, number=bucket_row.project_number)
        if project is None:
            return None, True
        target = bucket_target(project, bucket_row)
        policies = self._policies_of(snapshot, target.chain)

        def custom_role(role: str) -> CustomRole | None:
            return snapshot.entity(self._custom_role, name=role)

        granted = self._authorizer.permitted_by(policies, caller, [permission], target, custom_role)
        timeless = not any("condition" in b for policy in policies for b in policy.bindings)
        return (values if granted else None), timeless

    def stored_form(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The ``ListedObject.stored`` a listing will read for a row of these column
        values: what a writer knows its row will be listed as."""
        return self._resource.prepared.stored_form(values)

    def _batch(self, shape: BatchShape) -> PreparedEntity[StoredObject]:
        prepared = self._batches.get(shape)
        if prepared is None:
            prepared = self._snapshots.prepare_query(StoredObject, shape.resource_statement())
            self._batches[shape] = prepared
        return prepared

    def _policies_of(self, snapshot: Snapshot, chain: tuple[str, ...]) -> list[IamPolicy]:
        prepared = self._policies.get(len(chain))
        if prepared is None:
            names = [bindparam(f"r{i}", type_=String) for i in range(len(chain))]
            prepared = self._snapshots.prepare_entity(
                IamPolicy, IamPolicy.resource.in_(names), stable=True
            )
            self._policies[len(chain)] = prepared
        values = {f"r{i}": resource for i, resource in enumerate(chain)}
        return snapshot.entities(prepared, **values)
