"""The container driver against the real OCI runtime: systemd boots in the instance,
limits hold, state survives stop and reset, and delete leaves nothing behind.

Needs root, runc and a root filesystem: $NIMBUS_TEST_ROOTFS, or the Debian image that
nimbus.images builds (cached in $NIMBUS_TEST_IMAGE_CACHE when set).
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nimbus.runtime import consolelog, overlay
from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import (
    BuildAborted,
    InstanceNotFound,
    InstanceSpec,
    PowerState,
    ResourcesUnavailable,
)

pytestmark = pytest.mark.integration

BOOTED = {"running", "degraded"}
GUEST_STARTUP = "nimbus-startup-scripts.service"


@pytest.fixture(scope="session")
def image_root(image_cache: Path) -> Path:
    assert shutil.which("runc"), "runc is not installed (scripts/setup installs it)"
    assert os.geteuid() == 0, "the container driver needs root"
    given = os.environ.get("NIMBUS_TEST_ROOTFS")
    if given:
        assert os.path.lexists(Path(given) / "sbin" / "init"), f"{given} has no /sbin/init"
        return Path(given)
    from nimbus.images.debian import ensure_debian_image

    return ensure_debian_image(image_cache)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[ContainerDriver]:
    driver = ContainerDriver(tmp_path / "state")
    yield driver
    for instance_id in driver.instance_ids():
        driver.delete(instance_id)
    assert not _mounts_under(driver.state_dir)


@pytest.fixture
def make_spec(image_root: Path) -> Callable[..., InstanceSpec]:
    def make(instance_id: str, **fields: object) -> InstanceSpec:
        defaults: dict[str, object] = {
            "hostname": f"vm-{instance_id}.europe-west1-b.c.demo.internal",
            "vcpus": 1,
            "memory_mb": 256,
            "image_root": image_root,
        }
        return InstanceSpec(instance_id=instance_id, **{**defaults, **fields})  # type: ignore[arg-type]

    return make


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"nimbus-test-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def run_in(
    driver: ContainerDriver, instance_id: str, *argv: str
) -> subprocess.CompletedProcess[str]:
    command = driver.runtime.argv("exec", driver.container_id(instance_id), *argv)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def output_of(driver: ContainerDriver, instance_id: str, *argv: str) -> str:
    result = run_in(driver, instance_id, *argv)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def wait_booted(driver: ContainerDriver, instance_id: str, timeout: float = 120) -> str:
    """systemd's state once booted: running or degraded, or "starting" while only the
    guest's startup scripts wait (for a metadata server these tests do not run)."""
    deadline = time.monotonic() + timeout
    while True:
        state = run_in(driver, instance_id, "systemctl", "is-system-running").stdout.strip()
        if state in BOOTED or time.monotonic() > deadline:
            return state
        if state == "starting" and _only_guest_waits(driver, instance_id):
            return "running"
        time.sleep(0.2)


def _only_guest_waits(driver: ContainerDriver, instance_id: str) -> bool:
    jobs = run_in(driver, instance_id, "systemctl", "list-jobs", "--no-legend", "--plain")
    rows = [line.split() for line in jobs.stdout.splitlines()]
    running = {row[1] for row in rows if len(row) > 3 and row[3] == "running"}
    return running == {GUEST_STARTUP}


def boot(driver: ContainerDriver, spec: InstanceSpec) -> None:
    driver.create(spec)
    driver.start(spec.instance_id)
    assert wait_booted(driver, spec.instance_id) in BOOTED


