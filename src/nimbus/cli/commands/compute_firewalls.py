"""``nimbus compute firewall-rules``: gcloud's grammar for VPC firewall rules."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.context import Context, context_of
from nimbus.cli.derived_columns import with_derived
from nimbus.cli.failures import CliError
from nimbus.cli.firewall_flags import action_entries, direction, protocol_entries, rule_column
from nimbus.cli.flags import Filter, Limit, SortBy, names
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.waiting import wait_global_operation

app = typer.Typer(name="firewall-rules", help="VPC firewall rules.", no_args_is_help=True)

RULES_FORMAT = (
    "table(name, network.basename():label=NETWORK, direction, priority, _allow:label=ALLOW, "
    "_deny:label=DENY, disabled)"
)
ALL_FIELDS_HINT = (
    "\nTo show all fields of the firewall, please show in JSON format: --format=json\n"
    "To show all fields in table format, please see the examples in --help.\n"
)

Name = Annotated[str, typer.Argument(show_default=False)]
Names = Annotated[list[str], typer.Argument(show_default=False)]
Allow = Annotated[str | None, typer.Option("--allow", help="PROTOCOL[:PORT[-PORT]],... to allow.")]
Rules = Annotated[
    str | None, typer.Option("--rules", help="PROTOCOL[:PORT[-PORT]],... the --action acts on.")
]
Priority = Annotated[int | None, typer.Option("--priority", help="0 (first) to 65535.")]
SourceRanges = Annotated[str | None, typer.Option("--source-ranges", help="CIDR,...")]
DestinationRanges = Annotated[str | None, typer.Option("--destination-ranges", help="CIDR,...")]
SourceTags = Annotated[str | None, typer.Option("--source-tags", help="TAG,...")]
TargetTags = Annotated[str | None, typer.Option("--target-tags", help="TAG,...")]
SourceAccounts = Annotated[str | None, typer.Option("--source-service-accounts", help="EMAIL,...")]
TargetAccounts = Annotated[str | None, typer.Option("--target-service-accounts", help="EMAIL,...")]
Disabled = Annotated[bool | None, typer.Option("--disabled/--no-disabled")]
Logging = Annotated[bool | None, typer.Option("--enable-logging/--no-enable-logging")]
Description = Annotated[str | None, typer.Option("--description")]


def _base(context: Context) -> str:
    return f"/compute/v1/projects/{context.project()}"


def _columns(rule: dict[str, Any]) -> dict[str, Any]:
    return {"_allow": rule_column(rule.get("allowed")), "_deny": rule_column(rule.get("denied"))}


def _common(
    *,
    priority: int | None,
    source_ranges: str | None,
    destination_ranges: str | None,
    source_tags: str | None,
    target_tags: str | None,
    source_accounts: str | None,
    target_accounts: str | None,
    disabled: bool | None,
    logging: bool | None,
    description: str | None,
) -> dict[str, Any]:
    """The fields the flags set; a flag given empty (``--source-ranges=``) clears its list."""
    body: dict[str, Any] = {}
    lists = {
        "sourceRanges": source_ranges,
        "destinationRanges": destination_ranges,
        "sourceTags": source_tags,
        "targetTags": target_tags,
        "sourceServiceAccounts": source_accounts,
        "targetServiceAccounts": target_accounts,
    }
    for key, value in lists.items():
        if value is not None:
            body[key] = names(value)
    if priority is not None:
        body["priority"] = priority
    if disabled is not None:
        body["disabled"] = disabled
    if logging is not None:
        body["logConfig"] = {"enable": logging}
    if description is not None:
        body["description"] = description
    return body


@app.command("create")
def create(
    ctx: typer.Context,
    name: Name,
    network: Annotated[str, typer.Option("--network")] = "default",
    allow: Allow = None,
    action: Annotated[str | None, typer.Option("--action", help="ALLOW or DENY.")] = None,
    rules: Rules = None,
    direction_flag: Annotated[
        str | None, typer.Option("--direction", help="INGRESS (IN) or EGRESS (OUT).")
    ] = None,
    priority: Priority = None,
    source_ranges: SourceRanges = None,
    destination_ranges: DestinationRanges = None,
    source_tags: SourceTags = None,
    target_tags: TargetTags = None,
    source_service_accounts: SourceAccounts = None,
    target_service_accounts: TargetAccounts = None,
    disabled: Disabled = None,
    enable_logging: Logging = None,
    description: Description = None,
) -> None:
    """Create a firewall rule."""
    context = context_of(ctx)
    field, entries = action_entries(allow, action, rules)
    body: dict[str, Any] = {
        "name": name,
        "network": f"projects/{context.project()}/global/networks/{network}",
        field: entries,
        **_common(
            priority=priority,
            source_ranges=source_ranges,
            destination_ranges=destination_ranges,
            source_tags=source_tags,
            target_tags=target_tags,
            source_accounts=source_service_accounts,
            target_accounts=target_service_accounts,
            disabled=disabled,
            logging=enable_logging,
            description=description,
        ),
    }
    if direction_flag is not None:
        body["direction"] = direction(direction_flag)
    base = _base(context)
    with context.api() as api:
        operation = api.post(f"{base}/global/firewalls", body)
        done = wait_global_operation(api, base, operation, "Creating firewall...")
        created = api.get(f"{base}/global/firewalls/{name}")
    output.status(f"Created [{done.get('targetLink')}].")
    output.show(with_derived([created], context.format, _columns), context.format, RULES_FORMAT)


@app.command("list")
def list_rules(ctx: typer.Context, filter: Filter = None, limit: Limit = None,
               sort_by: SortBy = None) -> None:  # fmt: skip
    """List the project's firewall rules."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(f"{_base(context)}/global/firewalls", "items"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(with_derived(shown, context.format, _columns), context.format, RULES_FORMAT)
    if not context.format:
        output.status(ALL_FIELDS_HINT)


