"""``nimbus config``: read and change properties (``project``, ``compute/zone``, ...)."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.config import PROPERTIES, find_property
from nimbus.cli.context import context_of

app = typer.Typer(name="config", help="View and edit CLI properties.", no_args_is_help=True)

PropertyName = Annotated[
    str,
    typer.Argument(
        metavar="SECTION/PROPERTY",
        help="A property: " + ", ".join(sorted(PROPERTIES)) + " (core/ may be left out).",
    ),
]


@app.command("set")
def set_property(
    ctx: typer.Context,
    name: PropertyName,
    value: Annotated[str, typer.Argument(metavar="VALUE")],
) -> None:
    """Set a property in the active configuration."""
    prop = find_property(name)
    context_of(ctx).config.set(prop, value)
    output.status(f"Updated property [{prop.key}].")


@app.command("get")
def get_property(ctx: typer.Context, name: PropertyName) -> None:
    """Print a property's value (flags and environment variables included)."""
    _print_value(ctx, name)


@app.command("get-value", hidden=True)
def get_value(ctx: typer.Context, name: PropertyName) -> None:
    """Print a property's value (the older name of config get)."""
    _print_value(ctx, name)


def _print_value(ctx: typer.Context, name: str) -> None:
    value = context_of(ctx).value(find_property(name))
    if value is None:
        output.status("(unset)")
    else:
        print(value)


@app.command("unset")
def unset_property(ctx: typer.Context, name: PropertyName) -> None:
    """Remove a property from the active configuration."""
    prop = find_property(name)
    context_of(ctx).config.unset(prop)
    output.status(f"Unset property [{prop.key}].")


@app.command("list")
def list_properties(ctx: typer.Context) -> None:
    """List the properties set in the active configuration."""
    context = context_of(ctx)
    sections = context.config.sections()
    if context.format:
        output.show(sections, context.format, "yaml")
    else:
        for section, values in sections.items():
            print(f"[{section}]")
            for key, value in values.items():
                print(f"{key} = {value}")
    output.status(f"\nYour active configuration is: [{context.config.name}]")
