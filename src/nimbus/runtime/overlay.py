"""An instance's root filesystem, or a disk made from an image: the shared read-only
image under a writable layer of its own.

The mount is made at every start and undone at every stop, so a host reboot (which
forgets mounts) looks like any other stopped instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nimbus.runtime import mounts
from nimbus.runtime.driver import BuildAborted

is_mounted = mounts.is_mounted
unmount = mounts.unmount


def mount(lower: Path, upper: Path, work: Path, target: Path) -> None:
    """``upper`` over ``lower`` on ``target``; changes go to ``upper``."""
    _mount([lower], f"upperdir={upper},workdir={work}", target, [upper, work])


def mount_read_only(layers: Sequence[Path], target: Path) -> None:
    """The ``layers`` (at least two) stacked read-only on ``target``, the first on top."""
    _mount(layers, "", target, [])


def _mount(lowers: Sequence[Path], writable: str, target: Path, others: Sequence[Path]) -> None:
    if mounts.is_mounted(target):
        return
    if not lowers[-1].is_dir():
        raise BuildAborted(f"image root {lowers[-1]} is not a directory")
    for path in (*lowers, *others):
        if "," in str(path) or ":" in str(path):
            raise BuildAborted(f"overlayfs cannot take {path}: ',' or ':' in the path")
    options = ",".join(filter(None, ["lowerdir=" + ":".join(map(str, lowers)), writable]))
    mounts.run(["-t", "overlay", "overlay", "-o", options, str(target)], "an overlay")
