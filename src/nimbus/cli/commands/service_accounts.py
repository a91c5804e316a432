"""``nimbus iam service-accounts``: service accounts and their IAM policies."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.commands import iam_policy, service_account_keys
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.resources import account_path

app = typer.Typer(
    name="service-accounts", help="Create and manage service accounts.", no_args_is_help=True
)
app.add_typer(service_account_keys.app)

Email = Annotated[
    str, typer.Argument(metavar="SERVICE_ACCOUNT", help="The account's email or unique id.")
]
DisplayName = Annotated[
    str | None, typer.Option("--display-name", help="A name for people to read.")
]
Description = Annotated[str | None, typer.Option("--description", help="What it is for.")]
LIST_FORMAT = "table(displayName:label='DISPLAY NAME', email, disabled)"


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The account id (6-30 characters).")],
    display_name: DisplayName = None,
    description: Description = None,
) -> None:
    """Create a service account in the project."""
    context = context_of(ctx)
    fields = {"displayName": display_name, "description": description}
    body: dict[str, Any] = {
        "accountId": name,
        "serviceAccount": {k: v for k, v in fields.items() if v is not None},
    }
    with context.api() as api:
        account = api.post(f"/v1/projects/{context.project()}/serviceAccounts", body)
    output.status(f"Created service account [{name}].")
    if context.format:
        output.show(account, context.format, "yaml")


@app.command("list")
def list_accounts(
    ctx: typer.Context, filter: Filter = None, limit: Limit = None, sort_by: SortBy = None
) -> None:
    """List the service accounts of the project."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.pages(f"/v1/projects/{context.project()}/serviceAccounts", "accounts")
        accounts = [{"disabled": False, **account} for account in found]
    shown = narrow(accounts, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, LIST_FORMAT)


@app.command()
def describe(ctx: typer.Context, email: Email) -> None:
    """Show a service account."""
    context = context_of(ctx)
    with context.api() as api:
        account = api.get(account_path(email))
    output.show(account, context.format, "yaml")


@app.command()
def update(
    ctx: typer.Context,
    email: Email,
    display_name: DisplayName = None,
    description: Description = None,
) -> None:
    """Change a service account's display name or description."""
    fields = {"displayName": display_name, "description": description}
    changed = {k: v for k, v in fields.items() if v is not None}
    if not changed:
        raise CliError("At least one of --display-name or --description must be given.")
    context = context_of(ctx)
    body = {"serviceAccount": changed, "updateMask": ",".join(changed)}
    with context.api() as api:
        account = api.patch(account_path(email), body)
    output.status(f"Updated service account [{email}].")
    output.show(account, context.format, "yaml")


@app.command()
def delete(ctx: typer.Context, email: Email) -> None:
    """Delete a service account."""
    context = context_of(ctx)
    confirm(f"You are about to delete service account [{email}].", quiet=context.quiet)
    with context.api() as api:
        api.delete(account_path(email))
    output.status(f"deleted service account [{email}]")


@app.command()
def disable(ctx: typer.Context, email: Email) -> None:
    """Disable a service account: its credentials stop working until it is enabled."""
    context = context_of(ctx)
    with context.api() as api:
        api.post(f"{account_path(email)}:disable")
    output.status(f"Disabled service account [{email}].")


@app.command()
def enable(ctx: typer.Context, email: Email) -> None:
    """Enable a disabled service account."""
    context = context_of(ctx)
    with context.api() as api:
        api.post(f"{account_path(email)}:enable")
    output.status(f"Enabled service account [{email}].")


iam_policy.register(app, "SERVICE_ACCOUNT", account_path, "serviceAccount")
