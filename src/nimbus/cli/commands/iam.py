"""``nimbus iam``: service accounts (and their keys) and roles."""

from __future__ import annotations

import typer

from nimbus.cli.commands import roles, service_accounts

app = typer.Typer(
    name="iam", help="Manage IAM service accounts, keys and roles.", no_args_is_help=True
)
app.add_typer(service_accounts.app)
app.add_typer(roles.app)
