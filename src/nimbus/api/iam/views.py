"""IAM resources rendered in iam/v1 shapes."""

from __future__ import annotations

import base64

from nimbus.core.clock import rfc3339
from nimbus.services.iam.roles import RoleView
from nimbus.store.models import Project, ServiceAccount, ServiceAccountKey
from nimbus.wire.iam import Role
from nimbus.wire.iam import ServiceAccount as ServiceAccountWire
from nimbus.wire.iam import ServiceAccountKey as KeyWire


def account_name(project: Project, account: ServiceAccount) -> str:
    return f"projects/{project.project_id}/serviceAccounts/{account.email}"


def service_account(project: Project, account: ServiceAccount) -> ServiceAccountWire:
    return ServiceAccountWire(
        name=account_name(project, account),
        project_id=project.project_id,
        unique_id=account.unique_id,
        email=account.email,
        display_name=account.display_name or None,
        description=account.description or None,
        etag=account.etag,
        oauth2_client_id=account.unique_id,
        disabled=account.disabled or None,
    )


def key(
    project: Project,
    account: ServiceAccount,
    row: ServiceAccountKey,
    *,
    with_public: bool = False,
    private_key_data: str | None = None,
) -> KeyWire:
    return KeyWire(
        name=f"{account_name(project, account)}/keys/{row.key_id}",
        private_key_type="TYPE_GOOGLE_CREDENTIALS_FILE" if private_key_data else None,
        key_algorithm=row.key_algorithm,
        private_key_data=private_key_data,
        public_key_data=(
            base64.b64encode(row.certificate_pem.encode()).decode() if with_public else None
        ),
        valid_after_time=rfc3339(row.valid_after).replace(".000Z", "Z"),
        valid_before_time=rfc3339(row.valid_before).replace(".000Z", "Z"),
        key_origin=row.key_origin,
        key_type=row.key_type,
        disabled=row.disabled or None,
    )


def role(view: RoleView, *, full: bool = True) -> Role:
    return Role(
        name=view.name,
        title=view.title,
        description=view.description,
        included_permissions=view.permissions if full else None,
        stage=view.stage,
        etag=view.etag or "AA==",
        deleted=view.deleted or None,
    )


def permission(name: str) -> dict[str, str]:
    """A permission as queryTestablePermissions lists it: every one Nimbus knows may go
    into a custom role."""
    return {"name": name, "stage": "GA", "customRolesSupportLevel": "SUPPORTED"}