@app.command("describe")
def describe(ctx: typer.Context, name: Name) -> None:
    """Show one firewall rule."""
    context = context_of(ctx)
    with context.api() as api:
        output.show(api.get(f"{_base(context)}/global/firewalls/{name}"), context.format, "yaml")


@app.command("update")
def update(
    ctx: typer.Context,
    name: Name,
    allow: Allow = None,
    rules: Rules = None,
    priority: Priority = None,
    source_ranges: SourceRanges = None,
    destination_ranges: DestinationRanges = None,
    source_tags: SourceTags = None,
    target_tags: TargetTags = None,
    source_service_accounts: SourceAccounts = None,
    target_service_accounts: TargetAccounts = None,
    disabled: Disabled = None,
    enable_logging: Logging = None,
    description: Description = None,
) -> None:
    """Change some fields of a firewall rule; the others stay."""
    if allow is not None and rules is not None:
        raise CliError("Can NOT specify --rules and --allow in the same request.")
    body = _common(
        priority=priority,
        source_ranges=source_ranges,
        destination_ranges=destination_ranges,
        source_tags=source_tags,
        target_tags=target_tags,
        source_accounts=source_service_accounts,
        target_accounts=target_service_accounts,
        disabled=disabled,
        logging=enable_logging,
        description=description,
    )
    context = context_of(ctx)
    base = _base(context)
    path = f"{base}/global/firewalls/{name}"
    with context.api() as api:
        if allow is not None or rules is not None:
            body.update(_new_entries(api.get(path), allow, rules))
        if not body:
            raise CliError("At least one property must be modified.")
        operation = api.patch(path, body)
        done = wait_global_operation(api, base, operation, "Updating firewall...")
    output.status(f"Updated [{done.get('targetLink')}].")


def _new_entries(current: dict[str, Any], allow: str | None, rules: str | None) -> dict[str, Any]:
    """``--rules`` keeps the rule's action; ``--allow`` is for allow rules only."""
    denies = bool(current.get("denied"))
    if allow is not None:
        if denies:
            raise CliError("--allow cannot change a DENY rule: use --rules.")
        return {"allowed": protocol_entries(allow, "--allow")}
    assert rules is not None
    return {"denied" if denies else "allowed": protocol_entries(rules, "--rules")}


@app.command("delete")
def delete(ctx: typer.Context, rule_names: Names) -> None:
    """Delete firewall rules."""
    context = context_of(ctx)
    listed = "\n".join(f" - [{name}]" for name in rule_names)
    confirm(f"The following firewalls will be deleted:\n\n{listed}", quiet=context.quiet)
    base = _base(context)
    with context.api() as api:
        for name in rule_names:
            operation = api.delete(f"{base}/global/firewalls/{name}")
            done = wait_global_operation(api, base, operation, "Deleting firewall...")
            output.status(f"Deleted [{done.get('targetLink')}].")
