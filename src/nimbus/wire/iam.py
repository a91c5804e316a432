"""IAM shapes (iam/v1 and the policy shape shared by every ``getIamPolicy``)."""

from __future__ import annotations

from pydantic import Field

from nimbus.wire.base import Wire, WireRequest


class Expr(Wire):
    expression: str
    title: str | None = None
    description: str | None = None
    location: str | None = None


class Binding(Wire):
    role: str
    members: list[str] = Field(default_factory=list)
    condition: Expr | None = None


class AuditLogConfig(Wire):
    log_type: str | None = None
    exempted_members: list[str] | None = None


class AuditConfig(Wire):
    service: str
    audit_log_configs: list[AuditLogConfig] = Field(default_factory=list)


class Policy(Wire):
    version: int | None = None
    bindings: list[Binding] | None = None
    audit_configs: list[AuditConfig] | None = None
    etag: str | None = None


class GetPolicyOptions(Wire):
    requested_policy_version: int | None = None


class GetIamPolicyRequest(WireRequest):
    options: GetPolicyOptions | None = None


class SetIamPolicyRequest(WireRequest):
    policy: Policy
    update_mask: str | None = None


class TestIamPermissionsRequest(WireRequest):
    permissions: list[str] = Field(default_factory=list)


class TestIamPermissionsResponse(Wire):
    permissions: list[str] | None = None


class ServiceAccount(Wire):
    name: str
    project_id: str
    unique_id: str
    email: str
    display_name: str | None = None
    description: str | None = None
    etag: str
    oauth2_client_id: str
    disabled: bool | None = None


class ServiceAccountFields(WireRequest):
    display_name: str | None = None
    description: str | None = None
    # Accepted on patch (clients echo the resource back) and ignored.
    name: str | None = None
    etag: str | None = None
    email: str | None = None
    project_id: str | None = None
    unique_id: str | None = None
    oauth2_client_id: str | None = None
    disabled: bool | None = None


class CreateServiceAccountRequest(WireRequest):
    account_id: str
    service_account: ServiceAccountFields | None = None


class PatchServiceAccountRequest(WireRequest):
    service_account: ServiceAccountFields
    update_mask: str | None = None


class ListServiceAccountsResponse(Wire):
    accounts: list[ServiceAccount] | None = None
    next_page_token: str | None = None


class ServiceAccountKey(Wire):
    name: str
    private_key_type: str | None = None
    key_algorithm: str
    private_key_data: str | None = None
    public_key_data: str | None = None
    valid_after_time: str
    valid_before_time: str
    key_origin: str
    key_type: str
    disabled: bool | None = None


class CreateServiceAccountKeyRequest(WireRequest):
    private_key_type: str | None = None
    key_algorithm: str | None = None


class ListServiceAccountKeysResponse(Wire):
    keys: list[ServiceAccountKey] | None = None


class Role(Wire):
    name: str
    title: str | None = None
    description: str | None = None
    included_permissions: list[str] | None = None
    stage: str | None = None
    etag: str | None = None
    deleted: bool | None = None


class RoleFields(WireRequest):
    title: str | None = None
    description: str | None = None
    included_permissions: list[str] | None = None
    stage: str | None = None
    etag: str | None = None
    name: str | None = None
    deleted: bool | None = None


class CreateRoleRequest(WireRequest):
    role_id: str
    role: RoleFields


class ListRolesResponse(Wire):
    roles: list[Role] | None = None
    next_page_token: str | None = None
