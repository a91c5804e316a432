"""``nimbus billing budgets``: gcloud's grammar for budgets, with the alerts each one
raised (a Nimbus addition) in ``describe`` and ``list``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import budget_flags, output
from nimbus.cli.commands.billing_accounts import BillingAccount, account_id
from nimbus.cli.context import context_of
from nimbus.cli.derived_columns import with_derived
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, names
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm

app = typer.Typer(name="budgets", help="Budgets and their alerts.", no_args_is_help=True)

LIST_FORMAT = (
    "table(name.basename():label=BUDGET_ID, displayName, _amount:label=AMOUNT, "
    "_period:label=PERIOD, _alerts:label=ALERTS)"
)
BudgetId = Annotated[
    str,
    typer.Argument(
        metavar="BUDGET_ID",
        help="The budget's id, or its name billingAccounts/ACCOUNT/budgets/ID.",
        show_default=False,
    ),
]
OptionalAccount = Annotated[
    str | None,
    typer.Option("--billing-account", help="The billing account's id.", show_default=False),
]


BudgetAmount = Annotated[
    str | None, typer.Option("--budget-amount", help="The amount, e.g. 100.75USD.")
]
LastPeriodAmount = Annotated[
    bool, typer.Option("--last-period-amount", help="Budget what the last period cost.")
]
FilterProjects = Annotated[
    str | None, typer.Option("--filter-projects", help="projects/P,...: only these.")
]
FilterServices = Annotated[
    str | None, typer.Option("--filter-services", help="services/S,...: only these.")
]
WebhookUrl = Annotated[
    str | None,
    typer.Option("--webhook-url", help="An http(s) URL that receives each alert (Nimbus)."),
]


def _budgets_path(billing_account: str) -> str:
    return f"/v1/billingAccounts/{account_id(billing_account)}/budgets"


def _budget_path(budget: str, billing_account: str | None) -> str:
    """A budget's path from a full name, or an id and ``--billing-account``."""
    if "/budgets/" in budget:
        return f"/v1/{budget.strip('/')}"
    if not billing_account:
        raise CliError("argument --billing-account: required with a bare BUDGET_ID.")
    return f"{_budgets_path(billing_account)}/{budget}"


@app.command("create")
def create(
    ctx: typer.Context,
    billing_account: BillingAccount,
    display_name: Annotated[
        str, typer.Option("--display-name", help="The budget's name.", show_default=False)
    ],
    budget_amount: BudgetAmount = None,
    last_period_amount: LastPeriodAmount = False,
    threshold_rule: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold-rule",
            help="percent=P[,basis=current-spend|forecasted-spend]; repeat for more rules.",
        ),
    ] = None,
    filter_projects: FilterProjects = None,
    filter_services: FilterServices = None,
    calendar_period: Annotated[
        str | None, typer.Option("--calendar-period", help="month (default), quarter or year.")
    ] = None,
    start_date: Annotated[
        str | None, typer.Option("--start-date", help="A custom period's first day.")
    ] = None,
    end_date: Annotated[
        str | None, typer.Option("--end-date", help="A custom period's last day.")
    ] = None,
    webhook_url: WebhookUrl = None,
    pubsub_topic: Annotated[
        str | None,
        typer.Option("--notifications-rule-pubsub-topic", help="projects/P/topics/T."),
    ] = None,
    disable_default_iam_recipients: Annotated[
        bool, typer.Option("--disable-default-iam-recipients")
    ] = False,
) -> None:
    """Create a budget on a billing account."""
    if (budget_amount is None) == (not last_period_amount):
        raise CliError("Exactly one of (--budget-amount | --last-period-amount) must be specified.")
    if calendar_period and (start_date or end_date):
        raise CliError(
            "argument --calendar-period: At most one of --calendar-period | "
            "--start-date --end-date may be specified."
        )
    if end_date and not start_date:
        raise CliError("argument --end-date: --start-date is required with it.")
    budget_filter: dict[str, Any] = {}
    if filter_projects:
        budget_filter["projects"] = names(filter_projects)
    if filter_services:
        budget_filter["services"] = names(filter_services)
    if calendar_period:
        budget_filter["calendarPeriod"] = budget_flags.calendar_period(calendar_period)
    if start_date:
        custom = {"startDate": budget_flags.date(start_date, "--start-date")}
        if end_date:
            custom["endDate"] = budget_flags.date(end_date, "--end-date")
        budget_filter["customPeriod"] = custom
    rule: dict[str, Any] = {}
    if webhook_url:
        rule["webhookUrl"] = webhook_url
    if pubsub_topic:
        rule["pubsubTopic"] = pubsub_topic
    if disable_default_iam_recipients:
        rule["disableDefaultIamRecipients"] = True
    body: dict[str, Any] = {
        "displayName": display_name,
        "budgetFilter": budget_filter,
        "amount": (
            {"specifiedAmount": budget_flags.money(budget_amount)}
            if budget_amount is not None
            else {"lastPeriodAmount": {}}
        ),
        "notificationsRule": rule,
    }
    if threshold_rule:
        body["thresholdRules"] = [budget_flags.threshold_rule(text) for text in threshold_rule]
    context = context_of(ctx)
    with context.api() as api:
        created = api.post(_budgets_path(billing_account), body)
    output.status(f"Created budget [{created.get('name')}].")
    output.show(created, context.format, "yaml")


