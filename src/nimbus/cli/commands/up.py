"""``nimbus up``: run the cloud in the foreground."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli.failures import CliError

OWNER = "owner"


def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="NIMBUS_DATA_DIR",
            help="Where state lives (default: the user's data home).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="NIMBUS_DATABASE_URL",
            help="SQLAlchemy URL; default SQLite in the data dir, or postgresql+psycopg://...",
        ),
    ] = None,
    allow_anonymous: Annotated[
        str | None,
        typer.Option(
            "--allow-anonymous",
            help="Unauthenticated calls act as the owner, or as the principal given "
            "(--allow-anonymous=user:alice@example.com).",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Server log level.")] = "warning",
    workers: Annotated[
        int, typer.Option(help="Server processes (one per core serves most).", min=1)
    ] = 1,
    enable_test_controls: Annotated[
        bool,
        typer.Option(
            "--enable-test-controls",
            help="Serve test-only controls under /_nimbus/test/ (never in production).",
        ),
    ] = False,
    runtime: Annotated[
        str,
        typer.Option(
            envvar="NIMBUS_RUNTIME",
            help="How instances run: container (an OCI runtime) or fake (in memory, tests).",
        ),
    ] = "container",
    image_cache: Annotated[
        Path | None,
        typer.Option(
            "--image-cache",
            envvar="NIMBUS_IMAGE_CACHE",
            help="Where built images are kept (default: in the data dir); may be shared.",
        ),
    ] = None,
    cpu_allocation_ratio: Annotated[
        float,
        typer.Option(
            envvar="NIMBUS_CPU_ALLOCATION_RATIO",
            help="vCPUs the scheduler hands out per host CPU.",
            min=0.01,
        ),
    ] = 16.0,
    ram_allocation_ratio: Annotated[
        float,
        typer.Option(
            envvar="NIMBUS_RAM_ALLOCATION_RATIO",
            help="Instance memory the scheduler hands out per byte of host memory.",
            min=0.01,
        ),
    ] = 1.5,
    spot_discount: Annotated[
        float | None,
        typer.Option(
            envvar="NIMBUS_SPOT_DISCOUNT",
            help="Spot and preemptible prices as a discount off on-demand, 0 to 0.99 "
            "(default 0.6, the low end of the 60-91% Google documents).",
            min=0.0,
            max=0.99,
        ),
    ] = None,
    utilization_interval: Annotated[
        float,
        typer.Option(
            envvar="NIMBUS_UTILIZATION_INTERVAL",
            help="Seconds between two samples of running instances' CPU and memory "
            "(for idle and right-sizing recommendations).",
            min=0.1,
        ),
    ] = 60.0,
) -> None:
    """Run Nimbus in the foreground until interrupted."""
    from nimbus.server import serve
    from nimbus.settings import ServerSettings, default_data_dir

    settings = ServerSettings(
        data_dir=(data_dir or default_data_dir()).expanduser().resolve(),
        host=host,
        port=port,
        database_url=database_url,
        anonymous_principal=_anonymous(allow_anonymous),
        test_controls=enable_test_controls,
        runtime=_runtime(runtime),
        image_cache=image_cache.expanduser().resolve() if image_cache else None,
        cpu_allocation_ratio=cpu_allocation_ratio,
        ram_allocation_ratio=ram_allocation_ratio,
        spot_discount=spot_discount,
        utilization_interval=utilization_interval,
    )
    serve(settings, log_level=log_level, workers=workers)


def _runtime(value: str) -> str:
    if value not in ("container", "fake"):
        raise typer.BadParameter("expected 'container' or 'fake'")
    if value == "container" and os.geteuid() != 0:
        raise CliError(
            "Instances need root (namespaces, cgroups, overlayfs): run `nimbus up` as root, "
            "or pass --runtime fake to run without real instances."
        )
    return value


def _anonymous(value: str | None) -> str | None:
    if value is None:
        return None
    if value == OWNER:
        return OWNER
    if ":" not in value:
        raise typer.BadParameter("expected 'owner' or a principal such as user:alice@example.com")
    return value
