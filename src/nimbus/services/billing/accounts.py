"""Cloud Billing v1: billing accounts, the projects they pay for, and the rule that a
project without an open billing account creates nothing billable.

Every Nimbus has a default open account from its first start, administered by the
owner (``roles/billing.admin`` on the organization), and projects are linked to it
unless unlinked (see ``account_rows``). Without ``masterBillingAccount`` a new account
is top-level, which takes ``billing.accounts.update`` on the organization (a billing
administrator of the organization); with one, on that master account, as Google asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, PermissionDenied
from nimbus.core.fingerprints import new_etag
from nimbus.services.billing.account_rows import (
    DEFAULT_SETTING,
    account_key,
    account_of_project,
    account_target,
    authorized_account,
    default_account_id,
    linked_projects,
    new_account_id,
)
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.iam.policies import Policies
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import BillingAccount, IamPolicy, Project, ProjectBilling, Setting
from nimbus.wire.iam import Policy, TestIamPermissionsResponse

CURRENCY = "USD"
DEFAULT_DISPLAY_NAME = "Nimbus billing account"
ADMIN_ROLE = "roles/billing.admin"
MAX_DISPLAY_NAME = 100


class InactiveBillingState(PermissionDenied):
    """Compute Engine's refusal in a project without an open billing account."""

    reason = "inactiveBillingState"


class BillingAccountDisabled(PermissionDenied):
    """Cloud Storage's refusal in a project without an open billing account."""

    reason = "accountDisabled"


def require_billing(
    session: Session,
    project_number: int,
    api: Literal["compute", "storage"],
    *,
    verb: str = "insert",
) -> None:
    """Refuse a billable write (with the API's own error) unless the project is paid for
    by an open account. Call it inside the write's transaction, so nothing is created."""
    account_id = account_of_project(session, project_number)
    account = session.get(BillingAccount, account_id) if account_id else None
    if account is not None and account.open:
        return
    if api == "storage":
        state = "absent" if account is None else "closed"
        raise BillingAccountDisabled(
            f"The billing account for the owning project is disabled in state {state}"
        )
    project = session.get(Project, project_number)
    name = project.project_id if project is not None else str(project_number)
    raise InactiveBillingState(
        f"Project {name} cannot accept requests to {verb} while in an inactive billing "
        "state.  Billing state may take several minutes to update."
    )


@dataclass(frozen=True)
class BillingInfo:
    """A project's ``ProjectBillingInfo``: its account (None: none) and whether it pays."""

    project_id: str
    account_id: str | None
    enabled: bool