@app.command("update")
def update(
    ctx: typer.Context,
    budget: BudgetId,
    billing_account: OptionalAccount = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="A new name.", show_default=False)
    ] = None,
    budget_amount: BudgetAmount = None,
    last_period_amount: LastPeriodAmount = False,
    threshold_rule: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold-rule",
            help="percent=P[,basis=...]; replaces the rules; repeat for more rules.",
        ),
    ] = None,
    clear_threshold_rules: Annotated[
        bool, typer.Option("--clear-threshold-rules", help="Remove every threshold rule.")
    ] = False,
    filter_projects: FilterProjects = None,
    filter_services: FilterServices = None,
    webhook_url: WebhookUrl = None,
) -> None:
    """Change a budget: only the fields given change."""
    if budget_amount is not None and last_period_amount:
        raise CliError("At most one of (--budget-amount | --last-period-amount) may be specified.")
    if threshold_rule and clear_threshold_rules:
        raise CliError(
            "At most one of (--threshold-rule | --clear-threshold-rules) may be specified."
        )
    body: dict[str, Any] = {}
    mask: list[str] = []
    if display_name is not None:
        body["displayName"] = display_name
        mask.append("displayName")
    if budget_amount is not None:
        body["amount"] = {"specifiedAmount": budget_flags.money(budget_amount)}
        mask.append("amount")
    if last_period_amount:
        body["amount"] = {"lastPeriodAmount": {}}
        mask.append("amount")
    if threshold_rule or clear_threshold_rules:
        body["thresholdRules"] = [budget_flags.threshold_rule(t) for t in threshold_rule or []]
        mask.append("thresholdRules")
    budget_filter: dict[str, Any] = {}
    if filter_projects is not None:
        budget_filter["projects"] = names(filter_projects)
        mask.append("budgetFilter.projects")
    if filter_services is not None:
        budget_filter["services"] = names(filter_services)
        mask.append("budgetFilter.services")
    if budget_filter:
        body["budgetFilter"] = budget_filter
    if webhook_url is not None:
        body["notificationsRule"] = {"webhookUrl": webhook_url}
        mask.append("notificationsRule.webhookUrl")
    if not mask:
        raise CliError("Nothing to update: give at least one of the budget's flags.")
    context = context_of(ctx)
    with context.api() as api:
        updated = api.patch(
            _budget_path(budget, billing_account), body, params={"updateMask": ",".join(mask)}
        )
    output.status(f"Updated budget [{updated.get('name')}].")
    output.show(updated, context.format, "yaml")


@app.command("list")
def list_budgets(
    ctx: typer.Context,
    billing_account: BillingAccount,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List a billing account's budgets, with the alerts each one raised."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(_budgets_path(billing_account), "budgets"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(with_derived(shown, context.format, _columns), context.format, LIST_FORMAT)


@app.command("describe")
def describe(ctx: typer.Context, budget: BudgetId, billing_account: OptionalAccount = None) -> None:
    """Show a budget and the alerts it raised."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(_budget_path(budget, billing_account))
    output.show(found, context.format, "yaml")


@app.command("delete")
def delete(ctx: typer.Context, budget: BudgetId, billing_account: OptionalAccount = None) -> None:
    """Delete a budget."""
    context = context_of(ctx)
    path = _budget_path(budget, billing_account)
    confirm(f"Budget [{path.removeprefix('/v1/')}] will be deleted.", quiet=context.quiet)
    with context.api() as api:
        api.delete(path)
    output.status(f"Deleted budget [{path.removeprefix('/v1/')}].")


def _columns(budget: dict[str, Any]) -> dict[str, Any]:
    """The default table's AMOUNT, PERIOD and ALERTS."""
    specified = budget.get("amount", {}).get("specifiedAmount")
    if specified:
        value = int(specified.get("units", "0")) + int(specified.get("nanos", 0)) / 10**9
        amount = f"{value:.2f} {specified.get('currencyCode', '')}".strip()
    else:
        amount = "last period"
    budget_filter = budget.get("budgetFilter", {})
    period = str(budget_filter.get("calendarPeriod", "custom")).lower()
    alerts = [
        f"{alert['thresholdPercent']:.0%}"
        + ("(forecasted)" if alert.get("spendBasis") == "FORECASTED_SPEND" else "")
        for alert in budget.get("alerts", [])
    ]
    return {"_amount": amount, "_period": period, "_alerts": ",".join(alerts) or "-"}
