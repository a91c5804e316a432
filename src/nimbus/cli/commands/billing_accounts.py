"""``nimbus billing accounts`` and ``nimbus billing projects``: gcloud's grammar for
billing accounts and the accounts that pay for projects."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow

accounts = typer.Typer(name="accounts", help="Billing accounts.", no_args_is_help=True)
projects = typer.Typer(
    name="projects", help="The billing account that pays for a project.", no_args_is_help=True
)

ACCOUNTS_FORMAT = (
    "table(name.basename():label=ACCOUNT_ID, displayName:label=NAME, open, "
    "masterBillingAccount.basename():label=MASTER_ACCOUNT_ID)"
)
PROJECTS_FORMAT = (
    "table(projectId, billingAccountName.basename():label=BILLING_ACCOUNT_ID, billingEnabled)"
)
AccountId = Annotated[
    str, typer.Argument(metavar="ACCOUNT_ID", help="The billing account's id.", show_default=False)
]
ProjectId = Annotated[
    str, typer.Argument(metavar="PROJECT_ID", help="The project's id.", show_default=False)
]
BillingAccount = Annotated[
    str,
    typer.Option("--billing-account", help="The billing account's id.", show_default=False),
]


def account_id(text: str) -> str:
    """An id from ``ID`` or ``billingAccounts/ID``."""
    return text.strip().removeprefix("billingAccounts/")


@accounts.command("list")
def list_accounts(
    ctx: typer.Context, filter: Filter = None, limit: Limit = None, sort_by: SortBy = None
) -> None:
    """List the billing accounts you can see."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages("/v1/billingAccounts", "billingAccounts"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, ACCOUNTS_FORMAT)


@accounts.command("describe")
def describe_account(ctx: typer.Context, account: AccountId) -> None:
    """Show a billing account."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"/v1/billingAccounts/{account_id(account)}")
    output.show(found, context.format, "yaml")


@projects.command("link")
def link(ctx: typer.Context, project_id: ProjectId, billing_account: BillingAccount) -> None:
    """Have a billing account pay for a project."""
    body = {"billingAccountName": f"billingAccounts/{account_id(billing_account)}"}
    _set_billing(ctx, project_id, body)


@projects.command("unlink")
def unlink(ctx: typer.Context, project_id: ProjectId) -> None:
    """Leave a project without a billing account: it can create nothing billable."""
    _set_billing(ctx, project_id, {"billingAccountName": ""})


@projects.command("describe")
def describe_project(ctx: typer.Context, project_id: ProjectId) -> None:
    """Show which billing account pays for a project."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"/v1/projects/{project_id}/billingInfo")
    output.show(found, context.format, "yaml")


@projects.command("list")
def list_projects(
    ctx: typer.Context,
    billing_account: BillingAccount,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List the projects a billing account pays for."""
    context = context_of(ctx)
    path = f"/v1/billingAccounts/{account_id(billing_account)}/projects"
    with context.api() as api:
        found = list(api.pages(path, "projectBillingInfo"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, PROJECTS_FORMAT)


def _set_billing(ctx: typer.Context, project_id: str, body: dict[str, Any]) -> None:
    context = context_of(ctx)
    with context.api() as api:
        info = api.put(f"/v1/projects/{project_id}/billingInfo", body)
    output.show(info, context.format, "yaml")
