"""Persistent disks and their snapshots as files on this host.

A disk is a sparse file holding an ext4 filesystem (see :mod:`nimbus.runtime.ext4`),
under ``<root>/disks/<disk key>.ext4``; a snapshot is a sparse copy of one, under
``<root>/snapshots/<snapshot key>.ext4``. Files in the making are ``.<key>.partial`` next
to where they will be, and only appear under their name once complete. A disk file is
removed by :meth:`DiskFiles.delete` and nothing else: instances come and go around it.

Inside every disk's filesystem:

    /upper   what the disk holds. For a disk made from an image, the changes made over
             the image (overlayfs' upper layer; the image is the read-only layer below,
             given with every attachment); for a blank disk, everything the user sees.
    /work    overlayfs' work directory, empty when nothing is mounted.

Instances never see the filesystem's root, only ``/upper`` (or the overlay over it).
Mounting belongs to :mod:`nimbus.runtime.diskmount`; this module holds the files and
does what is done to them as a whole: create, grow, snapshot, delete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from nimbus.runtime import diskmount, ext4, loopdev, mounts, sparse
from nimbus.runtime.driver import DiskInUse, DiskNotFound, DriverError, ResourcesUnavailable

GB = 1024**3
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SUFFIX = ".ext4"


class DiskFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._disks = self.root / "disks"
        self._snapshots = self.root / "snapshots"
        for directory in (self.root, self._disks, self._snapshots):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._making: dict[str, threading.Lock] = {}
        self._making_guard = threading.Lock()

    def path(self, disk_key: str) -> Path:
        return self._disks / (_checked(disk_key) + _SUFFIX)

    def snapshot_path(self, snapshot_key: str) -> Path:
        return self._snapshots / (_checked(snapshot_key) + _SUFFIX)

    def create(self, disk_key: str, size_gb: int, *, snapshot_key: str | None = None) -> Path:
        """A new blank disk, or one holding what the snapshot holds, grown to
        ``size_gb`` (ValueError if the snapshot's disk was larger). An existing disk is
        returned as it is."""
        final = self.path(disk_key)
        size = _bytes(size_gb)
        with self._one_maker(final), _host_errors(f"disk {disk_key}"):
            if final.exists():
                return final
            partial = _partial(final)
            partial.unlink(missing_ok=True)  # what a crash left
            try:
                if snapshot_key is None:
                    ext4.make(partial, size)
                else:
                    self._restore(snapshot_key, partial, size)
                _publish(partial, final)
            finally:
                partial.unlink(missing_ok=True)
        return final

    def resize(self, disk_key: str, size_gb: int) -> None:
        """Grow the disk and its filesystem, mounted or not; ValueError if smaller.

        The filesystem of a disk mounted read-only, or read-write on a host that
        withholds online growth (see :func:`ext4.can_grow_online`), grows at its next
        mount; as on Google's, where the guest grows it, the device grows at once.
        """
        file = self._existing(disk_key)
        size = _bytes(size_gb)
        with diskmount.locked(file), _host_errors(f"disk {disk_key}"):
            current = file.stat().st_size
            if size < current:
                raise ValueError(f"disk {disk_key} has {current // GB} GB and cannot shrink")
            users = loopdev.backing(file)
            writer = next((device for device in users if not device.read_only), None)
            online = writer if writer is not None and ext4.can_grow_online() else None
            if online is not None:
                _mount_point(online)  # before changing anything: it must be reachable
            os.truncate(file, size)
            for device in users:
                loopdev.refresh_size(device)
            if online is not None:
                ext4.grow_online(online.node)
            elif not users and not ext4.fills(file):
                ext4.grow_offline(file)

    def snapshot(self, disk_key: str, snapshot_key: str) -> int:
        """Copy the disk as it is now into a snapshot; the bytes the snapshot takes. A
        disk mounted read-write is frozen for the copy (its writes wait), so the copy
        is what a crash at that moment would have left, journal included."""
        final = self.snapshot_path(snapshot_key)
        with self._one_maker(final), _host_errors(f"snapshot {snapshot_key}"):
            if final.exists():
                return sparse.allocated(final)
            file = self._existing(disk_key)
            partial = _partial(final)
            partial.unlink(missing_ok=True)
            try:
                with diskmount.locked(file), _quiesced(file):
                    sparse.copy(file, partial)
                _publish(partial, final)
            finally:
                partial.unlink(missing_ok=True)
        return sparse.allocated(final)

    def delete(self, disk_key: str) -> None:
        """Remove the disk's file; DiskInUse while it is mounted anywhere."""
        file = self.path(disk_key)
        try:
            with diskmount.locked(file), _host_errors(f"disk {disk_key}"):
                if diskmount.settle(file):
                    raise DiskInUse(f"disk {disk_key} is mounted")
                file.unlink()
        except DiskNotFound:
            return

    def delete_snapshot(self, snapshot_key: str) -> None:
        with _host_errors(f"snapshot {snapshot_key}"):
            self.snapshot_path(snapshot_key).unlink(missing_ok=True)

    def allocated_bytes(self, disk_key: str) -> int:
        """What the sparse file really takes on the host's disk."""
        with _host_errors(f"disk {disk_key}"):
            return sparse.allocated(self._existing(disk_key))

    def in_use(self, disk_key: str) -> bool:
        """Mounted anywhere on this host, by any instance or process."""
        return bool(loopdev.backing(self.path(disk_key)))

    # -- steps ---------------------------------------------------------------------------------

    def _existing(self, disk_key: str) -> Path:
        file = self.path(disk_key)
        if not file.is_file():
            raise DiskNotFound(f"no disk {disk_key}")
        return file

    def _restore(self, snapshot_key: str, partial: Path, size: int) -> None:
        source = self.snapshot_path(snapshot_key)
        if not source.is_file():
            raise DiskNotFound(f"no snapshot {snapshot_key}")
        if size < source.stat().st_size:
            raise ValueError(f"snapshot {snapshot_key} needs {source.stat().st_size // GB} GB")
        sparse.copy(source, partial)
        if size > source.stat().st_size:
            os.truncate(partial, size)
            ext4.grow_offline(partial)

    @contextlib.contextmanager
    def _one_maker(self, final: Path) -> Iterator[None]:
        """One thread makes a given file at a time (they would share its partial)."""
        with self._making_guard:
            lock = self._making.setdefault(str(final), threading.Lock())
        with lock:
            yield


@contextlib.contextmanager
def _host_errors(what: str) -> Iterator[None]:
    """The host failing us is a driver error too; a full host disk may pass elsewhere."""
    try:
        yield
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ResourcesUnavailable(f"{what}: {error}") from error
        raise DriverError(f"{what}: {error}") from error


@contextlib.contextmanager
def _quiesced(file: Path) -> Iterator[None]:
    """Nothing is written to ``file`` meanwhile: a read-write mount is frozen (its
    dirty data and journal flushed first). Hold the disk's lock."""
    writer = next((d for d in loopdev.backing(file) if not d.read_only), None)
    if writer is None:
        yield
        return
    mount_point = _mount_point(writer)
    # Only we freeze, under the lock: a freeze found here was left by a crash.
    _fsfreeze("--unfreeze", mount_point, check=False)
    _fsfreeze("--freeze", mount_point)
    try:
        yield
    finally:
        _fsfreeze("--unfreeze", mount_point)


def _mount_point(device: loopdev.LoopDevice) -> Path:
    """Where the device is mounted in our mount namespace; DiskInUse if it is mounted
    only elsewhere (then it can be neither frozen nor grown from here)."""
    for mount in mounts.current():
        if mount.device == device.device:
            return mount.target
    raise DiskInUse(f"{device.node} is mounted read-write out of this process's sight")


def _fsfreeze(action: str, mount_point: Path, *, check: bool = True) -> None:
    result = subprocess.run(
        ["fsfreeze", action, str(mount_point)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise DriverError(f"fsfreeze {action} {mount_point}: {result.stderr.strip()}")


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"invalid disk or snapshot key {key!r}")
    return key


def _bytes(size_gb: int) -> int:
    if isinstance(size_gb, bool) or not isinstance(size_gb, int) or size_gb < 1:
        raise ValueError(f"invalid disk size {size_gb!r} GB")
    return size_gb * GB


def _partial(final: Path) -> Path:
    return final.with_name(f".{final.stem}.partial")


def _publish(partial: Path, final: Path) -> None:
    """Make ``partial`` appear as ``final``, whole, surviving a power loss."""
    with partial.open("rb+") as file:
        os.fsync(file.fileno())
    partial.rename(final)
    directory = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
