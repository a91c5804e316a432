"""``nimbus iam service-accounts keys``: a service account's keys."""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.files import write_atomically
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.resources import account_path, key_path

app = typer.Typer(name="keys", help="Create and manage service account keys.", no_args_is_help=True)

Account = Annotated[
    str, typer.Option("--iam-account", help="The service account's email.", show_default=False)
]
KeyId = Annotated[str, typer.Argument(metavar="KEY_ID", help="The key's id.")]
LIST_FORMAT = (
    "table(name.basename():label=KEY_ID, validAfterTime:label=CREATED_AT,"
    " validBeforeTime:label=EXPIRES_AT, disabled:label=DISABLED)"
)
MANAGED_BY = {"user": "USER_MANAGED", "system": "SYSTEM_MANAGED"}


@app.command()
def create(
    ctx: typer.Context,
    output_file: Annotated[
        Path, typer.Argument(metavar="OUTPUT_FILE", help="Where to write the key ('-': stdout).")
    ],
    iam_account: Account,
    key_file_type: Annotated[
        str, typer.Option("--key-file-type", help="The key file's format: json.")
    ] = "json",
) -> None:
    """Create a key and write its credentials file (readable by you only)."""
    if key_file_type != "json":
        raise CliError(f"argument --key-file-type: Invalid choice: '{key_file_type}'.")
    context = context_of(ctx)
    with context.api() as api:
        key = api.post(f"{account_path(iam_account)}/keys", {})
    try:
        content = base64.b64decode(key["privateKeyData"]).decode()
    except (KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise CliError("The server returned a key without usable privateKeyData.") from exc
    key_id = str(key.get("name", "")).rsplit("/", 1)[-1]
    if str(output_file) == "-":
        sys.stdout.write(content)
    else:
        write_atomically(output_file.expanduser(), content)
    output.status(f"created key [{key_id}] of type [json] as [{output_file}] for [{iam_account}]")


@app.command("list")
def list_keys(
    ctx: typer.Context,
    iam_account: Account,
    managed_by: Annotated[
        str, typer.Option("--managed-by", help="Which keys: user, system or any.")
    ] = "any",
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List a service account's keys."""
    if managed_by not in (*MANAGED_BY, "any"):
        raise CliError(f"argument --managed-by: Invalid choice: '{managed_by}'.")
    context = context_of(ctx)
    with context.api() as api:
        keys = api.get(f"{account_path(iam_account)}/keys").get("keys") or []
    wanted = MANAGED_BY.get(managed_by)
    keys = [{"disabled": False, **k} for k in keys if wanted in (None, k.get("keyType"))]
    output.show(
        narrow(keys, filter=filter, sort_by=sort_by, limit=limit), context.format, LIST_FORMAT
    )


@app.command()
def delete(ctx: typer.Context, key_id: KeyId, iam_account: Account) -> None:
    """Delete a key: credentials files made from it stop working."""
    context = context_of(ctx)
    confirm(
        f"You are about to delete key [{key_id}] for service account [{iam_account}].",
        quiet=context.quiet,
    )
    with context.api() as api:
        api.delete(key_path(iam_account, key_id))
    output.status(f"deleted key [{key_id}] for service account [{iam_account}]")


@app.command()
def disable(ctx: typer.Context, key_id: KeyId, iam_account: Account) -> None:
    """Disable a key."""
    context = context_of(ctx)
    with context.api() as api:
        api.post(f"{key_path(iam_account, key_id)}:disable")
    output.status(f"Disabled key [{key_id}] for service account [{iam_account}].")


@app.command()
def enable(ctx: typer.Context, key_id: KeyId, iam_account: Account) -> None:
    """Enable a disabled key."""
    context = context_of(ctx)
    with context.api() as api:
        api.post(f"{key_path(iam_account, key_id)}:enable")
    output.status(f"Enabled key [{key_id}] for service account [{iam_account}].")
