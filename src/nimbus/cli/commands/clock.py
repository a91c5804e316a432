"""``nimbus clock``: the world clock of a server started with ``--enable-test-controls``.

Bills, budgets, lifecycle rules and preemption all follow it; advancing it by days is
how a demo (or a lesson) shows a month of costs in a minute.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.client import Api, ApiError
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError

app = typer.Typer(name="clock", help="The server's world clock (demo mode).", no_args_is_help=True)
_PATH = "/_nimbus/test/v1/clock"
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


@app.command()
def show(ctx: typer.Context) -> None:
    """The time as bills and lifecycles see it."""
    context = context_of(ctx)
    with context.api() as api:
        found = _clock(api, "GET", _PATH)
    output.show(found, context.format, "yaml")


@app.command()
def advance(
    ctx: typer.Context,
    span: Annotated[str, typer.Argument(metavar="SPAN", help="How far: 30d, 12h, 45m or 90s.")],
) -> None:
    """Move the world forward (never back)."""
    unit = span[-1:].lower()
    if unit not in _UNITS or not span[:-1].replace(".", "", 1).isdigit():
        raise CliError(f"invalid SPAN {span!r}: use a number and a unit, e.g. 30d, 12h, 45m, 90s")
    seconds = float(span[:-1]) * _UNITS[unit]
    context = context_of(ctx)
    with context.api() as api:
        found = _clock(api, "POST", f"{_PATH}:advance", {"seconds": seconds})
    output.status(f"The world clock now reads {found['now']}.")


def _clock(
    api: Api, method: str, path: str, body: dict[str, float] | None = None
) -> dict[str, object]:
    try:
        return api.request(method, path, body=body)
    except ApiError as exc:
        if exc.code == 404:
            raise CliError(
                "this server has no world clock to show: start it with "
                "`nimbus up --enable-test-controls`"
            ) from exc
        raise
