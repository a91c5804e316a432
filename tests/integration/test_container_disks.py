"""Persistent disks in container instances on the real runtime: booting from a disk made
from the image, hot attach and detach, read-only sharing, the one-writer rule, and data
that outlives its instance.

Needs root, runc and the built image (see test_container_driver.py).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nimbus.runtime import bundlespec, diskmount, instancedisks, loopdev, mounts
from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.disks import DiskFiles
from nimbus.runtime.driver import (
    BuildAborted,
    DiskAttachment,
    DiskInUse,
    InstanceSpec,
    PowerState,
)
from tests.integration import test_container_driver as instances
from tests.integration.test_container_driver import (
    BOOTED,
    _mounts_under,
    boot,
    output_of,
    run_in,
    wait_booted,
)

pytestmark = pytest.mark.integration

# The instance tests' fixtures, shared.
image_root = instances.image_root
driver = instances.driver
make_spec = instances.make_spec


@pytest.fixture
def files(tmp_path: Path, driver: ContainerDriver) -> Iterator[DiskFiles]:
    files = DiskFiles(tmp_path / "disk-files")
    yield files
    # Instances let go of their disks first (the driver's own teardown comes later).
    for instance_id in driver.instance_ids():
        driver.delete(instance_id)
    mounts.unmount_below(tmp_path, lazy=True)
    for file in files.root.rglob("*.ext4"):
        assert not loopdev.backing(file), f"loop device left on {file}"
        assert not losetup_j(file)


def losetup_j(file: Path) -> str:
    return subprocess.run(
        ["losetup", "-j", str(file)], capture_output=True, text=True, check=True
    ).stdout.strip()


def boot_disk(files: DiskFiles, image_root: Path, key: str) -> DiskAttachment:
    path = files.create(key, 10)
    return DiskAttachment("persistent-disk-0", path, boot=True, image_root=image_root)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def read_on_host(path: Path, relative: str, where: Path) -> str:
    """A file of the disk's /upper, read with the disk mounted read-only on the host."""
    diskmount.mount(path, where, read_only=True)
    try:
        return (where / "upper" / relative).read_text()
    finally:
        diskmount.unmount(where)


def test_boots_from_a_disk_made_from_the_image_and_keeps_it(
    driver: ContainerDriver,
    make_spec: Callable[..., InstanceSpec],
    files: DiskFiles,
    image_root: Path,
    tmp_path: Path,
) -> None:
    disk = boot_disk(files, image_root, "boot-201")
    boot(driver, make_spec("201", disks=(disk,)))
    assert not (driver.bundle("201") / "upper").exists()  # the disk is the root filesystem
    assert output_of(driver, "201", "hostname") == "vm-201"
    assert output_of(driver, "201", "readlink", "/dev/disk/by-id/google-persistent-disk-0") == "/"
    output_of(driver, "201", "sh", "-c", "echo kept > /root/marker")
    assert files.in_use("boot-201")

    driver.stop("201", timeout=30)
    assert not files.in_use("boot-201") and not losetup_j(disk.path)
    assert not _mounts_under(driver.state_dir)
    # The guest's files went into the disk, over the image.
    assert read_on_host(disk.path, "root/marker", tmp_path / "look") == "kept\n"
    assert read_on_host(disk.path, "etc/hostname", tmp_path / "look") == "vm-201\n"

    driver.start("201")
    assert wait_booted(driver, "201") in BOOTED
    assert output_of(driver, "201", "cat", "/root/marker") == "kept"
    # The disk, not the instance, holds the data: delete lets go of it and keeps it.
    driver.delete("201")
    assert disk.path.is_file() and not files.in_use("boot-201")
    assert read_on_host(disk.path, "root/marker", tmp_path / "look") == "kept\n"


