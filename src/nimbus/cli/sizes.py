"""Disk sizes as gcloud reads them: ``10GB``, ``10`` (GB), ``1TB``, ``10GiB``.

gcloud's size units are binary (``GB`` and ``GiB`` both mean 2**30 bytes) and a disk
size must come out a whole number of GB, at least one.
"""

from __future__ import annotations

import re

from nimbus.cli.failures import CliError

_BYTES_IN_GB = 1 << 30
_UNITS = {"": 30, "B": 0, "KB": 10, "MB": 20, "GB": 30, "TB": 40, "PB": 50}
_SIZE = re.compile(r"^\s*(?P<number>\d+)\s*(?P<unit>[A-Za-z]*)\s*$")


def size_gb(text: str, flag: str) -> int:
    """The whole number of GB that ``text`` names, or one error line naming ``flag``."""
    match = _SIZE.match(text)
    unit = _binary_unit(match["unit"]) if match else ""
    if match is None or unit not in _UNITS:
        raise CliError(
            f"argument {flag}: given value must be of the form INTEGER[UNIT] where units can "
            f"be one of B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB; received: {text}"
        )
    size = int(match["number"]) << _UNITS[unit]
    if size < _BYTES_IN_GB:
        raise CliError(
            f"argument {flag}: value must be greater than or equal to 1GB; received: {text}"
        )
    if size % _BYTES_IN_GB:
        raise CliError(
            f"Invalid value for [{flag}]: Disk size must be a multiple of 1 GB. Did you mean "
            f"[{size // _BYTES_IN_GB + 1}GB]?"
        )
    return size // _BYTES_IN_GB


def _binary_unit(unit: str) -> str:
    """``GiB`` as ``GB``: gcloud gives both the same (binary) meaning."""
    upper = unit.upper()
    return f"{upper[0]}B" if len(upper) == 3 and upper.endswith("IB") else upper


def warn_if_small(size: int | None, disk_type: str | None) -> None:
    """gcloud's warning for disks too small to perform well for their type."""
    from nimbus.cli.output import status

    if size is None:
        return
    fast = disk_type is not None and ("pd-ssd" in disk_type or "pd-balanced" in disk_type)
    threshold = 10 if fast else 200
    if size < threshold:
        status(
            f"WARNING: You have selected a disk size of under [{threshold}GB]. This may result "
            "in poor I/O performance. For more information, see: "
            "https://developers.google.com/compute/docs/disks#performance."
        )
