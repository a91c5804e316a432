"""Density benchmark: how many idle e2-micro instances one host holds, what each costs
in memory, and how the API answers with all of them running; side by side in the same
run with the same image started by the bare OCI runtime (the floor, no control plane).

    .venv/bin/python -m bench.density [--count 200]

Nimbus runs with ``--ram-allocation-ratio 10 --cpu-allocation-ratio 32`` (an e2-micro
asks 1 GiB and a quarter of a core; idle, it uses a few tens of MiB and no CPU), each
instance with its own boot disk (a sparse ext4 file) and network namespace, no external
address. Memory per instance is the host's
``MemAvailable`` drop divided by the count, after the instances settle for 10 s (page
cache included: what the host really gives up). API latency is ``instances.get`` and
``instances.list`` (all of them), 50 calls each, with everything running.
Needs root. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import google.auth.transport.requests
from google.oauth2 import service_account

from bench.instances import IMAGE_CACHE, new_namespace, nimbus_server
from bench.quotas import raise_region_quotas
from nimbus.images.debian import ensure_debian_image
from nimbus.net import namespaces
from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import InstanceSpec

ZONE = "europe-west1-b"
SETTLE_SECONDS = 10


def available_bytes() -> int:
    with Path("/proc/meminfo").open() as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def bench_nimbus(count: int, work: Path) -> dict[str, str]:
    data = work / "nimbus"
    extra = ["--ram-allocation-ratio", "10", "--cpu-allocation-ratio", "32"]
    with nimbus_server(data, extra) as url:
        credentials = service_account.Credentials.from_service_account_file(
            str(data / "owner-key.json"), scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        with google.auth.transport.requests.AuthorizedSession(credentials) as api:
            project = f"dense-{secrets.token_hex(4)}"
            api.post(f"{url}/v1/projects", json={"projectId": project}).raise_for_status()
            raise_region_quotas(api, url, project, ZONE, count + 1)
            base = f"{url}/compute/v1/projects/{project}/zones/{ZONE}/instances"
            operations = f"{url}/compute/v1/projects/{project}/zones/{ZONE}/operations"
            _wait(api, operations, _insert(api, base, "warm-up"))
            before = available_bytes()
            started = time.monotonic()
            pending = [_insert(api, base, f"vm-{index}") for index in range(count)]
            for operation in pending:
                _wait(api, operations, operation)
            booted = time.monotonic() - started
            listed = api.get(base, params={"maxResults": 500}).json().get("items", [])
            running = sum(
                1 for item in listed if item["name"] != "warm-up" and item["status"] == "RUNNING"
            )
            time.sleep(SETTLE_SECONDS)
            used = before - available_bytes()
            get_ms = _timed(lambda: api.get(f"{base}/vm-{count // 2}").raise_for_status())
            list_ms = _timed(lambda: api.get(base, params={"maxResults": 500}).raise_for_status())
            for index in range(count):
                api.delete(f"{base}/vm-{index}")
            api.delete(f"{base}/warm-up")
    return {
        "target": "Nimbus API (e2-micro, boot disk, own network)",
        "running": f"{running} / {count}",
        "memory / instance": f"{used / count / 2**20:.0f} MiB",
        "boot all": f"{booted:.0f} s",
        "get p50 / p99": f"{percentile(get_ms, 50):.0f} / {percentile(get_ms, 99):.0f} ms",
        "list p50 / p99": f"{percentile(list_ms, 50):.0f} / {percentile(list_ms, 99):.0f} ms",
    }


def bench_runc(count: int, work: Path, image: Path) -> dict[str, str]:
    driver = ContainerDriver(work / "runc")
    ids = [f"dense-{index}" for index in range(count)]
    nets = [new_namespace() for _ in ids]
    before = available_bytes()
    started = time.monotonic()
    try:

        def boot(pair: tuple[str, str]) -> None:
            instance_id, netns = pair
            spec = InstanceSpec(
                instance_id=instance_id,
                hostname=instance_id,
                vcpus=2,
                cpu_share=0.25,
                memory_mb=1024,
                image_root=image,
                netns_path=namespaces.path_of(netns),
            )
            driver.create(spec)
            driver.start(instance_id)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(boot, zip(ids, nets, strict=True)))
        booted = time.monotonic() - started
        time.sleep(SETTLE_SECONDS)
        used = before - available_bytes()
    finally:
        for instance_id in ids:
            driver.delete(instance_id)
        for netns in nets:
            namespaces.remove(netns)
    return {
        "target": "runc alone (same image and limits, no disk, no API)",
        "running": f"{count} / {count}",
        "memory / instance": f"{used / count / 2**20:.0f} MiB",
        "boot all": f"{booted:.0f} s",
        "get p50 / p99": "-",
        "list p50 / p99": "-",
    }


def _insert(api: Any, base: str, name: str) -> dict[str, Any]:
    body = {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/e2-micro",
        "disks": [
            {
                "boot": True,
                "initializeParams": {
                    "sourceImage": "projects/debian-cloud/global/images/family/debian-12"
                },
            }
        ],
        "networkInterfaces": [{"network": "global/networks/default"}],
    }
    answer = api.post(base, json=body)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def _wait(api: Any, operations: str, operation: dict[str, Any]) -> None:
    while operation["status"] != "DONE":
        operation = api.post(f"{operations}/{operation['name']}/wait").json()
    if "error" in operation:
        raise RuntimeError(operation["error"])


def _timed(call: Any, times: int = 50) -> list[float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    image = ensure_debian_image(IMAGE_CACHE)
    namespaces.names("nbench")  # fail early without root
    with tempfile.TemporaryDirectory(dir="/var/tmp") as work:
        rows = [bench_nimbus(args.count, Path(work)), bench_runc(args.count, Path(work), image)]
    headers = list(rows[0])
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(row[h] for h in headers) + " |")


if __name__ == "__main__":
    main()
