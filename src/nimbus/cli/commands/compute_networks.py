"""``nimbus compute networks`` and ``networks subnets``: gcloud's grammar for VPC networks."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.config import REGION
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, names
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.waiting import wait_global_operation, wait_operation

app = typer.Typer(name="networks", help="VPC networks.", no_args_is_help=True)
subnets = typer.Typer(name="subnets", help="Subnetworks of VPC networks.", no_args_is_help=True)
app.add_typer(subnets)

NETWORKS_FORMAT = (
    "table(name, x_gcloud_subnet_mode:label=SUBNET_MODE, "
    "routingConfig.routingMode:label=BGP_ROUTING_MODE, IPv4Range:label=IPV4_RANGE, "
    "gatewayIPv4:label=GATEWAY_IPV4)"
)
SUBNETS_FORMAT = (
    "table(name, region.basename():label=REGION, network.basename():label=NETWORK, "
    "ipCidrRange:label=RANGE, stackType:label=STACK_TYPE)"
)
SUBNET_MODES = ("auto", "custom")
ROUTING_MODES = ("regional", "global")
NO_FIREWALL_YET = (
    "\nInstances on this network will not be reachable until firewall rules\n"
    "are created. As an example, you can allow all internal traffic between\n"
    "instances as well as SSH, RDP, and ICMP by running:\n\n"
    "$ nimbus compute firewall-rules create <FIREWALL_NAME> --network {name} --allow "
    "tcp,udp,icmp --source-ranges <IP_RANGE>\n"
    "$ nimbus compute firewall-rules create <FIREWALL_NAME> --network {name} --allow "
    "tcp:22,tcp:3389,icmp\n"
)

Name = Annotated[str, typer.Argument(show_default=False)]
Names = Annotated[list[str], typer.Argument(show_default=False)]
Description = Annotated[str | None, typer.Option("--description")]
RegionFlag = Annotated[str | None, typer.Option("--region", help="The subnetwork's region.")]


def _base(context: Context) -> str:
    return f"/compute/v1/projects/{context.project()}"


def _subnet_mode(network: dict[str, Any]) -> dict[str, Any]:
    """gcloud's SUBNET_MODE column."""
    if "autoCreateSubnetworks" not in network:
        return {"x_gcloud_subnet_mode": "LEGACY"}
    return {"x_gcloud_subnet_mode": "AUTO" if network["autoCreateSubnetworks"] else "CUSTOM"}


def _routing(mode: str | None) -> dict[str, Any]:
    if mode is None:
        return {}
    if mode.lower() not in ROUTING_MODES:
        raise CliError(
            f"argument --bgp-routing-mode: Invalid choice: '{mode}'. Valid choices are "
            "[global, regional]."
        )
    return {"routingConfig": {"routingMode": mode.upper()}}


# -- networks ------------------------------------------------------------------------------


@app.command("create")
def create_network(
    ctx: typer.Context,
    name: Name,
    subnet_mode: Annotated[str, typer.Option("--subnet-mode", help="auto or custom.")] = "auto",
    bgp_routing_mode: Annotated[
        str | None, typer.Option("--bgp-routing-mode", help="regional or global.")
    ] = None,
    mtu: Annotated[int | None, typer.Option("--mtu", help="1300 to 8896.")] = None,
    description: Description = None,
) -> None:
    """Create a VPC network (auto mode: a subnet in every region; custom: none)."""
    if subnet_mode.lower() not in SUBNET_MODES:
        raise CliError(
            f"argument --subnet-mode: Invalid choice: '{subnet_mode}'. Valid choices are "
            "[auto, custom]: legacy networks are not supported."
        )
    context = context_of(ctx)
    base = _base(context)
    body: dict[str, Any] = {
        "name": name,
        "autoCreateSubnetworks": subnet_mode.lower() == "auto",
        **_routing(bgp_routing_mode),
    }
    if mtu is not None:
        body["mtu"] = mtu
    if description:
        body["description"] = description
    with context.api() as api:
        operation = api.post(f"{base}/global/networks", body)
        done = wait_global_operation(api, base, operation, f"Creating network {name}...")
        created = api.get(f"{base}/global/networks/{name}")
    output.status(f"Created [{done.get('targetLink')}].")
    output.show([{**created, **_subnet_mode(created)}], context.format, NETWORKS_FORMAT)
    output.status(NO_FIREWALL_YET.format(name=name))


@app.command("list")
def list_networks(ctx: typer.Context, filter: Filter = None, limit: Limit = None,
                  sort_by: SortBy = None) -> None:  # fmt: skip
    """List the project's VPC networks."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(f"{_base(context)}/global/networks", "items"))
    # gcloud adds the mode to every network it shows, in any format.
    shown = narrow([{**item, **_subnet_mode(item)} for item in found], filter=filter,
                   sort_by=sort_by, limit=limit)  # fmt: skip
    output.show(shown, context.format, NETWORKS_FORMAT)


@app.command("describe")
def describe_network(ctx: typer.Context, name: Name) -> None:
    """Show one VPC network."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"{_base(context)}/global/networks/{name}")
    output.show({**found, **_subnet_mode(found)}, context.format, "yaml")


