"""``nimbus storage hmac``: a service account's HMAC keys, as ``gcloud storage hmac``.

``create`` shows the key whole, secret included: the only time the secret is seen.
``list`` shows each key's access id, state and account, or with ``--long`` all its
metadata; ``describe`` and ``update`` show the metadata. A key goes ACTIVE ⇄ INACTIVE,
and only an INACTIVE key may be deleted (the server refuses otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from nimbus.cli import output
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow

app = typer.Typer(
    name="hmac", help="Manage Cloud Storage service account HMAC keys.", no_args_is_help=True
)

AccessId = Annotated[str, typer.Argument(metavar="ACCESS_ID", help="The key's access id.")]
# What ``list`` shows without --long: the fields gcloud asks the API for then.
SHORT_FIELDS = ("accessId", "serviceAccountEmail", "state")


def _keys_path(context: Context) -> str:
    return f"/storage/v1/projects/{quote(context.project(), safe='')}/hmacKeys"


def _key_path(context: Context, access_id: str) -> str:
    return f"{_keys_path(context)}/{quote(access_id, safe='')}"


def _short(key: dict[str, Any]) -> dict[str, Any]:
    return {name: key[name] for name in SHORT_FIELDS if name in key}


@app.command()
def create(
    ctx: typer.Context,
    service_account: Annotated[
        str, typer.Argument(metavar="SERVICE_ACCOUNT", help="The service account's email.")
    ],
) -> None:
    """Create an HMAC key for a service account; its secret is shown only now."""
    context = context_of(ctx)
    with context.api() as api:
        created = api.request(
            "POST", _keys_path(context), params={"serviceAccountEmail": service_account}
        )
    output.show(created, context.format, "yaml")


@app.command("list")
def list_keys(
    ctx: typer.Context,
    all_keys: Annotated[
        bool, typer.Option("--all", "-a", help="Deleted keys too.", show_default=False)
    ] = False,
    long: Annotated[
        bool,
        typer.Option("--long", "-l", help="All of each key's metadata.", show_default=False),
    ] = False,
    service_account: Annotated[
        str | None,
        typer.Option("--service-account", "-u", help="Only this service account's keys."),
    ] = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List the project's HMAC keys (never their secrets)."""
    context = context_of(ctx)
    params: dict[str, Any] = {}
    if service_account:
        params["serviceAccountEmail"] = service_account
    if all_keys:
        params["showDeletedKeys"] = "true"
    with context.api() as api:
        found = list(api.pages(_keys_path(context), "items", params))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown if long else [_short(key) for key in shown], context.format, "yaml")


@app.command()
def describe(ctx: typer.Context, access_id: AccessId) -> None:
    """Show an HMAC key's metadata."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(_key_path(context, access_id))
    output.show(found, context.format, "yaml")


@app.command()
def update(
    ctx: typer.Context,
    access_id: AccessId,
    activate: Annotated[
        bool, typer.Option("--activate", help="Make the key ACTIVE.", show_default=False)
    ] = False,
    deactivate: Annotated[
        bool, typer.Option("--deactivate", help="Make the key INACTIVE.", show_default=False)
    ] = False,
    etag: Annotated[
        str | None,
        typer.Option("--etag", "-e", help="Update only if the key's etag is still this one."),
    ] = None,
) -> None:
    """Activate or deactivate an HMAC key."""
    if activate and deactivate:
        raise CliError(
            "argument --deactivate: At most one of --activate | --deactivate may be specified."
        )
    if not (activate or deactivate):
        raise CliError("Exactly one of (--activate | --deactivate) must be specified.")
    body = {"state": "ACTIVE" if activate else "INACTIVE"}
    if etag:
        body["etag"] = etag
    context = context_of(ctx)
    with context.api() as api:
        updated = api.put(_key_path(context, access_id), body)
    output.show(updated, context.format, "yaml")


@app.command()
def delete(ctx: typer.Context, access_id: AccessId) -> None:
    """Delete an HMAC key; it must be INACTIVE first."""
    context = context_of(ctx)
    with context.api() as api:
        api.delete(_key_path(context, access_id))
