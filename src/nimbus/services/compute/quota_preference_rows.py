"""What a quota preference request may set, checked, and how an update changes a row
(computed on a copy first, so ``validateOnly`` changes nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nimbus.core.errors import Conflict, InvalidArgument, RequiredField
from nimbus.core.fingerprints import new_etag
from nimbus.core.ids import new_hex
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute import quota_limits
from nimbus.services.locations import catalog
from nimbus.store.models import Project, QuotaPreference

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# Fields an update may change; service, quotaId and dimensions are immutable.
MUTABLE = ("quotaConfig.preferredValue", "quotaConfig.annotations", "justification", "contactEmail")


@dataclass(frozen=True)
class PreferenceFields:
    """What a request body says (None: not given)."""

    service: str | None = None
    quota_id: str | None = None
    dimensions: dict[str, str] | None = None
    preferred_value: int | None = None
    annotations: dict[str, str] | None = None
    justification: str | None = None
    contact_email: str | None = None
    etag: str | None = None


def name(project: Project, preference_id: str) -> str:
    return f"projects/{project.number}/locations/global/quotaPreferences/{preference_id}"


def check_id(preference_id: str) -> None:
    if not _ID.match(preference_id):
        raise InvalidArgument(
            f"Invalid quota preference ID '{preference_id}': use up to 128 letters, digits, "
            "'-', '_' or '.', starting with a letter or digit."
        )


def checked_value(value: int) -> int:
    if value < qc.UNLIMITED:
        raise InvalidArgument(
            f"Invalid value for field 'quota_config.preferred_value': {value}. It must be "
            "greater than or equal to -1 (-1 means unlimited)."
        )
    return value


def checked_dimensions(quota: qc.Quota, dimensions: dict[str, str]) -> dict[str, str]:
    for key, value in dimensions.items():
        if not quota.regional or key != quota_limits.REGION:
            raise InvalidArgument(
                f"Invalid dimension '{key}' for quota '{quota.quota_id}'"
                + ("; its only dimension is 'region'." if quota.regional else "; it has none.")
            )
        if value not in catalog.REGIONS:
            raise InvalidArgument(f"Invalid value for dimension 'region': '{value}'.")
    return dict(dimensions)


def merged(
    row: QuotaPreference, fields: PreferenceFields, mask: list[str] | None
) -> QuotaPreference:
    """The row as the update would leave it (a new object: nothing is changed yet)."""
    if fields.etag is not None and fields.etag != row.etag:
        raise Conflict(
            f"The etag '{fields.etag}' does not match the quota preference's current etag."
        )
    for field, given, current in (
        ("service", fields.service, row.service),
        ("quota_id", fields.quota_id, row.quota_id),
        ("dimensions", fields.dimensions, row.dimensions),
    ):
        if given is not None and given != current:
            raise InvalidArgument(f"Field '{field}' of a quota preference is immutable.")
    paths = list(MUTABLE) if mask is None else [camel_path(p) for p in mask]
    for path in paths:
        if path not in MUTABLE and path != "quotaConfig":
            raise InvalidArgument(f"Invalid update mask path '{path}'.")
    wanted = set(paths)
    if "quotaConfig" in wanted:
        wanted |= {"quotaConfig.preferredValue", "quotaConfig.annotations"}
    value = row.preferred_value
    if "quotaConfig.preferredValue" in wanted:
        if fields.preferred_value is None:
            raise RequiredField("Field 'quota_config.preferred_value' is required.")
        value = checked_value(fields.preferred_value)
    changed = QuotaPreference(
        **{c.key: getattr(row, c.key) for c in QuotaPreference.__table__.columns}
    )
    changed.preferred_value = value
    changed.granted_value = value
    if "quotaConfig.annotations" in wanted:
        changed.annotations = dict(fields.annotations or {})
    if "justification" in wanted:
        changed.justification = fields.justification or ""
    if "contactEmail" in wanted:
        changed.contact_email = fields.contact_email or ""
    return changed


def is_increase(new_value: int, old_value: int) -> bool:
    if new_value == qc.UNLIMITED:
        return old_value != qc.UNLIMITED
    return old_value != qc.UNLIMITED and new_value > old_value


def camel_path(path: str) -> str:
    """Update masks may name fields in snake case (``quota_config.preferred_value``)."""
    return ".".join(
        re.sub(r"_([a-z])", lambda m: m.group(1).upper(), part) for part in path.strip().split(".")
    )


def apply(row: QuotaPreference, changed: QuotaPreference, increase: bool) -> None:
    for column in ("preferred_value", "granted_value", "annotations", "justification"):
        setattr(row, column, getattr(changed, column))
    row.contact_email = changed.contact_email
    # Google traces increases only.
    row.trace_id = new_hex(16) if increase else ""
    row.etag = new_etag()
