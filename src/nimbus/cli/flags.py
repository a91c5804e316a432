"""Flags many commands share, with gcloud's names, and parsers for their values."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli.failures import CliError

Filter = Annotated[
    str | None,
    typer.Option("--filter", help="Show only the items this expression matches."),
]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many items.")]
SortBy = Annotated[
    str | None,
    typer.Option("--sort-by", help="Sort by these comma-separated keys; ~KEY sorts descending."),
]
Flatten = Annotated[
    str | None,
    typer.Option("--flatten", help="One item per element of these lists, e.g. bindings[].members."),
]
Member = Annotated[
    str,
    typer.Option(
        "--member", help="The principal, e.g. user:alice@example.com or serviceAccount:EMAIL."
    ),
]
Role = Annotated[str, typer.Option("--role", help="The role, e.g. roles/viewer.")]


def key_values(text: str | None, flag: str) -> dict[str, str]:
    """``k=v,k2=v2`` as a dict."""
    if not text:
        return {}
    pairs = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise CliError(f"argument {flag}: Bad syntax for dict arg: [{item}].")
        pairs[key.strip()] = value.strip()
    return pairs


def names(text: str | None) -> list[str]:
    """``a,b,c`` as a list, without empty items."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]
