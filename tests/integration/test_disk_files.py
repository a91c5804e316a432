"""Persistent disk files on the real kernel: sparse ext4 files, mounted through loop
devices, grown while mounted or not, snapshotted while written, and never leaking a
loop device. Needs root (loop devices, mounts).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.runtime import diskmount, ext4, loopdev, mounts
from nimbus.runtime.disks import GB, DiskFiles
from nimbus.runtime.driver import DiskInUse, DiskNotFound

pytestmark = pytest.mark.integration


@pytest.fixture
def files(tmp_path: Path) -> Iterator[DiskFiles]:
    assert os.geteuid() == 0, "disks need root (loop devices, mounts)"
    files = DiskFiles(tmp_path / "disks")
    yield files
    mounts.unmount_below(tmp_path, lazy=True)
    assert not mounts.below(tmp_path)
    for file in sorted(files.root.rglob("*.ext4")):
        assert not losetup_j(file), f"loop device left on {file}"


def losetup_j(file: Path) -> str:
    return subprocess.run(
        ["losetup", "-j", str(file)], capture_output=True, text=True, check=True
    ).stdout.strip()


def df_bytes(mount_point: Path) -> int:
    stat = os.statvfs(mount_point)
    return stat.f_blocks * stat.f_frsize


def test_a_new_disk_is_sparse_ext4_with_its_layout(files: DiskFiles, tmp_path: Path) -> None:
    path = files.create("disk-1", 10)
    assert path == files.path("disk-1") and path.stat().st_size == 10 * GB
    assert files.allocated_bytes("disk-1") < 64 * 1024 * 1024
    inode = path.stat().st_ino
    assert files.create("disk-1", 10) == path and path.stat().st_ino == inode  # idempotent
    assert not files.in_use("disk-1")

    target = tmp_path / "mnt"
    diskmount.mount(path, target, read_only=False)
    assert files.in_use("disk-1") and losetup_j(path)
    assert {p.name for p in target.iterdir()} >= {ext4.UPPER, ext4.WORK}
    (target / "upper" / "hello").write_text("persistent\n")
    diskmount.mount(path, target, read_only=False)  # a no-op: mounted there already
    assert len(loopdev.backing(path)) == 1
    diskmount.unmount(target)
    assert not files.in_use("disk-1") and not losetup_j(path)

    diskmount.mount(path, target, read_only=True)
    assert (target / "upper" / "hello").read_text() == "persistent\n"
    with pytest.raises(OSError):
        (target / "upper" / "other").write_text("refused")
    diskmount.unmount(target)
    assert files.allocated_bytes("disk-1") < 64 * 1024 * 1024


def test_bad_keys_and_sizes_are_refused(files: DiskFiles) -> None:
    for key in ("../escape", "", ".hidden", "a/b"):
        with pytest.raises(ValueError):
            files.create(key, 1)
    with pytest.raises(ValueError):
        files.create("disk-0", 0)
    with pytest.raises(DiskNotFound):
        files.resize("absent", 2)
    with pytest.raises(DiskNotFound):
        files.create("from-nothing", 1, snapshot_key="absent")
    assert not files.path("from-nothing").exists()


def test_resize_grows_offline_and_while_mounted(files: DiskFiles, tmp_path: Path) -> None:
    path = files.create("grow", 1)
    files.resize("grow", 2)
    files.resize("grow", 2)  # idempotent
    assert path.stat().st_size == 2 * GB
    target = tmp_path / "mnt"
    diskmount.mount(path, target, read_only=False)
    assert df_bytes(target) > 1.5 * GB
    (target / "upper" / "kept").write_text("through resizes\n")

    files.resize("grow", 4)  # while mounted: the device now, the filesystem when it can
    assert path.stat().st_size == 4 * GB
    assert (target / "upper" / "kept").read_text() == "through resizes\n"
    with pytest.raises(ValueError):
        files.resize("grow", 3)
    assert path.stat().st_size == 4 * GB
    diskmount.unmount(target)

    diskmount.mount(path, target, read_only=False)
    assert df_bytes(target) > 3.5 * GB
    assert (target / "upper" / "kept").read_text() == "through resizes\n"


@pytest.mark.skipif(
    not ext4.can_grow_online(),
    reason="this host withholds CAP_SYS_RESOURCE, which growing a mounted ext4 needs",
)
def test_resize_grows_a_mounted_filesystem_at_once(files: DiskFiles, tmp_path: Path) -> None:
    path = files.create("online", 1)
    target = tmp_path / "mnt"
    diskmount.mount(path, target, read_only=False)
    files.resize("online", 3)
    assert df_bytes(target) > 2.5 * GB


def test_a_file_grown_under_a_reader_fills_at_the_next_writer(
    files: DiskFiles, tmp_path: Path
) -> None:
    path = files.create("late", 1)
    diskmount.mount(path, tmp_path / "ro", read_only=True)
    files.resize("late", 2)
    assert path.stat().st_size == 2 * GB and not ext4.fills(path)
    diskmount.unmount(tmp_path / "ro")
    diskmount.mount(path, tmp_path / "rw", read_only=False)
    assert df_bytes(tmp_path / "rw") > 1.5 * GB


def test_snapshot_while_written_then_a_disk_from_it(files: DiskFiles, tmp_path: Path) -> None:
    path = files.create("source", 2)
    target = tmp_path / "mnt"
    diskmount.mount(path, target, read_only=False)
    # Written, not synced: the freeze must flush it into the copy.
    (target / "upper" / "data").write_bytes(b"x" * 3_000_000)
    (target / "upper" / "note").write_text("in the snapshot\n")

    stored = files.snapshot("source", "snap-1")
    assert 3_000_000 < stored < 64 * 1024 * 1024
    assert files.snapshot("source", "snap-1") == stored  # idempotent
    assert files.snapshot_path("snap-1").stat().st_size == 2 * GB
    (target / "upper" / "note").write_text("written after the snapshot\n")  # still writable
    diskmount.unmount(target)

    with pytest.raises(ValueError):
        files.create("too-small", 1, snapshot_key="snap-1")
    assert not files.path("too-small").exists()
    restored = files.create("restored", 3, snapshot_key="snap-1")
    assert restored.stat().st_size == 3 * GB
    diskmount.mount(restored, target, read_only=False)
    assert (target / "upper" / "note").read_text() == "in the snapshot\n"
    assert (target / "upper" / "data").stat().st_size == 3_000_000
    assert df_bytes(target) > 2.5 * GB
    diskmount.unmount(target)

    files.delete_snapshot("snap-1")
    files.delete_snapshot("snap-1")
    assert not files.snapshot_path("snap-1").exists()
    assert files.path("restored").exists()


def test_one_writer_or_many_readers_and_no_delete_while_mounted(
    files: DiskFiles, tmp_path: Path
) -> None:
    path = files.create("shared", 1)
    first, second = tmp_path / "first", tmp_path / "second"
    diskmount.mount(path, first, read_only=False)
    with pytest.raises(DiskInUse):
        diskmount.mount(path, second, read_only=False)
    with pytest.raises(DiskInUse):
        diskmount.mount(path, second, read_only=True)
    with pytest.raises(DiskInUse):
        files.delete("shared")
    assert path.exists()
    diskmount.unmount(first)

    diskmount.mount(path, first, read_only=True)
    diskmount.mount(path, second, read_only=True)
    assert len(loopdev.backing(path)) == 1  # one device, one filesystem, two mounts
    with pytest.raises(DiskInUse):
        diskmount.mount(path, tmp_path / "third", read_only=False)
    diskmount.unmount(first)
    assert files.in_use("shared")
    diskmount.unmount(second)
    assert not files.in_use("shared")

    files.delete("shared")
    files.delete("shared")  # a no-op
    assert not path.exists()
    with pytest.raises(DiskNotFound):
        files.allocated_bytes("shared")
