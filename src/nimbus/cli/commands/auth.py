"""``nimbus auth``: the accounts the CLI holds credentials for, and which one is active."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.config import ACCOUNT
from nimbus.cli.context import Context, context_of
from nimbus.cli.credentials import AUTHORIZED_USER, SERVICE_ACCOUNT, KeyFile
from nimbus.cli.failures import CliError
from nimbus.cli.files import write_json

app = typer.Typer(name="auth", help="Manage the CLI's credentials.", no_args_is_help=True)

AccountArg = Annotated[
    str | None, typer.Argument(metavar="ACCOUNT", help="The account (default: the active one).")
]
LIST_FORMAT = "table(active:label=ACTIVE, account)"


@app.command("activate-service-account")
def activate_service_account(
    ctx: typer.Context,
    key_file: Annotated[
        Path, typer.Option("--key-file", help="A service account's JSON key file.")
    ],
    account: AccountArg = None,
) -> None:
    """Use a service account's key file for the commands that follow."""
    key = KeyFile.read(key_file)
    if key.type != SERVICE_ACCOUNT:
        raise CliError(
            f"The file [{key_file}] holds {key.type} credentials, not a service account key."
        )
    if account and account != key.account:
        raise CliError(
            "The given account name does not match the account name in the key file. "
            "This argument can be omitted when using .json keys."
        )
    context = context_of(ctx)
    _activate(context, key.account, key)
    output.status(f"Activated service account credentials for: [{key.account}]")


@app.command()
def login(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="USER_EMAIL", help="The person's email.")],
    cred_file: Annotated[
        Path | None, typer.Option("--cred-file", help="Also write the credentials to this file.")
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Make it the active account.")
    ] = True,
) -> None:
    """Get credentials for a person, minted by this Nimbus (needs the owner's rights)."""
    context = context_of(ctx)
    with context.api() as api:
        info = api.post("/nimbus/v1/userCredentials", {"email": email})
    key = KeyFile.parse(info, "the server's answer")
    if cred_file is not None:
        write_json(cred_file.expanduser(), info)
        output.status(f"Credentials saved to file: [{cred_file}]")
    if activate:
        _activate(context, email, key)
        output.status(f"You are now logged in as [{email}].")
    else:
        context.store.save(email, key)
        context.token_cache.drop(email)
        output.status(f"Stored credentials for [{email}].")


def _activate(context: Context, account: str, key: KeyFile) -> None:
    context.store.save(account, key)
    context.token_cache.drop(account)
    context.config.set(ACCOUNT, account)


@app.command("list")
def list_accounts(ctx: typer.Context) -> None:
    """List the accounts with credentials, marking the active one."""
    context = context_of(ctx)
    active = _active(context)
    accounts = context.store.accounts()
    if active and active not in accounts:
        accounts.append(active)
    if not accounts:
        output.status(
            "No credentialed accounts.\n\nTo log in, run:\n"
            "    $ nimbus auth activate-service-account --key-file=KEY_FILE"
        )
        return
    records = [{"account": a, "status": "ACTIVE" if a == active else ""} for a in accounts]
    if context.format:
        output.show(records, context.format, LIST_FORMAT)
        return
    marked = [{**record, "active": "*" if record["status"] else ""} for record in records]
    output.show(marked, None, LIST_FORMAT)
    output.status("\nTo set the active account, run:\n    $ nimbus config set account `ACCOUNT`\n")


def _active(context: Context) -> str | None:
    try:
        return context.identity().account
    except CliError:
        return context.value(ACCOUNT)


@app.command()
def revoke(
    ctx: typer.Context,
    accounts: Annotated[
        list[str] | None, typer.Argument(metavar="[ACCOUNTS]...", help="Accounts to revoke.")
    ] = None,
    all: Annotated[bool, typer.Option("--all", help="Revoke every account.")] = False,
) -> None:
    """Forget accounts' credentials (and revoke a person's refresh token)."""
    context = context_of(ctx)
    active = context.config.get(ACCOUNT)
    targets = context.store.accounts() if all else list(accounts or ([active] if active else []))
    if not targets:
        raise CliError("No credentials available to revoke.")
    keys = {}
    for account in targets:
        key = context.store.load(account)
        if key is None:
            raise CliError(f"No credentials stored for account [{account}].")
        keys[account] = key
    for account, key in keys.items():
        if key.type == AUTHORIZED_USER:
            _revoke_refresh_token(context, key)
        context.store.remove(account)
        context.token_cache.drop(account)
    if active in keys:
        context.config.unset(ACCOUNT)
    output.status("Revoked credentials:\n" + "\n".join(f" - {a}" for a in keys))


def _revoke_refresh_token(context: Context, key: KeyFile) -> None:
    try:
        with Api(context.endpoint(), None) as api:
            api.post("/revoke", {"token": str(key.info["refresh_token"])})
    except CliError as exc:
        output.status(f"WARNING: the server did not revoke the refresh token: {exc}")


@app.command("print-access-token")
def print_access_token(ctx: typer.Context, account: AccountArg = None) -> None:
    """Print an access token for the active (or the given) account."""
    print(context_of(ctx).token_source(account).token())