def test_hot_attach_and_detach_a_blank_disk(
    driver: ContainerDriver,
    make_spec: Callable[..., InstanceSpec],
    files: DiskFiles,
    tmp_path: Path,
) -> None:
    boot(driver, make_spec("202"))
    data = DiskAttachment("data-1", files.create("data-202", 2))
    driver.attach_disk("202", data)
    driver.attach_disk("202", data)  # a no-op
    assert output_of(driver, "202", "findmnt", "-n", "-o", "OPTIONS", "/mnt/disks/data-1")
    output_of(driver, "202", "sh", "-c", "echo hot > /mnt/disks/data-1/file")
    assert output_of(driver, "202", "cat", "/mnt/disks/data-1/file") == "hot"
    link = output_of(driver, "202", "readlink", "/dev/disk/by-id/google-data-1")
    assert link == "/mnt/disks/data-1"
    size = output_of(driver, "202", "df", "--output=size", "-B1G", "/mnt/disks/data-1")
    assert size.split()[-1] == "2"
    # The guest cannot tamper with the host's directories.
    assert run_in(driver, "202", "touch", "/mnt/disks/planted").returncode != 0
    assert run_in(driver, "202", "touch", "/dev/disk/by-id/planted").returncode != 0

    # Detached while a guest process works in it: gone from sight at once, in use until
    # that process lets go.
    busy = "cd /mnt/disks/data-1 && exec sleep 600"
    subprocess.run(
        driver.runtime.argv("exec", "--detach", driver.container_id("202"), "sh", "-c", busy),
        check=True,
    )
    wait_for(lambda: run_in(driver, "202", "pgrep", "-x", "sleep").returncode == 0)
    driver.detach_disk("202", "data-1")
    driver.detach_disk("202", "data-1")  # a no-op
    assert run_in(driver, "202", "test", "-e", "/mnt/disks/data-1").returncode != 0
    assert run_in(driver, "202", "test", "-e", "/dev/disk/by-id/google-data-1").returncode != 0
    assert files.in_use("data-202")
    output_of(driver, "202", "pkill", "-x", "sleep")
    wait_for(lambda: not files.in_use("data-202"))
    assert read_on_host(data.path, "file", tmp_path / "look") == "hot\n"

    # Attached while stopped: there from the next boot on.
    driver.stop("202", timeout=30)
    driver.attach_disk("202", data)
    assert not files.in_use("data-202")
    driver.start("202")
    assert output_of(driver, "202", "cat", "/mnt/disks/data-1/file") == "hot"


def test_read_only_on_two_instances_and_one_writer(
    driver: ContainerDriver,
    make_spec: Callable[..., InstanceSpec],
    files: DiskFiles,
    tmp_path: Path,
) -> None:
    path = files.create("shared-203", 1)
    diskmount.mount(path, tmp_path / "seed", read_only=False)
    (tmp_path / "seed" / "upper" / "readme").write_text("shared\n")
    diskmount.unmount(tmp_path / "seed")

    boot(driver, make_spec("203"))
    boot(driver, make_spec("204"))
    reader = DiskAttachment("shared", path, read_only=True)
    driver.attach_disk("203", reader)
    driver.attach_disk("204", reader)
    assert len(loopdev.backing(path)) == 1  # one read-only mount, shared
    for instance_id in ("203", "204"):
        assert output_of(driver, instance_id, "cat", "/mnt/disks/shared/readme") == "shared"
        write = run_in(driver, instance_id, "touch", "/mnt/disks/shared/new")
        assert write.returncode != 0 and "Read-only" in write.stderr

    writer = DiskAttachment("shared", path)
    with pytest.raises(DiskInUse):
        driver.attach_disk("204", DiskAttachment("other-name", path))
    driver.detach_disk("203", "shared")
    driver.detach_disk("204", "shared")
    driver.attach_disk("203", writer)
    with pytest.raises(DiskInUse):
        driver.attach_disk("204", writer)  # a second writer
    with pytest.raises(DiskInUse):
        driver.attach_disk("204", reader)  # a reader beside a writer
    assert run_in(driver, "204", "test", "-e", "/mnt/disks/shared").returncode != 0
    assert not mounts.below(driver.bundle("204") / "disks")
    with pytest.raises(BuildAborted):
        driver.attach_disk("203", DiskAttachment("shared", files.create("else-203", 1)))
    with pytest.raises(DiskInUse):
        files.delete("shared-203")

    # A stopped instance may hold it, but cannot boot with it while another writes.
    driver.stop("204", timeout=30)
    driver.detach_disk("203", "shared")
    driver.attach_disk("204", writer)
    driver.attach_disk("203", writer)
    with pytest.raises(DiskInUse):
        driver.start("204")
    assert driver.status("204").power is PowerState.STOPPED
    assert not mounts.below(driver.bundle("204"))


