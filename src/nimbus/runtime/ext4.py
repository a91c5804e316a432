"""The filesystem of every persistent disk: ext4 in a sparse file (e2fsprogs).

A new filesystem writes only its metadata (inode tables and journal are left to read as
the zeros a sparse file already holds), and mounts never zero them later either
(``noinit_itable``), so a 10 GB disk costs a few megabytes until it is written.
Mounts with ``discard`` punch holes where files are deleted, so the file shrinks back.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nimbus.runtime.driver import DriverError

# The directories every disk holds at its root: see nimbus.runtime.disks.
UPPER = "upper"
WORK = "work"
READ_ONLY_OPTIONS = "noinit_itable"
READ_WRITE_OPTIONS = "noinit_itable,discard"

_SUPERBLOCK_OFFSET = 1024
_MAGIC = 0xEF53
_NEEDS_RECOVERY = 0x4  # an incompatible feature: the journal must be replayed first
_CAP_SYS_RESOURCE = 24


@dataclass(frozen=True)
class Superblock:
    blocks: int
    block_size: int
    needs_recovery: bool

    @property
    def size(self) -> int:
        return self.blocks * self.block_size


def make(path: Path, size_bytes: int) -> None:
    """A new sparse file of ``size_bytes`` holding an empty ext4 with the two root
    directories."""
    with path.open("xb") as file:
        file.truncate(size_bytes)
    with tempfile.TemporaryDirectory(prefix="nimbus-disk-") as seed:
        for name in (UPPER, WORK):
            (Path(seed) / name).mkdir(mode=0o755)
        _run(
            "mkfs.ext4", "-q", "-F", "-d", seed,
            "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0",
            str(path),
        )  # fmt: skip


def superblock(path: Path) -> Superblock:
    """What the filesystem's on-disk superblock says (exact while it is not mounted)."""
    with path.open("rb") as file:
        file.seek(_SUPERBLOCK_OFFSET)
        raw = file.read(1024)
    if len(raw) < 1024 or struct.unpack_from("<H", raw, 0x38)[0] != _MAGIC:
        raise DriverError(f"{path} holds no ext4 filesystem")
    (blocks_low,) = struct.unpack_from("<I", raw, 0x4)
    (log_size,) = struct.unpack_from("<I", raw, 0x18)
    (incompat,) = struct.unpack_from("<I", raw, 0x60)
    blocks_high = struct.unpack_from("<I", raw, 0x150)[0] if incompat & 0x80 else 0  # 64bit
    return Superblock(
        blocks=blocks_low | blocks_high << 32,
        block_size=1024 << log_size,
        needs_recovery=bool(incompat & _NEEDS_RECOVERY),
    )


def fills(path: Path) -> bool:
    """The filesystem uses the whole file (not merely a file grown under it)."""
    return superblock(path).size >= path.stat().st_size


def check(path: Path) -> None:
    """Replay the journal and repair what is safe, on an unmounted filesystem."""
    _run("e2fsck", "-p", str(path), allowed=(0, 1))


def grow_offline(path: Path) -> None:
    """Fill the whole file, unmounted. resize2fs insists on a freshly checked one."""
    _run("e2fsck", "-f", "-p", str(path), allowed=(0, 1))
    _run("resize2fs", str(path))


def grow_online(device: Path) -> None:
    """Fill the whole device, while mounted read-write in this mount namespace (the
    kernel does it; resize2fs finds the mount point through /proc/mounts)."""
    _run("resize2fs", str(device))


def can_grow_online() -> bool:
    """The kernel grows a mounted ext4 only for a process with CAP_SYS_RESOURCE, which
    some hosts (a sandbox, a container) withhold even from root."""
    status = Path("/proc/self/status").read_text()
    effective = next(line for line in status.splitlines() if line.startswith("CapEff:"))
    return bool(int(effective.split()[1], 16) >> _CAP_SYS_RESOURCE & 1)


def _run(*command: str, allowed: Sequence[int] = (0,)) -> None:
    result = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if result.returncode not in allowed:
        output = (result.stderr or result.stdout).strip()
        raise DriverError(f"{command[0]} {command[-1]}: {output or 'failed'}")
