"""Cloud Billing v1 shapes: billing accounts and a project's billing info."""

from __future__ import annotations

from nimbus.wire.base import Wire, WireRequest


class BillingAccountV1(Wire):
    name: str
    open: bool
    display_name: str
    master_billing_account: str | None = None
    currency_code: str


class BillingAccountRequest(WireRequest):
    display_name: str | None = None
    master_billing_account: str | None = None
    # Output fields clients echo back; ignored.
    name: str | None = None
    open: bool | None = None
    parent: str | None = None
    currency_code: str | None = None


class ListBillingAccountsResponse(Wire):
    billing_accounts: list[BillingAccountV1] | None = None
    next_page_token: str | None = None


class ProjectBillingInfoV1(Wire):
    name: str
    project_id: str
    # "" when the project has no billing account.
    billing_account_name: str
    billing_enabled: bool


class ProjectBillingInfoRequest(WireRequest):
    billing_account_name: str | None = None
    # Output fields clients echo back; ignored.
    name: str | None = None
    project_id: str | None = None
    billing_enabled: bool | None = None


class ListProjectBillingInfoResponse(Wire):
    project_billing_info: list[ProjectBillingInfoV1] | None = None
    next_page_token: str | None = None
