"""``nimbus services``: enable, disable and list a project's Google APIs."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow

app = typer.Typer(name="services", help="The Google APIs of a project.", no_args_is_help=True)
Services = Annotated[
    list[str], typer.Argument(metavar="SERVICE", help="e.g. compute.googleapis.com")
]
LIST_FORMAT = "table(config.name:label=NAME, config.title:label=TITLE)"


def _set(ctx: typer.Context, services: list[str], verb: str) -> None:
    context = context_of(ctx)
    base = f"/v1/projects/{context.project()}/services"
    with context.api() as api:
        if verb == "enable" and len(services) > 1:
            api.post(f"{base}:batchEnable", {"serviceIds": services})
        else:
            for service in services:
                api.post(f"{base}/{service}:{verb}", {})
    output.status(f"Operation finished successfully: {verb}d {', '.join(services)}.")


@app.command()
def enable(ctx: typer.Context, services: Services) -> None:
    """Enable APIs for the project."""
    _set(ctx, services, "enable")


@app.command()
def disable(ctx: typer.Context, services: Services) -> None:
    """Disable APIs for the project."""
    _set(ctx, services, "disable")


@app.command("list")
def list_services(
    ctx: typer.Context,
    available: Annotated[bool, typer.Option("--available", help="All the APIs there are.")] = False,
    enabled: Annotated[
        bool, typer.Option("--enabled", help="Only enabled APIs (default).")
    ] = False,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List the project's enabled APIs (or, with --available, every API)."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"/v1/projects/{context.project()}/services").get("services", [])
    if not available:
        found = [service for service in found if service["state"] == "ENABLED"]
    output.show(
        narrow(found, filter=filter, sort_by=sort_by, limit=limit), context.format, LIST_FORMAT
    )
