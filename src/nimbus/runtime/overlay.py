"""An instance's root filesystem: the shared read-only image under its own writable layer.

The mount is made at every start and undone at every stop, so a host reboot (which
forgets mounts) looks like any other stopped instance.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

from nimbus.runtime.driver import BuildAborted


def is_mounted(target: Path) -> bool:
    wanted = os.fsencode(target.resolve())
    with Path("/proc/self/mountinfo").open("rb") as mountinfo:
        # Field 5 is the mount point, with spaces and backslashes octal-escaped.
        return any(_unescape(line.split()[4]) == wanted for line in mountinfo)


def mount(lower: Path, upper: Path, work: Path, target: Path) -> None:
    if is_mounted(target):
        return
    if not lower.is_dir():
        raise BuildAborted(f"image root {lower} is not a directory")
    for path in (lower, upper, work):
        if "," in str(path) or ":" in str(path):
            raise BuildAborted(f"overlayfs cannot take {path}: ',' or ':' in the path")
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    result = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", options, str(target)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildAborted(f"cannot mount the root filesystem: {result.stderr.strip()}")


def unmount(target: Path) -> None:
    # Mounted twice after a crash between mount and bookkeeping: undo every layer.
    while is_mounted(target):
        result = subprocess.run(
            ["umount", str(target)], stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise OSError(errno.EBUSY, f"cannot unmount: {message}", str(target))


def _unescape(field: bytes) -> bytes:
    out = bytearray()
    index = 0
    while index < len(field):
        if field[index : index + 1] == b"\\" and field[index + 1 : index + 4].isdigit():
            out.append(int(field[index + 1 : index + 4], 8))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return bytes(out)
