"""The four IAM policy commands every resource with a policy has, in gcloud's words.

No ``from __future__ import annotations`` here: Typer reads the parameter annotations
of the functions made below, and they name a local type.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nimbus.cli import output, policies
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Flatten, Limit, Member, Role, SortBy
from nimbus.cli.listing import narrow

if TYPE_CHECKING:
    from nimbus.wire.iam import Policy

Condition = Annotated[
    str | None,
    typer.Option("--condition", help="Only None: the binding without a condition."),
]


def _unconditional(condition: str | None) -> None:
    if condition not in (None, "None"):
        raise CliError("argument --condition: only --condition=None is supported.")


def register(app: typer.Typer, metavar: str, path: Callable[[str], str], noun: str) -> None:
    """Add get-iam-policy, add/remove-iam-policy-binding and set-iam-policy to ``app``."""
    Resource = Annotated[str, typer.Argument(metavar=metavar, show_default=False)]  # noqa: N806

    @app.command("get-iam-policy", help=f"Show the IAM policy of a {noun}.")
    def get_iam_policy(
        ctx: typer.Context,
        resource: Resource,
        filter: Filter = None,
        flatten: Flatten = None,
        limit: Limit = None,
        sort_by: SortBy = None,
    ) -> None:
        context = context_of(ctx)
        with context.api() as api:
            policy = policies.read(api, path(resource)).dump()
        if filter or flatten or limit or sort_by:
            shown = narrow([policy], filter=filter, flatten=flatten, limit=limit, sort_by=sort_by)
            output.show(shown, context.format, "yaml")
        else:
            output.show(policy, context.format, "yaml")

    @app.command("add-iam-policy-binding", help=f"Grant a role to a principal on a {noun}.")
    def add_iam_policy_binding(
        ctx: typer.Context,
        resource: Resource,
        member: Member,
        role: Role,
        condition: Condition = None,
    ) -> None:
        _unconditional(condition)
        _edit(ctx, resource, policies.adding(member, role))

    @app.command("remove-iam-policy-binding", help=f"Revoke a principal's role on a {noun}.")
    def remove_iam_policy_binding(
        ctx: typer.Context,
        resource: Resource,
        member: Member,
        role: Role,
        condition: Condition = None,
    ) -> None:
        _unconditional(condition)
        _edit(ctx, resource, policies.removing(member, role))

    @app.command("set-iam-policy", help=f"Replace the IAM policy of a {noun} from a file.")
    def set_iam_policy(
        ctx: typer.Context,
        resource: Resource,
        policy_file: Annotated[
            Path, typer.Argument(metavar="POLICY_FILE", help="A JSON or YAML policy.")
        ],
    ) -> None:
        policy = policies.from_file(policy_file)
        context = context_of(ctx)
        with context.api() as api:
            updated = policies.write(api, path(resource), policy)
        _report(resource, updated, context.format)

    def _edit(ctx: typer.Context, resource: str, change: "Callable[[Policy], Policy]") -> None:
        context = context_of(ctx)
        with context.api() as api:
            updated = policies.update(api, path(resource), change)
        _report(resource, updated, context.format)

    def _report(resource: str, policy: "Policy", format: str | None) -> None:
        output.status(f"Updated IAM policy for {noun} [{resource}].")
        output.show(policy.dump(), format, "yaml")
