"""``nimbus quotas``: quota preferences (set a limit) and quota infos (read the limits),
with ``gcloud quotas``' grammar."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values
from nimbus.cli.listing import narrow

app = typer.Typer(
    name="quotas", help="Cloud Quotas: limits and their adjustments.", no_args_is_help=True
)
preferences = typer.Typer(
    name="preferences", help="Quota preferences: the limits you set.", no_args_is_help=True
)
info = typer.Typer(
    name="info", help="Quota infos: each quota and its limits.", no_args_is_help=True
)
app.add_typer(preferences)
app.add_typer(info)

Service = Annotated[str, typer.Option("--service", help="e.g. compute.googleapis.com")]
QuotaId = Annotated[str, typer.Option("--quota-id", help="e.g. CPUS-per-project-region")]
PreferredValue = Annotated[
    str, typer.Option("--preferred-value", help="The limit wanted (-1: unlimited).")
]
Dimensions = Annotated[
    str | None, typer.Option("--dimensions", help="KEY=VALUE,... e.g. region=us-central1")
]
Justification = Annotated[str | None, typer.Option("--justification", help="Why.")]
Email = Annotated[str | None, typer.Option("--email", help="Whom to contact about it.")]
BelowUsage = Annotated[
    bool,
    typer.Option("--allow-quota-decrease-below-usage", help="Allow a limit below current usage."),
]
HighCut = Annotated[
    bool,
    typer.Option(
        "--allow-high-percentage-quota-decrease", help="Allow a cut of more than 10 percent."
    ),
]
PreferenceId = Annotated[str, typer.Argument(metavar="PREFERENCE_ID")]
LIST_FORMAT = (
    "table(name.basename():label=PREFERENCE_ID, quotaId, dimensions.region:label=REGION, "
    "quotaConfig.preferredValue:label=PREFERRED, quotaConfig.grantedValue:label=GRANTED)"
)
INFO_FORMAT = "table(quotaId, metric, dimensions.list():label=DIMENSIONS)"


def _base(context: Context) -> str:
    return f"/v1/projects/{context.project()}/locations/global/quotaPreferences"


def _body(
    service: str,
    quota_id: str,
    preferred_value: str,
    dimensions: str | None,
    justification: str | None,
    email: str | None,
) -> dict[str, Any]:
    try:
        value = int(preferred_value)
    except ValueError as error:
        raise CliError(
            f"argument --preferred-value: invalid int value: '{preferred_value}'"
        ) from error
    body: dict[str, Any] = {
        "service": service,
        "quotaId": quota_id,
        "quotaConfig": {"preferredValue": str(value)},
    }
    if dimensions is not None:
        body["dimensions"] = key_values(dimensions, "--dimensions")
    if justification is not None:
        body["justification"] = justification
    if email is not None:
        body["contactEmail"] = email
    return body


def _ignored(below_usage: bool, high_cut: bool) -> list[str]:
    checks = ["QUOTA_DECREASE_BELOW_USAGE"] if below_usage else []
    return checks + (["QUOTA_DECREASE_PERCENTAGE_TOO_HIGH"] if high_cut else [])


@preferences.command()
def create(
    ctx: typer.Context,
    service: Service,
    quota_id: QuotaId,
    preferred_value: PreferredValue,
    dimensions: Dimensions = None,
    preference_id: Annotated[
        str | None, typer.Option("--preference-id", help="Its id (default: a random one).")
    ] = None,
    justification: Justification = None,
    email: Email = None,
    allow_quota_decrease_below_usage: BelowUsage = False,
    allow_high_percentage_quota_decrease: HighCut = False,
) -> None:
    """Create a quota preference: the limit you want for one quota."""
    context = context_of(ctx)
    params: dict[str, Any] = {
        "ignoreSafetyChecks": _ignored(
            allow_quota_decrease_below_usage, allow_high_percentage_quota_decrease
        )
    }
    if preference_id is not None:
        params["quotaPreferenceId"] = preference_id
    body = _body(service, quota_id, preferred_value, dimensions, justification, email)
    with context.api() as api:
        created = api.request("POST", _base(context), params=params, body=body)
    output.status(f"Created quota preference [{created['name']}].")
    output.show(created, context.format, "yaml")


@preferences.command()
def update(
    ctx: typer.Context,
    preference_id: PreferenceId,
    service: Service,
    quota_id: QuotaId,
    preferred_value: PreferredValue,
    dimensions: Dimensions = None,
    justification: Justification = None,
    email: Email = None,
    allow_missing: Annotated[
        bool, typer.Option("--allow-missing", help="Create it if it does not exist.")
    ] = False,
    validate_only: Annotated[
        bool, typer.Option("--validate-only", help="Check the request; change nothing.")
    ] = False,
    allow_quota_decrease_below_usage: BelowUsage = False,
    allow_high_percentage_quota_decrease: HighCut = False,
) -> None:
    """Change a quota preference (or, with --allow-missing, create it)."""
    context = context_of(ctx)
    body = _body(service, quota_id, preferred_value, dimensions, justification, email)
    mask = ["quotaConfig.preferredValue"]
    mask += ["justification"] if justification is not None else []
    mask += ["contactEmail"] if email is not None else []
    params: dict[str, Any] = {
        "updateMask": ",".join(mask),
        "allowMissing": str(allow_missing).lower(),
        "validateOnly": str(validate_only).lower(),
        "ignoreSafetyChecks": _ignored(
            allow_quota_decrease_below_usage, allow_high_percentage_quota_decrease
        ),
    }
    with context.api() as api:
        updated = api.patch(f"{_base(context)}/{preference_id}", body, params)
    if not validate_only:
        output.status(f"Updated quota preference [{updated['name']}].")
    output.show(updated, context.format, "yaml")


@preferences.command()
def describe(ctx: typer.Context, preference_id: PreferenceId) -> None:
    """Show a quota preference."""
    context = context_of(ctx)
    with context.api() as api:
        output.show(api.get(f"{_base(context)}/{preference_id}"), context.format, "yaml")


@preferences.command("list")
def list_preferences(
    ctx: typer.Context, filter: Filter = None, limit: Limit = None, sort_by: SortBy = None
) -> None:
    """List the project's quota preferences."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(_base(context), "quotaPreferences"))
    output.show(
        narrow(found, filter=filter, sort_by=sort_by, limit=limit), context.format, LIST_FORMAT
    )


def _infos(context: Context, service: str) -> str:
    return f"/v1/projects/{context.project()}/locations/global/services/{service}/quotaInfos"


@info.command("describe")
def describe_info(
    ctx: typer.Context,
    quota_id: Annotated[str, typer.Argument(metavar="QUOTA_ID")],
    service: Service,
) -> None:
    """Show one quota and its limit in each region."""
    context = context_of(ctx)
    with context.api() as api:
        output.show(api.get(f"{_infos(context, service)}/{quota_id}"), context.format, "yaml")


@info.command("list")
def list_infos(
    ctx: typer.Context,
    service: Service,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List a service's quotas."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(_infos(context, service), "quotaInfos"))
    output.show(
        narrow(found, filter=filter, sort_by=sort_by, limit=limit), context.format, INFO_FORMAT
    )
