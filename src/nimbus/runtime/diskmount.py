"""Mounting a disk file on this host: the one place that keeps a disk to at most one
writer, and to no readers while it has one.

Read-only users share one loop device, so one filesystem: the kernel opens it once
however many instances read it. Whether a disk is in use is what the kernel says (a
loop device backs the file, see :mod:`nimbus.runtime.loopdev`), never a note of ours
that a crash could leave stale. Every mount, unmount, resize, snapshot and delete of a
disk holds the disk's lock (``flock`` on its file), so that none of them sees another
half done, even from another process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from nimbus.runtime import ext4, loopdev, mounts
from nimbus.runtime.driver import BuildAborted, DiskInUse, DiskNotFound

RELEASE_WAIT_SECONDS = 2.0


@contextlib.contextmanager
def locked(file: Path) -> Iterator[None]:
    try:
        fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise DiskNotFound(f"no disk file {file}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def check_free(file: Path, *, read_only: bool) -> None:
    """DiskInUse unless ``file`` may be mounted so now."""
    with locked(file):
        _check_free(file, read_only=read_only)


def settle(file: Path, timeout: float = RELEASE_WAIT_SECONDS) -> list[loopdev.LoopDevice]:
    """The loop devices backing ``file``, once the releases in flight are done.

    The last mount of a disk may be let go a moment after its unmount returns (when an
    instance's last process drops it on its way out, the kernel finishes the work
    asynchronously), so a disk used but mounted nowhere in sight is waited for a
    moment before being called busy. Every user we make has its mount in our
    namespace, so a disk mounted here is busy at once.
    """
    deadline = time.monotonic() + timeout
    users = loopdev.backing(file)
    in_sight = {mount.device for mount in mounts.current()}
    if any(device.device in in_sight for device in users):
        return users
    while users and time.monotonic() < deadline:
        time.sleep(0.01)
        users = loopdev.backing(file)
    return users


def _check_free(file: Path, *, read_only: bool) -> None:
    if _conflicting(loopdev.backing(file), read_only=read_only):
        users = settle(file)
        if _conflicting(users, read_only=read_only):
            how = "read-write" if any(not d.read_only for d in users) else "read-only"
            raise DiskInUse(f"disk {file} is in use {how}")


def _conflicting(users: list[loopdev.LoopDevice], *, read_only: bool) -> bool:
    """A writer excludes everyone; readers exclude a writer."""
    return bool(users) and (not read_only or any(not device.read_only for device in users))


def holds(target: Path, file: Path) -> bool:
    """``target`` has ``file``'s filesystem mounted on it."""
    mount = mounts.at(target)
    return mount is not None and any(d.device == mount.device for d in loopdev.backing(file))


def mount(file: Path, target: Path, *, read_only: bool) -> None:
    """Mount the disk ``file`` on ``target`` (made if missing).

    A no-op if it is mounted there already; DiskInUse if the rules forbid it.
    """
    file = file.resolve()
    with locked(file):
        _mount(file, target, read_only=read_only)


def _mount(file: Path, target: Path, *, read_only: bool) -> None:
    if holds(target, file):
        return
    if mounts.is_mounted(target):
        raise BuildAborted(f"another filesystem is mounted on {target}")
    _check_free(file, read_only=read_only)
    target.mkdir(parents=True, exist_ok=True)
    reader = next(iter(loopdev.backing(file)), None)
    if reader is not None:  # read-only, as check_free made sure: share it
        options = f"ro,nodev,{ext4.READ_ONLY_OPTIONS}"
        mounts.run(["-t", "ext4", "-o", options, str(reader.node), str(target)], str(file))
        return
    # Nobody uses it: the moment to catch up with a file grown while it was mounted.
    if not ext4.fills(file):
        ext4.grow_offline(file)
    elif read_only and ext4.superblock(file).needs_recovery:
        ext4.check(file)  # a read-only device cannot replay the journal itself
    access = f"ro,{ext4.READ_ONLY_OPTIONS}" if read_only else ext4.READ_WRITE_OPTIONS
    mounts.run(["-t", "ext4", "-o", f"loop,nodev,{access}", str(file), str(target)], str(file))


def unmount(target: Path) -> None:
    """Unmount whatever is on ``target``; for a disk, under the disk's lock. A mount
    still busy inside an instance is detached and goes with its last user."""
    mount = mounts.at(target)
    if mount is None:
        return
    file = loopdev.backing_file(mount.device)
    if file is None:
        mounts.unmount(target, lazy=True)
        return
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(DiskNotFound):  # deleted under us: nothing to keep safe
            stack.enter_context(locked(file))
        mounts.unmount(target, lazy=True)
