"""``nimbus recommender recommendations``: gcloud's grammar for the Recommender API.

``--location`` and ``--recommender`` default to ``-`` (every one) in ``list``; the
other commands find them from the recommendation's id when they are left out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import Context, context_of
from nimbus.cli.derived_columns import with_derived
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values
from nimbus.cli.listing import narrow

app = typer.Typer(name="recommender", help="Recommendations that find waste.", no_args_is_help=True)
recommendations = typer.Typer(
    name="recommendations", help="List, describe and mark recommendations.", no_args_is_help=True
)
app.add_typer(recommendations)

ALL = "-"
LIST_FORMAT = (
    "table(name.basename():label=RECOMMENDATION_ID, _recommender:label=RECOMMENDER, "
    "_target:label=TARGET, _saving:label=SAVING/MONTH, stateInfo.state:label=STATE, "
    "content.overview.command:label=COMMAND)"
)
Location = Annotated[
    str | None,
    typer.Option("--location", help="A zone, a region or global (list: - for every one)."),
]
Recommender = Annotated[
    str | None,
    typer.Option(
        "--recommender",
        help="e.g. google.compute.instance.IdleResourceRecommender (list: - for every one).",
    ),
]
RecommendationId = Annotated[
    str, typer.Argument(metavar="RECOMMENDATION", help="The recommendation's id or full name.")
]
Etag = Annotated[str, typer.Option("--etag", help="The recommendation's current etag.")]
StateMetadata = Annotated[
    str | None, typer.Option("--state-metadata", help="KEY=VALUE,... to record with the state.")
]


def _parent(context: Context, location: str, recommender: str) -> str:
    return f"/v1/projects/{context.project()}/locations/{location}/recommenders/{recommender}"


def _derived(item: dict[str, Any]) -> dict[str, Any]:
    parts = item["name"].split("/")
    target = item.get("targetResources", [""])[0]
    cost = item.get("primaryImpact", {}).get("costProjection", {}).get("cost")
    saving = ""
    if cost is not None:
        amount = Decimal(int(cost.get("units") or 0)) + Decimal(int(cost.get("nanos") or 0)) / (
            10**9
        )
        saving = f"{-amount:.2f} {cost.get('currencyCode', 'USD')}"
    return {
        "_recommender": parts[5],
        "_target": target.split("/projects/", 1)[-1].split("/", 1)[-1],
        "_saving": saving,
    }


@recommendations.command("list")
def list_recommendations(
    ctx: typer.Context,
    location: Location = None,
    recommender: Recommender = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List a project's recommendations, with their saving and the command that applies them."""
    context = context_of(ctx)
    path = f"{_parent(context, location or ALL, recommender or ALL)}/recommendations"
    with context.api() as api:
        found = list(api.pages(path, "recommendations"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(with_derived(shown, context.format, _derived), context.format, LIST_FORMAT)


def _path(
    api: Api, context: Context, ref: str, location: str | None, recommender: str | None
) -> str:
    """A recommendation's API path, from its full name or its id (and the flags, else a
    look through every recommendation of the project)."""
    if ref.startswith("projects/"):
        return f"/v1/{ref}"
    if location and recommender:
        return f"{_parent(context, location, recommender)}/recommendations/{ref}"
    listed = api.pages(
        f"{_parent(context, location or ALL, recommender or ALL)}/recommendations",
        "recommendations",
    )
    for item in listed:
        if item["name"].rsplit("/", 1)[-1] == ref:
            return f"/v1/{item['name']}"
    raise CliError(f"Recommendation [{ref}] not found in project [{context.project()}].")


@recommendations.command("describe")
def describe(
    ctx: typer.Context,
    recommendation: RecommendationId,
    location: Location = None,
    recommender: Recommender = None,
) -> None:
    """Show a recommendation."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(_path(api, context, recommendation, location, recommender))
    output.show(found, context.format, "yaml")


def _mark(
    ctx: typer.Context,
    verb: str,
    recommendation: str,
    location: str | None,
    recommender: str | None,
    body: dict[str, Any],
) -> None:
    context = context_of(ctx)
    with context.api() as api:
        path = _path(api, context, recommendation, location, recommender)
        marked = api.post(f"{path}:{verb}", body)
    output.show(marked, context.format, "yaml")


def _body(etag: str | None, state_metadata: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"stateMetadata": key_values(state_metadata, "--state-metadata")}
    if etag:
        body["etag"] = etag
    return body


@recommendations.command("mark-claimed")
def mark_claimed(
    ctx: typer.Context,
    recommendation: RecommendationId,
    etag: Etag,
    location: Location = None,
    recommender: Recommender = None,
    state_metadata: StateMetadata = None,
) -> None:
    """Say you are applying a recommendation (its content stops changing)."""
    _mark(ctx, "markClaimed", recommendation, location, recommender, _body(etag, state_metadata))


@recommendations.command("mark-succeeded")
def mark_succeeded(
    ctx: typer.Context,
    recommendation: RecommendationId,
    etag: Etag,
    location: Location = None,
    recommender: Recommender = None,
    state_metadata: StateMetadata = None,
) -> None:
    """Say you applied a recommendation and it worked."""
    _mark(ctx, "markSucceeded", recommendation, location, recommender, _body(etag, state_metadata))


@recommendations.command("mark-failed")
def mark_failed(
    ctx: typer.Context,
    recommendation: RecommendationId,
    etag: Etag,
    location: Location = None,
    recommender: Recommender = None,
    state_metadata: StateMetadata = None,
) -> None:
    """Say you applied a recommendation and it failed."""
    _mark(ctx, "markFailed", recommendation, location, recommender, _body(etag, state_metadata))


@recommendations.command("mark-dismissed")
def mark_dismissed(
    ctx: typer.Context,
    recommendation: RecommendationId,
    etag: Annotated[
        str | None, typer.Option("--etag", help="The recommendation's current etag.")
    ] = None,
    location: Location = None,
    recommender: Recommender = None,
) -> None:
    """Dismiss an active recommendation."""
    body = {"etag": etag} if etag else {}
    _mark(ctx, "markDismissed", recommendation, location, recommender, body)
