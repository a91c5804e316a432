"""Cloud Storage JSON API shapes (storage/v1).

Storage requests ignore unknown fields, as Cloud Storage does, so that every client's
extra settings pass through instead of failing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from nimbus.wire.base import Wire


class StorageRequest(Wire):
    model_config = ConfigDict(populate_by_name=True, extra="allow", alias_generator=None)


class Versioning(Wire):
    enabled: bool = False


class LifecycleAction(Wire):
    type: str
    storage_class: str | None = None


class LifecycleCondition(Wire):
    age: int | None = None
    created_before: str | None = None
    custom_time_before: str | None = None
    days_since_custom_time: int | None = None
    days_since_noncurrent_time: int | None = None
    is_live: bool | None = None
    matches_storage_class: list[str] | None = None
    matches_prefix: list[str] | None = None
    matches_suffix: list[str] | None = None
    noncurrent_time_before: str | None = None
    num_newer_versions: int | None = None


class LifecycleRule(Wire):
    action: LifecycleAction
    condition: LifecycleCondition = Field(default_factory=LifecycleCondition)


class Lifecycle(Wire):
    rule: list[LifecycleRule] = Field(default_factory=list)


class Buckets(Wire):
    kind: str = "storage#buckets"
    items: list[dict[str, Any]] | None = None
    next_page_token: str | None = None
