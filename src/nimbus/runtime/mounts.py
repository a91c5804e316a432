"""What is mounted in this process's mount namespace, and the mount(8) calls we make.

Every step that mounts first looks here, so that a call repeated after a crash finds
what the first one did instead of stacking a second mount on it.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nimbus.runtime.driver import BuildAborted

MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class Mount:
    target: Path
    device: tuple[int, int]  # major, minor of the filesystem's device
    fstype: str


def current() -> list[Mount]:
    """Every mount, oldest first (the order to undo is the reverse)."""
    with MOUNTINFO.open("rb") as mountinfo:
        return [_parse(line) for line in mountinfo]


def at(target: Path) -> Mount | None:
    """The topmost mount on ``target``, if any."""
    wanted = target.resolve()
    found = [mount for mount in current() if mount.target == wanted]
    return found[-1] if found else None


def is_mounted(target: Path) -> bool:
    return at(target) is not None


def below(directory: Path) -> list[Mount]:
    """The mounts strictly inside ``directory``, oldest first."""
    top = directory.resolve()
    return [mount for mount in current() if top in mount.target.parents]


def run(arguments: Sequence[str], what: str) -> None:
    """mount(8) with ``arguments``; BuildAborted with its message if it fails."""
    result = subprocess.run(
        ["mount", *arguments], stdin=subprocess.DEVNULL, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BuildAborted(f"cannot mount {what}: {result.stderr.strip()}")


def unmount(target: Path, *, lazy: bool = False) -> None:
    """Undo every mount stacked on ``target``. ``lazy`` detaches a mount that is still
    busy (a process inside an instance works in it): it goes away with its last user."""
    while is_mounted(target):
        result = subprocess.run(
            ["umount", str(target)], stdin=subprocess.DEVNULL, capture_output=True, check=False
        )
        if result.returncode != 0 and lazy:
            result = subprocess.run(
                ["umount", "--lazy", str(target)], stdin=subprocess.DEVNULL,
                capture_output=True, check=False,
            )  # fmt: skip
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise OSError(errno.EBUSY, f"cannot unmount: {message}", str(target))


def unmount_below(directory: Path, *, lazy: bool = False) -> None:
    """Undo every mount inside ``directory``, newest first, so that stacked and nested
    mounts come off in the order they went on."""
    for mount in reversed(below(directory)):
        unmount(mount.target, lazy=lazy)


def _parse(line: bytes) -> Mount:
    # "36 35 98:0 /root /mnt/point options [optional fields...] - fstype source super"
    fields, _, rest = line.partition(b" - ")
    parts = fields.split()
    major, minor = parts[2].split(b":")
    target = Path(os.fsdecode(_unescape(parts[4])))
    return Mount(target=target, device=(int(major), int(minor)), fstype=rest.split()[0].decode())


def _unescape(field: bytes) -> bytes:
    # Spaces, tabs, newlines and backslashes in paths are octal-escaped ("\040").
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
