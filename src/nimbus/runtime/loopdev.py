"""Loop devices: how a disk file becomes a block device the kernel can mount.

We only ever make them through ``mount -o loop``, which sets them to clear themselves
when their last mount goes (autoclear), so they never outlive their use, even when we
are killed. A loop device backing a file therefore means the file is in use: mounted
somewhere on this host, in any mount namespace. What the kernel says of them lives in
sysfs, which is read here without running anything.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nimbus.runtime.driver import DriverError

SYS_BLOCK = Path("/sys/block")


@dataclass(frozen=True)
class LoopDevice:
    name: str  # "loop3"
    read_only: bool
    device: tuple[int, int]  # major, minor: what /proc/self/mountinfo shows for its mounts

    @property
    def node(self) -> Path:
        return Path("/dev") / self.name


def backing(file: Path) -> list[LoopDevice]:
    """The loop devices whose backing file is ``file``."""
    wanted = os.fsencode(file.resolve())
    found = []
    for entry in SYS_BLOCK.glob("loop*"):
        try:
            if (entry / "loop" / "backing_file").read_bytes().rstrip(b"\n") != wanted:
                continue
            read_only = (entry / "ro").read_text().strip() == "1"
            major, minor = (entry / "dev").read_text().strip().split(":")
        except OSError:
            continue  # not bound to a file, or cleared meanwhile
        found.append(LoopDevice(entry.name, read_only, (int(major), int(minor))))
    return sorted(found, key=lambda device: device.name)


def refresh_size(device: LoopDevice) -> None:
    """Make the device as large as its file again, after the file grew."""
    result = subprocess.run(
        ["losetup", "--set-capacity", str(device.node)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise DriverError(f"cannot resize {device.node}: {result.stderr.strip()}")


def backing_file(device: tuple[int, int]) -> Path | None:
    """The file behind the block device ``device`` (major, minor), if it is a loop device."""
    major, minor = device
    try:
        path = Path(f"/sys/dev/block/{major}:{minor}/loop/backing_file").read_bytes()
    except OSError:
        return None
    return Path(os.fsdecode(path.rstrip(b"\n")))
