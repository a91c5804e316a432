"""Retention: a bucket's retention policy (Bucket Lock) and an object's own retention
(Object Retention Lock), and the one check every delete and overwrite goes through.

Retention is measured on the world clock, like lifecycle: advancing the world lets a
retained object go.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.core.clock import as_utc, rfc3339, rfc3339_micros
from nimbus.core.errors import InvalidArgument, PermissionDenied
from nimbus.services.storage.object_fields import parse_time
from nimbus.store.models import Bucket, StoredObject

# Cloud Storage's ceiling for both a retention period and a retain-until time.
MAX_SECONDS = 3_155_760_000
MODES = ("Unlocked", "Locked")


# -- the bucket's retention policy ------------------------------------------------------


def policy_period(bucket: Bucket) -> int | None:
    policy = bucket.extra.get("retentionPolicy")
    return int(policy["retentionPeriod"]) if policy else None


def set_policy(bucket: Bucket, raw: Any, now: dt.datetime) -> None:
    """Set, change or remove (``raw`` None) the policy; a locked one only grows."""
    current = bucket.extra.get("retentionPolicy")
    period = _period(raw)
    if current and current.get("isLocked"):
        if period is None:
            raise PermissionDenied(
                f"Cannot remove the locked retention policy of bucket {bucket.name}."
            )
        if period < int(current["retentionPeriod"]):
            raise PermissionDenied(
                f"Cannot reduce the retention period of the locked retention policy of "
                f"bucket {bucket.name}."
            )
    if current and period == int(current["retentionPeriod"]):
        return  # a client echoing the policy back: it takes effect only once
    extra = {k: v for k, v in bucket.extra.items() if k != "retentionPolicy"}
    if period is not None:
        extra["retentionPolicy"] = {
            "retentionPeriod": str(period),
            "effectiveTime": rfc3339_micros(now),
            "isLocked": bool(current and current.get("isLocked")),
        }
    bucket.extra = extra


def _period(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, dict) and raw.get("retentionPeriod") is None):
        return None
    if not isinstance(raw, dict):
        raise InvalidArgument("Invalid value for 'retentionPolicy': expected an object.")
    try:
        period = int(raw["retentionPeriod"])
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(
            f"Invalid value for 'retentionPolicy.retentionPeriod': '{raw['retentionPeriod']}'."
        ) from exc
    if not 0 < period < MAX_SECONDS:
        raise InvalidArgument(
            f"The retention period must be greater than 0 and less than {MAX_SECONDS} seconds."
        )
    return period


def lock_policy(bucket: Bucket) -> None:
    policy = bucket.extra.get("retentionPolicy")
    if not policy:
        raise InvalidArgument(f"Bucket {bucket.name} has no retention policy to lock.")
    bucket.extra = {**bucket.extra, "retentionPolicy": {**policy, "isLocked": True}}


# -- an object's retention ----------------------------------------------------------------


def expiration(bucket: Bucket, row: StoredObject) -> dt.datetime | None:
    """When the bucket's policy lets this generation go (``retentionExpirationTime``).

    Under an event-based hold the period has not started yet.
    """
    period = policy_period(bucket)
    if period is None or row.event_based_hold:
        return None
    return as_utc(row.retention_start or row.time_created) + dt.timedelta(seconds=period)


def object_retention_enabled(bucket: Bucket) -> bool:
    return (bucket.extra.get("objectRetention") or {}).get("mode") == "Enabled"


def set_object_retention(
    bucket: Bucket, row: StoredObject, raw: Any, now: dt.datetime, *, override: bool
) -> None:
    """Set the ``retention`` an object asks for; ``override`` is
    ``overrideUnlockedRetention``, needed to weaken an Unlocked retention."""
    mode, until = _object_retention(raw, now)
    if mode is not None and not object_retention_enabled(bucket):
        raise InvalidArgument(f"Object retention is not enabled on bucket {bucket.name}.")
    current = row.retain_until and as_utc(row.retain_until)
    weaker = current is not None and (until is None or until < current)
    if row.retention_mode == "Locked" and (weaker or mode != "Locked"):
        raise PermissionDenied(
            f"Object '{row.bucket}/{row.name}' has a locked retention: its retain-until "
            "time can only be extended."
        )
    if row.retention_mode == "Unlocked" and (weaker or mode != "Unlocked") and not override:
        raise PermissionDenied(
            f"Object '{row.bucket}/{row.name}' has an unlocked retention: reducing, removing "
            "or locking it requires overrideUnlockedRetention=true."
        )
    row.retention_mode, row.retain_until = mode, until


def _object_retention(raw: Any, now: dt.datetime) -> tuple[str | None, dt.datetime | None]:
    if raw is None or (isinstance(raw, dict) and raw.get("mode") is None):
        return None, None
    if not isinstance(raw, dict) or raw.get("mode") not in MODES:
        raise InvalidArgument("Invalid value for 'retention.mode': expected Unlocked or Locked.")
    until = parse_time(raw.get("retainUntilTime"), "retention.retainUntilTime")
    if until is None:
        raise InvalidArgument("Required field 'retention.retainUntilTime' is missing.")
    if until <= now or until > now + dt.timedelta(seconds=MAX_SECONDS):
        raise InvalidArgument(
            "retention.retainUntilTime must be in the future and at most 100 years from now."
        )
    return str(raw["mode"]), until


def retention_view(bucket: Bucket, row: StoredObject) -> dict[str, Any]:
    """The resource fields retention adds to an object."""
    fields: dict[str, Any] = {}
    if row.retention_mode is not None and row.retain_until is not None:
        fields["retention"] = {
            "mode": row.retention_mode,
            "retainUntilTime": rfc3339_micros(row.retain_until),
        }
    expires = expiration(bucket, row)
    if expires is not None:
        fields["retentionExpirationTime"] = rfc3339(expires)
    return fields


# -- the check ----------------------------------------------------------------------------


def retained(bucket: Bucket, row: StoredObject, now: dt.datetime) -> bool:
    """Whether retention (the bucket's or the object's own) still keeps this generation."""
    expires = expiration(bucket, row)
    until = row.retain_until and as_utc(row.retain_until)
    return any(moment is not None and now < moment for moment in (expires, until))


def require_not_retained(
    bucket: Bucket, row: StoredObject, now: dt.datetime, *, destroys: bool
) -> None:
    """Cloud Storage's 403 for destroying a retained generation. Making a live
    generation noncurrent (``destroys`` False) keeps it, so retention allows it."""
    if not destroys or not retained(bucket, row, now):
        return
    expires = expiration(bucket, row)
    if expires is not None and now < expires:
        raise PermissionDenied(
            f"Object '{row.bucket}/{row.name}' is subject to bucket's retention policy and "
            f"cannot be deleted, overwritten or archived until {rfc3339_micros(expires)}"
        )
    assert row.retain_until is not None
    raise PermissionDenied(
        f"Object '{row.bucket}/{row.name}' is subject to object retention and cannot be "
        f"deleted, overwritten or archived until {rfc3339_micros(row.retain_until)}"
    )
