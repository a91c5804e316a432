"""``nimbus billing``: accounts, project links, budgets, and the bill itself."""

from __future__ import annotations

import typer

from nimbus.cli.commands import billing_accounts, billing_budgets, billing_costs

app = typer.Typer(
    name="billing", help="Billing: accounts, budgets and costs.", no_args_is_help=True
)
app.command("report")(billing_costs.report)
app.command("export")(billing_costs.export)
app.add_typer(billing_accounts.accounts)
app.add_typer(billing_accounts.projects)
app.add_typer(billing_budgets.app)
