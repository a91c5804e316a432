"""The fake driver keeps the driver contract, and each failing subclass fails one way."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbus.runtime import fake
from nimbus.runtime.driver import (
    BuildAborted,
    DiskAttachment,
    DiskInUse,
    InstanceNotFound,
    InstanceSpec,
    PowerState,
    ResourcesUnavailable,
)


def spec(instance_id: str = "1", *disks: DiskAttachment) -> InstanceSpec:
    return InstanceSpec(
        instance_id=instance_id,
        hostname="vm-1.europe-west1-b.c.demo.internal",
        vcpus=1,
        memory_mb=512,
        image_root=Path("/nonexistent/image"),
        disks=disks,
    )


def disk(name: str, *, read_only: bool = False, boot: bool = False) -> DiskAttachment:
    return DiskAttachment(name, Path(f"/disks/{name}.ext4"), read_only=read_only, boot=boot)


def power(driver: fake.FakeDriver, instance_id: str = "1") -> PowerState:
    return driver.status(instance_id).power


def test_lifecycle_missing_stopped_running_and_back() -> None:
    driver = fake.FakeDriver()
    assert power(driver) is PowerState.MISSING
    driver.create(spec())
    assert power(driver) is PowerState.STOPPED
    assert driver.instance_ids() == ["1"]
    driver.start("1")
    status = driver.status("1")
    assert status.power is PowerState.RUNNING and status.pid is not None
    driver.stop("1", timeout=5)
    assert driver.status("1").pid is None and power(driver) is PowerState.STOPPED
    driver.delete("1")
    assert power(driver) is PowerState.MISSING and driver.instance_ids() == []


def test_every_call_can_be_repeated() -> None:
    driver = fake.FakeDriver()
    driver.create(spec())
    driver.create(spec())
    driver.start("1")
    pid = driver.status("1").pid
    driver.start("1")
    assert driver.status("1").pid == pid
    driver.stop("1", timeout=5)
    driver.stop("1", timeout=5)
    driver.delete("1")
    driver.delete("1")
    assert power(driver) is PowerState.MISSING
    assert [call for call, _ in driver.calls].count("create") == 2


def test_unknown_instances() -> None:
    driver = fake.FakeDriver()
    for call in (
        lambda: driver.start("9"),
        lambda: driver.stop("9", 1),
        lambda: driver.reset("9"),
        lambda: driver.console_output("9"),
        lambda: driver.stats("9"),
    ):
        with pytest.raises(InstanceNotFound):
            call()
    driver.delete("9")  # a no-op


def test_reset_boots_again_with_a_new_init() -> None:
    driver = fake.FakeDriver()
    driver.create(spec())
    driver.start("1")
    first = driver.status("1").pid
    driver.reset("1")
    assert power(driver) is PowerState.RUNNING and driver.status("1").pid != first
    assert driver.instances["1"].boots == 2


def test_console_lines_and_offsets() -> None:
    driver = fake.FakeDriver()
    driver.create(spec())
    driver.start("1")
    chunk = driver.console_output("1")
    assert b"fake: booted\n" in chunk.contents
    assert chunk.start == 0 and chunk.next_start == len(chunk.contents)
    driver.stop("1", timeout=5)
    later = driver.console_output("1", chunk.next_start)
    assert later.contents == b"fake: stopped\n" and later.start == chunk.next_start
    beyond = driver.console_output("1", 10**9)
    assert beyond.contents == b"" and beyond.next_start == later.next_start


def test_console_stays_bounded_and_moves_start_forward() -> None:
    driver = fake.FakeDriver()
    driver.create(spec())
    for _ in range(fake.CONSOLE_LIMIT // 10):
        driver.reset("1")
    chunk = driver.console_output("1", 0)
    assert len(chunk.contents) <= fake.CONSOLE_LIMIT
    assert chunk.start > 0 and chunk.next_start == chunk.start + len(chunk.contents)


def test_stats_while_running() -> None:
    driver = fake.FakeDriver()
    driver.create(spec())
    assert driver.stats("1").memory_bytes == 0
    driver.start("1")
    assert driver.stats("1").memory_bytes > 0


def test_create_refuses_a_machine_without_resources() -> None:
    driver = fake.FakeDriver()
    bad = InstanceSpec(
        instance_id="2", hostname="vm", vcpus=0, memory_mb=0, image_root=Path("/image")
    )
    with pytest.raises(BuildAborted):
        driver.create(bad)
    assert power(driver, "2") is PowerState.MISSING


def test_failing_create_leaves_nothing() -> None:
    driver = fake.FailingCreateDriver()
    with pytest.raises(ResourcesUnavailable):
        driver.create(spec())
    assert power(driver) is PowerState.MISSING and driver.instance_ids() == []


def test_broken_image_aborts_the_build() -> None:
    driver = fake.BrokenImageDriver()
    with pytest.raises(BuildAborted):
        driver.create(spec())
    assert power(driver) is PowerState.MISSING


def test_crashing_instances_stop_on_their_own() -> None:
    driver = fake.CrashingDriver()
    driver.create(spec())
    driver.start("1")
    assert power(driver) is PowerState.STOPPED
    assert b"fake: crashed" in driver.console_output("1").contents


def test_slow_stop_waits_out_the_timeout_then_kills() -> None:
    slept: list[float] = []
    driver = fake.SlowStopDriver(sleep=slept.append)
    driver.create(spec())
    driver.start("1")
    driver.stop("1", timeout=7)
    assert slept == [7] and driver.forced_kills == 1
    assert power(driver) is PowerState.STOPPED
    driver.start("1")
    driver.reset("1")  # a power cycle is a kill: nothing to wait for
    assert slept == [7] and power(driver) is PowerState.RUNNING


def test_disks_are_recorded_attached_and_detached() -> None:
    driver = fake.FakeDriver()
    assert driver.capabilities.disks
    driver.create(spec("1", disk("boot", boot=True)))
    assert list(driver.instances["1"].disks) == ["boot"]
    driver.start("1")
    driver.attach_disk("1", disk("data"))  # hot plug
    driver.attach_disk("1", disk("data"))  # a no-op
    assert driver.instances["1"].disks["data"] == disk("data")
    driver.detach_disk("1", "data")
    driver.detach_disk("1", "data")  # a no-op
    assert list(driver.instances["1"].disks) == ["boot"]
    assert [call for call, _ in driver.calls].count("attach_disk") == 2
    assert ("detach_disk", "1") in driver.calls

    driver.stop("1", timeout=5)
    driver.attach_disk("1", disk("later"))  # kept for the next boot
    driver.start("1")
    assert list(driver.instances["1"].disks) == ["boot", "later"]


def test_disk_attachments_refused() -> None:
    driver = fake.FakeDriver()
    driver.create(spec("1", disk("boot", boot=True)))
    driver.start("1")
    with pytest.raises(BuildAborted):
        driver.detach_disk("1", "boot")  # while it runs
    with pytest.raises(BuildAborted):
        driver.attach_disk("1", disk("another", boot=True))
    with pytest.raises(BuildAborted):
        driver.attach_disk("1", DiskAttachment("boot", Path("/disks/other.ext4")))
    with pytest.raises(BuildAborted):
        driver.attach_disk("1", disk("Bad_Name"))
    with pytest.raises(InstanceNotFound):
        driver.attach_disk("9", disk("data"))
    with pytest.raises(BuildAborted):
        driver.create(spec("2", disk("a", boot=True), disk("b", boot=True)))


def test_a_disk_has_one_writer_or_readers_only() -> None:
    driver = fake.FakeDriver()
    for instance_id in ("1", "2", "3"):
        driver.create(spec(instance_id))
        driver.start(instance_id)
    driver.attach_disk("1", disk("shared", read_only=True))
    driver.attach_disk("2", disk("shared", read_only=True))
    with pytest.raises(DiskInUse):
        driver.attach_disk("3", disk("shared"))
    driver.detach_disk("1", "shared")
    driver.detach_disk("2", "shared")
    driver.attach_disk("3", disk("shared"))
    with pytest.raises(DiskInUse):
        driver.attach_disk("1", disk("shared", read_only=True))

    # Attached to a stopped instance, it is refused at boot while another writes it.
    driver.stop("2", timeout=5)
    driver.stop("3", timeout=5)
    driver.attach_disk("2", disk("shared"))
    driver.start("3")
    with pytest.raises(DiskInUse):
        driver.start("2")
    assert power(driver, "2") is PowerState.STOPPED
