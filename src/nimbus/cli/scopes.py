"""gcloud's ``--scopes`` aliases, expanded to OAuth scope URLs."""

from __future__ import annotations

from nimbus.cli.failures import CliError

_AUTH = "https://www.googleapis.com/auth/"
DEFAULT = (
    f"{_AUTH}devstorage.read_only",
    f"{_AUTH}logging.write",
    f"{_AUTH}monitoring.write",
    f"{_AUTH}pubsub",
    f"{_AUTH}service.management.readonly",
    f"{_AUTH}servicecontrol",
    f"{_AUTH}trace.append",
)
ALIASES: dict[str, tuple[str, ...]] = {
    "bigquery": (f"{_AUTH}bigquery",),
    "cloud-platform": (f"{_AUTH}cloud-platform",),
    "cloud-source-repos": (f"{_AUTH}source.full_control",),
    "cloud-source-repos-ro": (f"{_AUTH}source.read_only",),
    "compute-ro": (f"{_AUTH}compute.readonly",),
    "compute-rw": (f"{_AUTH}compute",),
    "datastore": (f"{_AUTH}datastore",),
    "default": DEFAULT,
    "logging-write": (f"{_AUTH}logging.write",),
    "monitoring": (f"{_AUTH}monitoring",),
    "monitoring-read": (f"{_AUTH}monitoring.read",),
    "monitoring-write": (f"{_AUTH}monitoring.write",),
    "pubsub": (f"{_AUTH}pubsub",),
    "service-control": (f"{_AUTH}servicecontrol",),
    "service-management": (f"{_AUTH}service.management.readonly",),
    "sql-admin": (f"{_AUTH}sqlservice.admin",),
    "storage-full": (f"{_AUTH}devstorage.full_control",),
    "storage-ro": (f"{_AUTH}devstorage.read_only",),
    "storage-rw": (f"{_AUTH}devstorage.read_write",),
    "taskqueue": (f"{_AUTH}taskqueue",),
    "trace": (f"{_AUTH}trace.append",),
    "userinfo-email": (f"{_AUTH}userinfo.email",),
}


def expand_scopes(names: list[str]) -> list[str]:
    """Aliases and URLs, in order, without repeats."""
    expanded: list[str] = []
    for name in names:
        if name.startswith("https://"):
            urls: tuple[str, ...] = (name,)
        elif name in ALIASES:
            urls = ALIASES[name]
        else:
            known = ", ".join(sorted(ALIASES))
            raise CliError(f"argument --scopes: unknown scope alias [{name}]; known: {known}.")
        expanded += [url for url in urls if url not in expanded]
    return expanded