def test_a_disk_outlives_its_instance_and_moves_to_another(
    driver: ContainerDriver,
    make_spec: Callable[..., InstanceSpec],
    files: DiskFiles,
    image_root: Path,
) -> None:
    data = DiskAttachment("data", files.create("data-205", 1))
    boot(driver, make_spec("205", disks=(boot_disk(files, image_root, "boot-205"), data)))
    output_of(driver, "205", "sh", "-c", "echo moved > /mnt/disks/data/note")
    driver.delete("205")
    assert files.path("data-205").is_file() and files.path("boot-205").is_file()

    boot(driver, make_spec("206"))
    driver.attach_disk("206", data)
    assert output_of(driver, "206", "cat", "/mnt/disks/data/note") == "moved"
    # The old boot disk, as a data disk made from the image: the image and its changes.
    old_root = DiskAttachment("old-root", files.path("boot-205"), image_root=image_root)
    driver.attach_disk("206", old_root)
    assert output_of(driver, "206", "cat", "/mnt/disks/old-root/etc/hostname") == "vm-205"
    assert "Debian" in output_of(driver, "206", "cat", "/mnt/disks/old-root/etc/os-release")
    output_of(driver, "206", "sh", "-c", "echo more > /mnt/disks/old-root/root/added")
    driver.detach_disk("206", "old-root")
    read_only = dataclasses.replace(old_root, read_only=True)
    driver.attach_disk("206", read_only)
    assert output_of(driver, "206", "cat", "/mnt/disks/old-root/root/added") == "more"
    assert run_in(driver, "206", "touch", "/mnt/disks/old-root/etc/new").returncode != 0
    driver.detach_disk("206", "old-root")

    # Reused as a boot disk: the new instance's own name, the old changes kept.
    reused = boot_disk(files, image_root, "boot-205")
    boot(driver, make_spec("207", disks=(reused,)))
    assert output_of(driver, "207", "hostname") == "vm-207"
    assert output_of(driver, "207", "cat", "/root/added") == "more"


def test_calls_repeated_after_a_crash_half_way(
    driver: ContainerDriver,
    make_spec: Callable[..., InstanceSpec],
    files: DiskFiles,
) -> None:
    boot(driver, make_spec("208"))
    bundle = driver.bundle("208")
    data = DiskAttachment("data", files.create("data-208", 1))
    # An attach that died once the disk was mounted on the host, before the guest saw it.
    instancedisks.mount_raw(bundle, data)
    driver.attach_disk("208", data)
    output_of(driver, "208", "sh", "-c", "echo recovered > /mnt/disks/data/file")
    assert len(loopdev.backing(data.path)) == 1

    # A detach that died once the guest lost the disk, before the spec forgot it.
    instancedisks.detach(bundle, "data")
    driver.detach_disk("208", "data")
    assert bundlespec.load(bundle / "spec.json").disks == ()

    # A host reboot: init gone, nothing mounted any more.
    driver.attach_disk("208", data)
    pid = driver.status("208").pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while driver.status("208").power is PowerState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    instancedisks.unmount_all(bundle)
    wait_for(lambda: not files.in_use("data-208"))
    driver.start("208")
    assert wait_booted(driver, "208") in BOOTED
    assert output_of(driver, "208", "cat", "/mnt/disks/data/file") == "recovered"
