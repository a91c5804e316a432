"""Instance start-up benchmark: Nimbus through its API, side by side in the same run with
the same image started by the bare OCI runtime (the floor) and by podman.

    .venv/bin/python -m bench.instances [--count 20]

For each target, ``count`` instances are started one after another and timed:
  - to RUNNING: insert call → its zone operation is DONE through ``zoneOperations.wait``
    with the instance RUNNING (Nimbus), or the runtime's start returns with init running
    (runc through the driver, podman run -d);
  - to SSH-ready: the same start → sshd's banner read over TCP (Nimbus: at the
    instance's external IP from the host; the others: inside their network namespace).
Then idle memory per instance (cgroup usage, all ``count`` running, after 5 s).
Needs root. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google.auth.transport.requests
from google.oauth2 import service_account

from bench.peers import free_port, wait_http
from bench.quotas import raise_region_quotas
from nimbus.images.debian import ensure_debian_image
from nimbus.net import namespaces, sockets
from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import InstanceSpec

IMAGE_CACHE = Path("/var/tmp/nimbus-test-images")
ZONE = "europe-west1-b"
Row = dict[str, str]


def banner(connect: Callable[[], socket.socket], deadline: float) -> None:
    """Until sshd answers with its banner."""
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), connect() as sock:
            sock.settimeout(2)
            if sock.recv(64).startswith(b"SSH-"):
                return
        time.sleep(0.005)
    raise TimeoutError("sshd never answered")


def summary(name: str, running: list[float], ssh: list[float], memory: float) -> Row:
    def pct(values: list[float], q: int) -> str:
        cut = statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        return f"{cut * 1000:.0f} ms"

    return {
        "target": name,
        "RUNNING p50": pct(running, 50),
        "RUNNING p95": pct(running, 95),
        "SSH-ready p50": pct(ssh, 50),
        "SSH-ready p95": pct(ssh, 95),
        "idle memory / instance": f"{memory / 2**20:.0f} MiB",
    }


@contextlib.contextmanager
def nimbus_server(data_dir: Path, extra: list[str] | None = None) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "nimbus", "up", "--port", str(port), "--data-dir", str(data_dir),
        "--runtime", "container", "--image-cache", str(IMAGE_CACHE), *(extra or []),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
        from tests.real_compute import remove_leftovers

        remove_leftovers(data_dir)


def bench_nimbus(count: int, work: Path) -> Row:
    data = work / "nimbus"
    # Twenty e2-small ask 40 GiB: more than 1.5 times this host's memory (idle, they use
    # a few hundred MiB in all).
    with nimbus_server(data, ["--ram-allocation-ratio", "4"]) as url:
        credentials = service_account.Credentials.from_service_account_file(
            str(data / "owner-key.json"), scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        with google.auth.transport.requests.AuthorizedSession(credentials) as api:
            project = f"bench-{secrets.token_hex(4)}"
            api.post(f"{url}/v1/projects", json={"projectId": project}).raise_for_status()
            raise_region_quotas(api, url, project, ZONE, count + 1)
            base = f"{url}/compute/v1/projects/{project}/zones/{ZONE}/instances"
            _insert(api, base, "warm-up")
            _wait_running(api, f"{base}/warm-up")
            api.delete(f"{base}/warm-up")
            running, ssh = [], []
            operations = f"{url}/compute/v1/projects/{project}/zones/{ZONE}/operations"
            for index in range(count):
                name = f"vm-{index}"
                started = time.monotonic()
                operation = _insert(api, base, name)
                # As a client does: zoneOperations.wait until DONE, then the instance.
                while operation["status"] != "DONE":
                    operation = api.post(f"{operations}/{operation['name']}/wait").json()
                running.append(time.monotonic() - started)
                assert "error" not in operation, operation
                found = api.get(f"{base}/{name}").json()
                assert found["status"] == "RUNNING", found
                address = found["networkInterfaces"][0]["accessConfigs"][0]["natIP"]
                banner(lambda a=address: socket.create_connection((a, 22), timeout=1),
                       time.monotonic() + 60)  # fmt: skip
                ssh.append(time.monotonic() - started)
            time.sleep(5)
            driver = ContainerDriver(data / "runtime" / "container")
            ids = driver.instance_ids()
            memory = statistics.mean(driver.stats(i).memory_bytes for i in ids)
            for index in range(count):
                api.delete(f"{base}/vm-{index}")
    return summary("Nimbus API (runc, systemd, sshd, agent)", running, ssh, memory)


def _insert(
    api: google.auth.transport.requests.AuthorizedSession, base: str, name: str
) -> dict[str, Any]:
    body = {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/e2-small",
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
        "networkInterfaces": [{"accessConfigs": [{"type": "ONE_TO_ONE_NAT"}]}],
    }  # fmt: skip
    answer = api.post(base, json=body)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def _wait_running(
    api: google.auth.transport.requests.AuthorizedSession, path: str
) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found: dict[str, object] = api.get(path).json()
        if found.get("status") == "RUNNING":
            return found
        time.sleep(0.005)
    raise TimeoutError(path)


def new_namespace() -> str:
    """A network namespace with only loopback (deleted by the caller)."""
    name = f"nbench-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    return name


def bench_runc(count: int, work: Path, image: Path) -> Row:
    driver = ContainerDriver(work / "runc")
    running, ssh, names = [], [], []
    try:
        for index in range(count):
            netns = new_namespace()
            names.append(netns)
            spec = InstanceSpec(instance_id=str(index + 1), hostname=f"floor-{index}",
                                vcpus=2, memory_mb=2048, image_root=image,
                                netns_path=Path("/run/netns") / netns)  # fmt: skip
            started = time.monotonic()
            driver.create(spec)
            driver.start(spec.instance_id)
            running.append(time.monotonic() - started)
            banner(lambda n=netns: sockets.connect(n, "127.0.0.1", 22, 1), time.monotonic() + 60)
            ssh.append(time.monotonic() - started)
        time.sleep(5)
        memory = statistics.mean(driver.stats(i).memory_bytes for i in driver.instance_ids())
    finally:
        for instance_id in driver.instance_ids():
            driver.delete(instance_id)
        for netns in names:
            subprocess.run(["ip", "netns", "delete", netns], check=False)
    return summary("runc through the driver alone (floor)", running, ssh, memory)


def bench_podman(count: int, image: Path) -> Row | None:
    if shutil.which("podman") is None:
        return None
    podman = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
    running, ssh, names, spaces = [], [], [], []
    try:
        for index in range(count):
            netns = new_namespace()
            spaces.append(netns)
            name = f"nimbus-bench-{index}"
            names.append(name)
            started = time.monotonic()
            subprocess.run(
                [*podman, "run", "-d", "--name", name, "--network", f"ns:/run/netns/{netns}",
                 "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
                 "--systemd=always", "--memory", "2g", "--rootfs", f"{image}:O", "/sbin/init"],
                check=True, capture_output=True,
            )  # fmt: skip
            running.append(time.monotonic() - started)
            banner(lambda n=netns: sockets.connect(n, "127.0.0.1", 22, 1), time.monotonic() + 60)
            ssh.append(time.monotonic() - started)
        time.sleep(5)
        usages = []
        for name in names:
            stats = subprocess.run([*podman, "stats", "--no-stream", "--format", "{{.MemUsage}}",
                                    name], capture_output=True, text=True)  # fmt: skip
            usages.append(_bytes(stats.stdout.split("/")[0].strip()))
        memory = statistics.mean(usages)
    finally:
        for name in names:
            subprocess.run([*podman, "rm", "-f", name], capture_output=True)
        for netns in spaces:
            subprocess.run(["ip", "netns", "delete", netns], check=False)
    return summary("podman run --rootfs (same image, systemd)", running, ssh, memory)


def _bytes(text: str) -> float:
    units = {"kB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "B": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    image = ensure_debian_image(IMAGE_CACHE)
    namespaces.names("nbench")  # fail early without root
    with tempfile.TemporaryDirectory() as work:
        rows = [bench_nimbus(args.count, Path(work)), bench_runc(args.count, Path(work), image)]
        podman_row = bench_podman(args.count, image)
        rows += [podman_row] if podman_row else []
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row[h] for h in headers) + " |")


if __name__ == "__main__":
    main()