class BillingAccounts:
    def __init__(
        self, db: Database, authorizer: Authorizer, policies: Policies, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.policies = policies
        self.clock = clock

    def ensure_default(self, owner_email: str) -> str:
        """The default account's id, made (with the owner as billing administrator of the
        organization) on first start. Safe when several processes start at once."""
        try:
            with self.db.write() as session:
                existing = default_account_id(session)
                if existing is not None:
                    return existing
                account_id = new_account_id()
                session.add(Setting(key=DEFAULT_SETTING, value={"id": account_id}))
                session.flush()  # a second process's insert fails here, before anything else
                account = self._new_account(
                    session, DEFAULT_DISPLAY_NAME, master="", account_id=account_id
                )
                org_key = hierarchy.org_key(hierarchy.organization(session).number)
                self._grant_admin(session, org_key, f"serviceAccount:{owner_email}")
                return account.id
        except IntegrityError:
            with self.db.read() as session:
                made = default_account_id(session)
            assert made is not None
            return made

    # -- accounts --------------------------------------------------------------------------

    def list_visible(self, caller: Caller) -> list[BillingAccount]:
        """The accounts the caller may see (``billing.accounts.get``), by id."""
        with self.db.read() as session:
            accounts = session.scalars(select(BillingAccount).order_by(BillingAccount.id))
            return [
                account
                for account in accounts
                if self.authorizer.permitted(
                    session, caller, ["billing.accounts.get"], account_target(session, account)
                )
            ]

    def get(self, caller: Caller, name: str) -> BillingAccount:
        with self.db.read() as session:
            return authorized_account(
                session, self.authorizer, caller, name, "billing.accounts.get"
            )

    def create(self, caller: Caller, display_name: str, master: str | None) -> BillingAccount:
        clean = _display_name(display_name)
        with self.db.write() as session:
            if master:
                parent = authorized_account(
                    session, self.authorizer, caller, master, "billing.accounts.update"
                )
                if parent.master_billing_account:
                    raise InvalidArgument(
                        f"Billing account '{account_key(parent.id)}' is a subaccount; "
                        "subaccounts cannot have subaccounts."
                    )
                master_key = account_key(parent.id)
            else:
                org = hierarchy.organization(session)
                self.authorizer.check(
                    session, caller, "billing.accounts.update", hierarchy.org_target(org)
                )
                master_key = ""
            account = self._new_account(session, clean, master=master_key)
            # The creator administers what they made, as on Google.
            if caller.authenticated:
                self._grant_admin(session, account_key(account.id), caller.principal)
            return account

    def update(
        self, caller: Caller, name: str, display_name: str | None, update_mask: str | None
    ) -> BillingAccount:
        fields = {f.strip() for f in (update_mask or "display_name").split(",") if f.strip()}
        unknown = fields - {"display_name", "displayName"}
        if unknown:
            raise InvalidArgument(
                f"Invalid update mask field: '{sorted(unknown)[0]}'. Only display_name can be "
                "changed."
            )
        clean = _display_name(display_name or "")
        with self.db.write() as session:
            account = authorized_account(
                session, self.authorizer, caller, name, "billing.accounts.update"
            )
            account.display_name = clean
            account.update_time = self.clock.now()
            return account

    # -- projects --------------------------------------------------------------------------

    def list_projects(self, caller: Caller, name: str) -> list[BillingInfo]:
        with self.db.read() as session:
            account = authorized_account(
                session, self.authorizer, caller, name, "billing.resourceAssociations.list"
            )
            return [
                BillingInfo(project.project_id, account.id, account.open)
                for project in linked_projects(session, account.id)
            ]

    def billing_info(self, caller: Caller, project_ref: str) -> BillingInfo:
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, "resourcemanager.projects.get"
            )
            return _info(session, project)

    def update_billing_info(
        self, caller: Caller, project_ref: str, account_name: str | None
    ) -> BillingInfo:
        """Link a project to an account, or unlink it (no or empty ``account_name``)."""
        with self.db.write() as session:
            if account_name:
                project = hierarchy.authorized_project(
                    session,
                    self.authorizer,
                    caller,
                    project_ref,
                    "resourcemanager.projects.createBillingAssignment",
                )
                account = authorized_account(
                    session,
                    self.authorizer,
                    caller,
                    account_name,
                    "billing.resourceAssociations.create",
                )
                account_id: str | None = account.id
            else:
                project = hierarchy.authorized_project(
                    session,
                    self.authorizer,
                    caller,
                    project_ref,
                    "resourcemanager.projects.deleteBillingAssignment",
                )
                account_id = None
            session.merge(
                ProjectBilling(
                    project_number=project.number,
                    billing_account_id=account_id,
                    update_time=self.clock.now(),
                )
            )
            session.flush()
            return _info(session, project)

    # -- IAM -------------------------------------------------------------------------------

    def get_iam_policy(self, caller: Caller, name: str, version: int | None) -> Policy:
        permission = "billing.accounts.getIamPolicy"
        with self.db.read() as session:
            target = self._target(session, caller, name, permission)
            return self.policies.get(session, caller, target, permission, version)

    def set_iam_policy(
        self, caller: Caller, name: str, policy: Policy, update_mask: str | None
    ) -> Policy:
        permission = "billing.accounts.setIamPolicy"
        with self.db.write() as session:
            target = self._target(session, caller, name, permission)
            return self.policies.set(session, caller, target, permission, policy, update_mask)

    def test_iam_permissions(
        self, caller: Caller, name: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        with self.db.read() as session:
            account = session.get(BillingAccount, name.removeprefix("billingAccounts/"))
            if account is None:
                return TestIamPermissionsResponse()
            return self.policies.test(
                session, caller, account_target(session, account), permissions
            )

    # -- helpers ---------------------------------------------------------------------------

    def _target(self, session: Session, caller: Caller, name: str, permission: str) -> Target:
        account = authorized_account(session, self.authorizer, caller, name, permission)
        return account_target(session, account)

    def _new_account(
        self, session: Session, display_name: str, *, master: str, account_id: str | None = None
    ) -> BillingAccount:
        now = self.clock.now()
        account = BillingAccount(
            id=account_id or new_account_id(),
            display_name=display_name,
            open=True,
            master_billing_account=master,
            currency_code=CURRENCY,
            create_time=now,
            update_time=now,
        )
        session.add(account)
        session.flush()
        return account

    def _grant_admin(self, session: Session, key: str, member: str) -> None:
        """Add ``member`` as billing administrator to the policy at ``key``."""
        policy = session.get(IamPolicy, key, with_for_update=True)
        now = self.clock.now()
        if policy is None:
            policy = IamPolicy(
                resource=key, version=1, etag="", bindings=[], audit_configs=[], update_time=now
            )
            session.add(policy)
        bindings = [dict(binding) for binding in policy.bindings]
        admin = next(
            (b for b in bindings if b["role"] == ADMIN_ROLE and "condition" not in b), None
        )
        if admin is None:
            bindings.append({"role": ADMIN_ROLE, "members": [member]})
        elif member not in admin["members"]:
            admin["members"] = sorted([*admin["members"], member])
        policy.bindings = bindings
        policy.etag = new_etag()
        policy.update_time = now


def _display_name(text: str) -> str:
    clean = text.strip()
    if not clean:
        raise InvalidArgument("A billing account needs a display name ('displayName').")
    if len(clean) > MAX_DISPLAY_NAME:
        raise InvalidArgument(
            f"A billing account's display name has at most {MAX_DISPLAY_NAME} characters."
        )
    return clean


def _info(session: Session, project: Project) -> BillingInfo:
    account_id = account_of_project(session, project.number)
    account = session.get(BillingAccount, account_id) if account_id else None
    return BillingInfo(project.project_id, account_id, enabled=account is not None and account.open)