@app.command("update")
def update_network(
    ctx: typer.Context,
    name: Name,
    bgp_routing_mode: Annotated[
        str | None, typer.Option("--bgp-routing-mode", help="regional or global.")
    ] = None,
    mtu: Annotated[int | None, typer.Option("--mtu", help="1300 to 8896.")] = None,
    description: Description = None,
) -> None:
    """Change a VPC network's routing mode, MTU or description."""
    body: dict[str, Any] = _routing(bgp_routing_mode)
    if mtu is not None:
        body["mtu"] = mtu
    if description is not None:
        body["description"] = description
    if not body:
        raise CliError("At least one property must be modified.")
    context = context_of(ctx)
    base = _base(context)
    with context.api() as api:
        operation = api.patch(f"{base}/global/networks/{name}", body)
        done = wait_global_operation(api, base, operation, f"Updating network {name}...")
    output.status(f"Updated [{done.get('targetLink')}].")


@app.command("delete")
def delete_networks(ctx: typer.Context, network_names: Names) -> None:
    """Delete VPC networks."""
    context = context_of(ctx)
    listed = "\n".join(f" - [{name}]" for name in network_names)
    confirm(f"The following networks will be deleted:\n\n{listed}", quiet=context.quiet)
    base = _base(context)
    with context.api() as api:
        for name in network_names:
            operation = api.delete(f"{base}/global/networks/{name}")
            done = wait_global_operation(api, base, operation, f"Deleting network {name}...")
            output.status(f"Deleted [{done.get('targetLink')}].")


# -- subnets -------------------------------------------------------------------------------


def _region(context: Context, region: str | None) -> str:
    chosen = region or context.value(REGION)
    if not chosen:
        raise CliError(
            "The required property [region] is not set: pass --region, or run "
            "`nimbus config set compute/region REGION`."
        )
    return chosen


@subnets.command("create")
def create_subnet(
    ctx: typer.Context,
    name: Name,
    network: Annotated[str, typer.Option("--network", help="The subnetwork's network.")],
    ip_range: Annotated[str, typer.Option("--range", help="Its IPv4 range, e.g. 10.0.0.0/24.")],
    region: RegionFlag = None,
    description: Description = None,
) -> None:
    """Create a subnetwork of a VPC network in one region."""
    context = context_of(ctx)
    base, chosen = _base(context), _region(context, region)
    body: dict[str, Any] = {
        "name": name,
        "network": f"projects/{context.project()}/global/networks/{network}",
        "ipCidrRange": ip_range,
    }
    if description:
        body["description"] = description
    path = f"{base}/regions/{chosen}/subnetworks"
    with context.api() as api:
        operation = api.post(path, body)
        done = wait_operation(api, f"{base}/regions/{chosen}", operation, f"Creating {name}...")
        created = api.get(f"{path}/{name}")
    output.status(f"Created [{done.get('targetLink')}].")
    output.show([created], context.format, SUBNETS_FORMAT)


@subnets.command("list")
def list_subnets(
    ctx: typer.Context,
    network: Annotated[str | None, typer.Option("--network", help="Only this network's.")] = None,
    regions: Annotated[str | None, typer.Option("--regions", help="REGION,...")] = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List subnetworks (of every region, or of some)."""
    context = context_of(ctx)
    with context.api() as api:
        aggregated = api.get(f"{_base(context)}/aggregated/subnetworks")["items"]
    wanted = names(regions)
    found = [
        item
        for scope, entry in aggregated.items()
        for item in entry.get("subnetworks", [])
        if not wanted or scope.rsplit("/", 1)[-1] in wanted
    ]
    if network:
        found = [item for item in found if item["network"].rsplit("/", 1)[-1] == network]
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, SUBNETS_FORMAT)


@subnets.command("describe")
def describe_subnet(ctx: typer.Context, name: Name, region: RegionFlag = None) -> None:
    """Show one subnetwork."""
    context = context_of(ctx)
    path = f"{_base(context)}/regions/{_region(context, region)}/subnetworks/{name}"
    with context.api() as api:
        output.show(api.get(path), context.format, "yaml")


@subnets.command("update")
def update_subnet(
    ctx: typer.Context, name: Name, region: RegionFlag = None, description: Description = None
) -> None:
    """Change a subnetwork's description."""
    if description is None:
        raise CliError("At least one property must be modified.")
    context = context_of(ctx)
    base, chosen = _base(context), _region(context, region)
    path = f"{base}/regions/{chosen}/subnetworks/{name}"
    with context.api() as api:
        current = api.get(path)
        body = {"description": description, "fingerprint": current["fingerprint"]}
        operation = api.patch(path, body)
        done = wait_operation(api, f"{base}/regions/{chosen}", operation, f"Updating {name}...")
    output.status(f"Updated [{done.get('targetLink')}].")


@subnets.command("delete")
def delete_subnets(ctx: typer.Context, subnet_names: Names, region: RegionFlag = None) -> None:
    """Delete subnetworks."""
    context = context_of(ctx)
    base, chosen = _base(context), _region(context, region)
    listed = "\n".join(f" - [{name}] in [{chosen}]" for name in subnet_names)
    confirm(f"The following subnetworks will be deleted:\n\n{listed}", quiet=context.quiet)
    with context.api() as api:
        for name in subnet_names:
            operation = api.delete(f"{base}/regions/{chosen}/subnetworks/{name}")
            done = wait_operation(api, f"{base}/regions/{chosen}", operation, f"Deleting {name}...")
            output.status(f"Deleted [{done.get('targetLink')}].")
