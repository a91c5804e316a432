"""Billing accounts in the store: their ids, IAM targets, the default account and which
account pays for a project.

Nimbus convenience: a project without a ``project_billing`` row is paid for by the
default account (made at first start), so a new project runs instances at once; an
explicit unlink stores a row with no account.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.models import BillingAccount, Project, ProjectBilling, Setting

CLOUD_BILLING = "//cloudbilling.googleapis.com"
DEFAULT_SETTING = "default_billing_account"
_ACCOUNT_ID = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")


def new_account_id() -> str:
    """Google's form, ``012345-6789AB-CDEF01``: random uppercase hex."""
    digits = secrets.token_hex(9).upper()
    return f"{digits[:6]}-{digits[6:12]}-{digits[12:]}"


def account_id_of(name: str) -> str:
    """The id in ``billingAccounts/ID`` (or a bare id), checked for Google's form."""
    account_id = name.removeprefix("billingAccounts/")
    if not _ACCOUNT_ID.match(account_id):
        raise InvalidArgument(f"Invalid billing account name: '{name}'.")
    return account_id


def account_key(account_id: str) -> str:
    return f"billingAccounts/{account_id}"


def account_target(session: Session, account: BillingAccount) -> Target:
    """Policies that grant on an account: the organization's, its master account's, its own."""
    chain = [hierarchy.org_key(hierarchy.organization(session).number)]
    if account.master_billing_account:
        chain.append(account.master_billing_account)
    chain.append(account_key(account.id))
    return Target(full_name=f"{CLOUD_BILLING}/{account_key(account.id)}", chain=tuple(chain))


def authorized_account(
    session: Session, authorizer: Authorizer, caller: Caller, name: str, permission: str
) -> BillingAccount:
    """An account, once the caller holds ``permission`` on it; a missing one is a 404
    only for callers allowed to know (holding the permission on the organization)."""
    account_id = account_id_of(name)
    account = session.get(BillingAccount, account_id)
    if account is None:
        org = hierarchy.organization(session)
        authorizer.check(
            session,
            caller,
            permission,
            Target(
                full_name=f"{CLOUD_BILLING}/{account_key(account_id)}",
                chain=(hierarchy.org_key(org.number),),
            ),
        )
        raise NotFound(f"Billing account '{account_key(account_id)}' was not found.")
    authorizer.check(session, caller, permission, account_target(session, account))
    return account


def default_account_id(session: Session) -> str | None:
    setting = session.get(Setting, DEFAULT_SETTING)
    return str(setting.value["id"]) if setting is not None else None


def account_of_project(session: Session, project_number: int) -> str | None:
    """The id of the account paying for a project; None when it has none."""
    link = session.get(ProjectBilling, project_number)
    if link is None:
        return default_account_id(session)
    return link.billing_account_id


def linked_projects(
    session: Session, account_id: str, *, active_only: bool = True
) -> list[Project]:
    """The projects an account pays for, by project id (with those marked for deletion
    unless ``active_only``: their resources may still be running up costs)."""
    linked = select(ProjectBilling.project_number).where(
        ProjectBilling.billing_account_id == account_id
    )
    query = select(Project)
    if active_only:
        query = query.where(Project.lifecycle_state == hierarchy.ACTIVE)
    if account_id == default_account_id(session):
        unlinked = select(ProjectBilling.project_number)
        query = query.where(or_(Project.number.in_(linked), Project.number.not_in(unlinked)))
    else:
        query = query.where(Project.number.in_(linked))
    return list(session.scalars(query.order_by(Project.project_id)))
