"""Kernel settings of the calling thread's network namespace.

Files under /proc/sys/net resolve to the namespace of the thread that opens them, so
this is only ever called from a thread that entered the namespace meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_ROOT = Path("/proc/sys")


def write(settings: Mapping[str, str]) -> None:
    """Write ``{"net.ipv4.ip_forward": "1", ...}``, skipping values already set, and
    IPv6 settings on a kernel without IPv6."""
    for key, value in settings.items():
        path = _ROOT.joinpath(*key.split("."))
        if key.startswith("net.ipv6.") and not path.exists():
            continue
        if path.read_text().strip() != value:
            path.write_text(f"{value}\n")


def read(key: str) -> str:
    return _ROOT.joinpath(*key.split(".")).read_text().strip()
