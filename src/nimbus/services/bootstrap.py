"""First start: the organization, the owner service account and its key file.

Idempotent and crash-safe: each start ensures what is missing, so a server killed
half-way through its first start finishes the job on the next one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.fingerprints import new_etag
from nimbus.core.ids import new_project_number, new_secret
from nimbus.services.iam.keys import Keys
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.services.iam.tokens import token_hash
from nimbus.services.iam.user_credentials import CLI_CLIENT_SETTING
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import (
    IamPolicy,
    OAuthClient,
    Organization,
    Project,
    ServiceAccount,
    ServiceAccountKey,
    Setting,
)

SYSTEM_PROJECT = "nimbus-system"
OWNER_ACCOUNT_ID = "owner"
OWNER_SETTING = "owner_service_account"


def ensure_owner(
    db: Database,
    accounts: ServiceAccounts,
    keys: Keys,
    clock: Clock,
    key_path: Path,
    base_url: str,
) -> str:
    """Make sure the owner exists and its key file is on disk; return the owner's email."""
    with db.write() as session:
        owner = session.get(Setting, OWNER_SETTING)
        if owner is None:
            email = _create_hierarchy(session, accounts, clock)
        else:
            email = str(owner.value["email"])
        account = session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).one()
        if _key_file_valid(session, key_path, account):
            return email
        project = session.get(Project, account.project_number)
        assert project is not None
        created = keys.insert(session, project, account, base_url)
    # The key is committed before its file is written: a crash in between only costs an
    # unused key, and the next start writes a fresh one.
    _write_private(key_path, json.dumps(created.key_file, indent=2) + "\n")
    return email


def _create_hierarchy(session: Session, accounts: ServiceAccounts, clock: Clock) -> str:
    now = clock.now()
    org = Organization(number=new_project_number(), display_name="nimbus.local", create_time=now)
    session.add(org)
    project = Project(
        number=new_project_number(),
        project_id=SYSTEM_PROJECT,
        display_name="Nimbus system",
        parent=hierarchy.org_key(org.number),
        lifecycle_state=hierarchy.ACTIVE,
        labels={},
        etag=new_etag(),
        create_time=now,
        update_time=now,
    )
    session.add(project)
    session.flush()
    account = accounts.insert(
        session, project, OWNER_ACCOUNT_ID, "Nimbus owner", "Owner of this Nimbus."
    )
    session.add(
        IamPolicy(
            resource=hierarchy.org_key(org.number),
            version=1,
            etag=new_etag(),
            bindings=[{"role": "roles/owner", "members": [f"serviceAccount:{account.email}"]}],
            audit_configs=[],
            update_time=now,
        )
    )
    secret = new_secret(24)
    session.add(
        OAuthClient(
            client_id="nimbus-cli",
            secret_hash=token_hash(secret),
            display_name="Nimbus CLI",
            create_time=now,
        )
    )
    session.add(
        Setting(key=CLI_CLIENT_SETTING, value={"client_id": "nimbus-cli", "client_secret": secret})
    )
    session.add(Setting(key=OWNER_SETTING, value={"email": account.email}))
    return account.email


def _key_file_valid(session: Session, key_path: Path, account: ServiceAccount) -> bool:
    try:
        key_file = json.loads(key_path.read_text())
    except (OSError, ValueError):
        return False
    key = session.get(ServiceAccountKey, str(key_file.get("private_key_id", "")))
    return (
        key is not None
        and not key.disabled
        and key.service_account_id == account.unique_id
        and key_file.get("client_email") == account.email
    )


def _write_private(path: Path, text: str) -> None:
    """Write a secret file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
