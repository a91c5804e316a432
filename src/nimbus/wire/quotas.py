"""Cloud Quotas API v1 shapes (``cloudquotas.googleapis.com``): quota preferences and
quota infos. Int64 values travel as JSON strings, as in every Google JSON API."""

from __future__ import annotations

from pydantic import Field

from nimbus.wire.base import Wire, WireRequest


class QuotaConfig(Wire):
    preferred_value: str
    state_detail: str | None = None
    granted_value: str | None = None
    trace_id: str | None = None
    annotations: dict[str, str] | None = None
    request_origin: str = "ORIGIN_UNSPECIFIED"


class QuotaPreference(Wire):
    name: str
    dimensions: dict[str, str] = Field(default_factory=dict)
    quota_config: QuotaConfig
    etag: str
    create_time: str
    update_time: str
    service: str
    quota_id: str
    reconciling: bool = False
    justification: str | None = None
    contact_email: str | None = None


class QuotaPreferenceList(Wire):
    quota_preferences: list[QuotaPreference] = Field(default_factory=list)
    next_page_token: str | None = None


class QuotaConfigRequest(WireRequest):
    preferred_value: int | str | None = None
    annotations: dict[str, str] | None = None
    # Output only; clients may echo them back.
    state_detail: str | None = None
    granted_value: int | str | None = None
    trace_id: str | None = None
    request_origin: str | int | None = None


class QuotaPreferenceRequest(WireRequest):
    name: str | None = None
    dimensions: dict[str, str] | None = None
    quota_config: QuotaConfigRequest | None = None
    etag: str | None = None
    service: str | None = None
    quota_id: str | None = None
    justification: str | None = None
    contact_email: str | None = None
    # Output only; clients may echo them back.
    create_time: str | None = None
    update_time: str | None = None
    reconciling: bool | None = None


class QuotaDetails(Wire):
    value: str


class DimensionsInfo(Wire):
    dimensions: dict[str, str] = Field(default_factory=dict)
    details: QuotaDetails
    applicable_locations: list[str]


class QuotaIncreaseEligibility(Wire):
    is_eligible: bool = True


class QuotaInfo(Wire):
    name: str
    quota_id: str
    metric: str
    service: str
    is_precise: bool = True
    container_type: str = "PROJECT"
    dimensions: list[str] = Field(default_factory=list)
    metric_display_name: str
    quota_display_name: str
    metric_unit: str
    quota_increase_eligibility: QuotaIncreaseEligibility = Field(
        default_factory=QuotaIncreaseEligibility
    )
    is_fixed: bool = False
    dimensions_infos: list[DimensionsInfo]
    is_concurrent: bool = False


class QuotaInfoList(Wire):
    quota_infos: list[QuotaInfo] = Field(default_factory=list)
    next_page_token: str | None = None