def _mounts_under(directory: Path) -> list[str]:
    prefix = str(directory.resolve()) + "/"
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line for line in lines if line.split()[4].startswith(prefix)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def test_boots_systemd_with_its_name_files_and_console(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec(
        "101", hosts={"10.128.0.9": "peer.internal peer"}, environment={"GREETING": "hi there"}
    )
    driver.create(spec)
    assert driver.status("101").power is PowerState.STOPPED
    driver.start("101")
    status = driver.status("101")
    assert status.power is PowerState.RUNNING and status.pid is not None
    assert wait_booted(driver, "101") in BOOTED
    assert driver.runtime_name == "runc"
    assert output_of(driver, "101", "systemctl", "--failed", "--no-legend") == ""

    assert output_of(driver, "101", "hostname") == "vm-101"
    hosts = output_of(driver, "101", "cat", "/etc/hosts")
    assert "10.128.0.9\tpeer.internal peer" in hosts and "vm-101.europe-west1-b" in hosts
    assert output_of(driver, "101", "cat", "/etc/environment") == "GREETING=hi there"
    # Services get it too, not only logins.
    assert output_of(driver, "101", "systemd-run", "--quiet", "--pipe", "--wait", "printenv",
                     "GREETING") == "hi there"  # fmt: skip
    assert len(output_of(driver, "101", "cat", "/etc/machine-id")) == 32
    # Kernel interfaces shared with the host stay out of reach.
    assert run_in(driver, "101", "unshare", "--user", "true").returncode != 0
    limit = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
    assert run_in(driver, "101", "sh", "-c", f"echo -1 > {limit}").returncode != 0

    console = driver.console_output("101")
    assert b"Welcome to" in console.contents and b"Reached target" in console.contents
    assert console.start == 0 and console.next_start == len(console.contents)
    rest = driver.console_output("101", console.next_start)
    assert rest.start == console.next_start
    assert driver.console_output("101", 10**12).start >= rest.start

    stats = driver.stats("101")
    assert stats.cpu_seconds > 0 and stats.memory_bytes > 0


def test_memory_limit_kills_inside_and_the_instance_lives_on(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    boot(driver, make_spec("102", memory_mb=256))
    greedy = run_in(driver, "102", "python3", "-c", "x = b'x' * (600 * 1024 * 1024)")
    assert greedy.returncode != 0
    assert driver.container_cgroups("102").oom_kills() >= 1
    assert driver.status("102").power is PowerState.RUNNING
    assert wait_booted(driver, "102") in BOOTED


def test_nproc_cpu_quota_and_pids_follow_the_machine_type(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    boot(driver, make_spec("103", vcpus=1, cpus=(1,), cpu_share=0.25))
    assert output_of(driver, "103", "nproc") == "1"
    assert output_of(driver, "103", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us") == "100000"
    # A shared core: a quarter of a core's weight under contention, bursting to the quota.
    assert output_of(driver, "103", "cat", "/sys/fs/cgroup/cpu/cpu.shares") == "256"
    assert output_of(driver, "103", "cat", "/sys/fs/cgroup/pids/pids.max") == "1024"


def test_stop_and_start_keep_the_instance_files(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    boot(driver, make_spec("104"))
    output_of(driver, "104", "sh", "-c", "echo kept > /root/marker")
    machine_id = output_of(driver, "104", "cat", "/etc/machine-id")
    pid = driver.status("104").pid
    assert pid is not None

    driver.stop("104", timeout=30)
    assert driver.status("104").power is PowerState.STOPPED and not _alive(pid)
    assert b"Exiting container" in driver.console_output("104").contents  # systemd halted
    assert not overlay.is_mounted(driver.bundle("104") / "rootfs")
    driver.stop("104", timeout=30)  # a no-op

    driver.start("104")
    assert wait_booted(driver, "104") in BOOTED
    assert output_of(driver, "104", "cat", "/root/marker") == "kept"
    assert output_of(driver, "104", "cat", "/etc/machine-id") == machine_id
    boots = driver.console_output("104").contents.count(b"Welcome to")
    assert boots == 2


def test_reset_power_cycles_and_keeps_the_disk(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    boot(driver, make_spec("105"))
    output_of(driver, "105", "sh", "-c", "echo kept > /root/marker")
    before = driver.status("105").pid
    driver.reset("105")
    after = driver.status("105")
    assert after.power is PowerState.RUNNING and after.pid not in (None, before)
    assert wait_booted(driver, "105") in BOOTED
    assert output_of(driver, "105", "cat", "/root/marker") == "kept"


def test_delete_leaves_nothing(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    boot(driver, make_spec("106"))
    pid = driver.status("106").pid
    keeper = int((driver.bundle("106") / "console-keeper.pid").read_text())
    assert pid is not None and _alive(keeper)

    driver.delete("106")
    assert driver.status("106").power is PowerState.MISSING
    assert driver.instance_ids() == []
    assert not driver.bundle("106").exists()
    assert not _mounts_under(driver.state_dir)
    assert driver.runtime.state(driver.container_id("106")) is None
    assert not _alive(pid) and not _alive(keeper)
    assert not driver.container_cgroups("106").exists()
    assert not driver.container_cgroups("106").systemd_dir.exists()
    driver.delete("106")  # a no-op
    with pytest.raises(InstanceNotFound):
        driver.start("106")


def test_refusals_leave_nothing(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec], tmp_path: Path
) -> None:
    with pytest.raises(BuildAborted):
        driver.create(make_spec("113", image_root=tmp_path))  # no /sbin/init
    with pytest.raises(BuildAborted):
        driver.create(make_spec("113", hostname="bad_name"))
    with pytest.raises(ResourcesUnavailable):
        driver.create(make_spec("113", cpus=(4096,)))
    assert driver.status("113").power is PowerState.MISSING and driver.instance_ids() == []

    driver.create(make_spec("114", netns_path=Path("/run/netns/nimbus-test-absent")))
    with pytest.raises(ResourcesUnavailable):
        driver.start("114")
    assert driver.status("114").power is PowerState.STOPPED
    assert not _mounts_under(driver.state_dir)


_CREATOR = """
import sys, time
from pathlib import Path
from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import InstanceSpec
state, instance_id, image = sys.argv[1:]
driver = ContainerDriver(Path(state))
driver.create(InstanceSpec(instance_id=instance_id, hostname="orphan", vcpus=1,
                           memory_mb=256, image_root=Path(image)))
driver.start(instance_id)
print("started", flush=True)
time.sleep(600)
"""


def test_instance_outlives_the_process_that_started_it(
    driver: ContainerDriver, image_root: Path
) -> None:
    creator = subprocess.Popen(
        [sys.executable, "-c", _CREATOR, str(driver.state_dir), "107", str(image_root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert creator.stdout is not None
    ready = select.select([creator.stdout], [], [], 120)[0]
    assert ready and creator.stdout.readline() == b"started\n"
    creator.send_signal(signal.SIGKILL)
    # Returns only if nothing the creator started holds its stdout or stderr.
    creator.communicate(timeout=30)

    assert driver.status("107").power is PowerState.RUNNING
    assert wait_booted(driver, "107") in BOOTED
    keeper = int((driver.bundle("107") / "console-keeper.pid").read_text())
    assert _alive(keeper)
    assert b"Welcome to" in driver.console_output("107").contents


def test_sshd_answers_in_the_instance_network(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec], netns: str
) -> None:
    namespace = Path("/run/netns") / netns
    driver.create(make_spec("108", netns_path=namespace))
    driver.start("108")
    pid = driver.status("108").pid
    assert Path(f"/proc/{pid}/ns/net").stat().st_ino == namespace.stat().st_ino
    probe = (
        "import socket, time\n"
        "deadline = time.monotonic() + 60\n"
        "while True:\n"
        "    try:\n"
        "        with socket.create_connection(('127.0.0.1', 22), timeout=2) as s:\n"
        "            print(s.recv(64).decode(), end=''); break\n"
        "    except OSError:\n"
        "        if time.monotonic() > deadline: raise\n"
        "        time.sleep(0.05)\n"
    )
    banner = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", probe],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert banner.startswith("SSH-2.0-OpenSSH")


def test_repeats_and_recovery_after_a_crash(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec("109")
    driver.create(spec)
    driver.create(spec)
    driver.start("109")
    first = driver.status("109").pid
    driver.start("109")
    assert first is not None and driver.status("109").pid == first

    # A host reboot, as the bundle sees it: init gone, the overlay no longer mounted.
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _alive(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    overlay.unmount(driver.bundle("109") / "rootfs")
    assert driver.status("109").power is PowerState.STOPPED
    driver.start("109")
    assert wait_booted(driver, "109") in BOOTED
    keeper = int((driver.bundle("109") / "console-keeper.pid").read_text())
    driver.stop("109", timeout=0)  # no patience: killed at once
    assert driver.status("109").power is PowerState.STOPPED and not _alive(keeper)

    # What a create killed half-way leaves: listed, MISSING, and cleaned by either call.
    (driver.bundle("110") / "upper").mkdir(parents=True)
    assert "110" in driver.instance_ids()
    assert driver.status("110").power is PowerState.MISSING
    driver.create(make_spec("110"))
    assert driver.status("110").power is PowerState.STOPPED
    (driver.bundle("111") / "work").mkdir(parents=True)
    driver.delete("111")
    assert "111" not in driver.instance_ids()


def test_two_state_directories_never_see_each_other(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec], tmp_path: Path
) -> None:
    other = ContainerDriver(tmp_path / "other")
    try:
        driver.create(make_spec("112"))
        driver.start("112")
        assert other.instance_ids() == [] and other.status("112").power is PowerState.MISSING
        other.create(make_spec("112"))
        other.start("112")
        assert other.status("112").pid != driver.status("112").pid
        other.delete("112")
        assert driver.status("112").power is PowerState.RUNNING
    finally:
        other.delete("112")


def test_console_log_is_bounded_with_absolute_offsets(tmp_path: Path) -> None:
    writer = consolelog.Writer(tmp_path, segment_bytes=100)
    for line in range(100):
        writer.append(f"line {line:04d}\n".encode())  # 10 bytes each
    writer.close()
    kept = consolelog.segments(tmp_path)
    assert len(kept) == consolelog.SEGMENTS_KEPT
    chunk = consolelog.read(tmp_path, 0)
    assert chunk.start == 800 and chunk.next_start == 1000
    assert chunk.contents.startswith(b"line 0080\n") and chunk.contents.endswith(b"line 0099\n")
    assert consolelog.read(tmp_path, 901).contents.startswith(b"ine 0090\n")
    assert consolelog.read(tmp_path, 2000).start == 1000
    again = consolelog.Writer(tmp_path, segment_bytes=100)  # the next boot's keeper
    again.append(b"more\n")
    again.close()
    assert consolelog.read(tmp_path, 1000).contents == b"more\n"


def test_states_read_from_runc_files_agree_with_runc(
    driver: ContainerDriver, make_spec: Callable[..., InstanceSpec]
) -> None:
    from nimbus.runtime import runc_state

    boot(driver, make_spec("st-1"))
    container = driver.container_id("st-1")
    root = driver.runtime.root

    def both() -> tuple[str | None, str | None]:
        quick = runc_state.read(root, container)
        slow = driver.runtime.state(container)
        return (quick.status if quick else None), (slow.status if slow else None)

    assert both() == ("running", "running")
    driver.suspend("st-1")
    assert both() == ("paused", "paused")
    assert driver.status("st-1").power is PowerState.RUNNING
    driver.resume("st-1")
    assert both() == ("running", "running")
    driver.stop("st-1", timeout=30)
    assert driver.status("st-1").power is PowerState.STOPPED
