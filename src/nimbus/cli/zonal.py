"""What a zonal Compute Engine command acts on: the project's compute path and a zone."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from nimbus.cli.config import ZONE
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError


def chosen_zone(context: Context, zone: str | None, flag: str = "--zone") -> str:
    """``--zone`` (or ``flag``), else the ``compute/zone`` property, as gcloud resolves it."""
    chosen = zone or context.value(ZONE)
    if not chosen:
        raise CliError(
            f"The required property [zone] is not set: pass {flag}, or run "
            "`nimbus config set compute/zone ZONE`."
        )
    return chosen


@dataclass(frozen=True)
class Zonal:
    context: Context
    zone: str

    @property
    def project(self) -> str:
        return self.context.project()

    @property
    def base(self) -> str:
        """The project's compute/v1 path."""
        return f"/compute/v1/projects/{self.project}"

    def path(self, collection: str, name: str = "") -> str:
        """``collection`` (``disks``, ``instances``) of the zone, or one item of it."""
        path = f"{self.base}/zones/{self.zone}/{collection}"
        return f"{path}/{name}" if name else path


def zonal(ctx: typer.Context, zone: str | None) -> Zonal:
    context = context_of(ctx)
    return Zonal(context, chosen_zone(context, zone))
