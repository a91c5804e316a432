"""A container instance's persistent disks, as mounts under its bundle.

    disks/NAME/        the disk's own filesystem, mounted on the host only
    guest-disks/       bound into the guest at /mnt/disks; a shared mount, so what is
                       mounted under it later shows up in the running guest too
    guest-disks/NAME/  the data disk as the guest sees it: the disk's /upper, or an
                       overlay of it over the image the disk was made from
    disk-ids/          bound read-only into the guest at /dev/disk/by-id

The guest runs without CAP_SYS_ADMIN, so it cannot mount a block device itself: where a
Google VM shows ``/dev/disk/by-id/google-NAME`` (a block device, formatted and mounted
by the user, often on /mnt/disks/NAME), a Nimbus guest finds the disk mounted at
``/mnt/disks/NAME`` (read-only when attached so) and ``/dev/disk/by-id/google-NAME`` a
symlink to it; the boot disk's symlink points at ``/``.

Everything here may be repeated after a crash: each step looks at what is mounted.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from nimbus.runtime import diskmount, ext4, mounts, overlay
from nimbus.runtime.driver import DiskAttachment

RAW = "disks"
GUEST_DISKS = "guest-disks"
DISK_IDS = "disk-ids"
GUEST_MOUNT_ROOT = Path("/mnt/disks")
GUEST_ID_ROOT = Path("/dev/disk/by-id")


def mount_boot(bundle: Path, disk: DiskAttachment, rootfs: Path) -> None:
    """The instance's root filesystem on ``rootfs``: the boot disk over its image."""
    raw = mount_raw(bundle, disk)
    if disk.image_root is None:  # the disk holds a whole system of its own
        _bind(raw / ext4.UPPER, rootfs, read_only=False)
    else:
        overlay.mount(disk.image_root, raw / ext4.UPPER, raw / ext4.WORK, rootfs)
    _link(bundle, disk.device_name, Path("/"))


def mount_raw(bundle: Path, disk: DiskAttachment) -> Path:
    """The disk's own filesystem, on the host only; where it is mounted."""
    raw = bundle / RAW / disk.device_name
    diskmount.mount(disk.path, raw, read_only=disk.read_only)
    return raw


def prepare(bundle: Path) -> None:
    """Make the directories the guest binds, before its container is created."""
    shared = bundle / GUEST_DISKS
    for directory in (shared, bundle / DISK_IDS):
        directory.mkdir(mode=0o755, exist_ok=True)
    if not mounts.is_mounted(shared):
        mounts.run(["--bind", str(shared), str(shared)], "the guest's disk directory")
    mounts.run(["--make-shared", str(shared)], "the guest's disk directory")


def attach(bundle: Path, disk: DiskAttachment) -> None:
    """Mount a data disk where the guest sees it (now, if it runs)."""
    raw = mount_raw(bundle, disk)
    view = bundle / GUEST_DISKS / disk.device_name
    view.mkdir(mode=0o755, exist_ok=True)
    if disk.image_root is None:
        _bind(raw / ext4.UPPER, view, read_only=disk.read_only)
    elif disk.read_only:
        overlay.mount_read_only([raw / ext4.UPPER, disk.image_root], view)
    else:
        overlay.mount(disk.image_root, raw / ext4.UPPER, raw / ext4.WORK, view)
    _link(bundle, disk.device_name, GUEST_MOUNT_ROOT / disk.device_name)


def detach(bundle: Path, device_name: str) -> None:
    """Take a disk away from the guest and the host. A guest still working in it keeps
    what it holds open until it lets go; the disk stays in use until then."""
    with contextlib.suppress(FileNotFoundError):
        (bundle / DISK_IDS / f"google-{device_name}").unlink()
    for target in (bundle / GUEST_DISKS / device_name, bundle / RAW / device_name):
        diskmount.unmount(target)
        with contextlib.suppress(FileNotFoundError):
            target.rmdir()


def unmount_all(bundle: Path) -> None:
    """Every mount under the bundle, newest first: disks, overlays, the shared
    directory. The disks stay as they are on their files."""
    for mount in reversed(mounts.below(bundle)):
        diskmount.unmount(mount.target)


def _bind(source: Path, target: Path, *, read_only: bool) -> None:
    if mounts.is_mounted(target):
        return
    options = "bind,ro" if read_only else "bind"
    mounts.run(["-o", options, str(source), str(target)], f"a disk on {target}")


def _link(bundle: Path, device_name: str, target: Path) -> None:
    ids = bundle / DISK_IDS
    ids.mkdir(mode=0o755, exist_ok=True)
    link = ids / f"google-{device_name}"
    if link.is_symlink() and link.readlink() == target:
        return
    partial = ids / f".google-{device_name}.partial"
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    partial.symlink_to(target)
    partial.replace(link)
