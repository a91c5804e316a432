"""How long a bill takes: a class of projects, each with instances, a disk-heavy month
and a bucket, metered over 30 days of world time.

Measured: ``costLines`` for one project over the month (hourly lines, as the export
and ``nimbus billing report`` read them), and one pass of the budget watcher over a
budget per project (what runs every 5 s in the lead process). No local peer computes a
bill, so the yardstick is the watcher's own period: a pass must stay well inside it.

    .venv/bin/python -m bench.billing [--projects 30] [--instances 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.auth.transport.requests
from google.oauth2 import service_account

from bench.peers import nimbus_process

ZONE = "us-central1-a"
DAY = 86400


def _session(data_dir: Path) -> Any:
    credentials = service_account.Credentials.from_service_account_file(
        str(data_dir / "owner-key.json"),
        scopes=["https://www.googleapis.com/auth/cloud-platform"],
    )
    return google.auth.transport.requests.AuthorizedSession(credentials)


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _populate(session: Any, url: str, projects: int, instances: int) -> list[str]:
    names = []
    for index in range(projects):
        project = f"bench-class-{index:03d}"
        _ok(session.post(f"{url}/v1/projects", json={"projectId": project}))
        base = f"{url}/compute/v1/projects/{project}/zones/{ZONE}"
        for number in range(instances):
            body = {
                "name": f"vm-{number}",
                "machineType": f"zones/{ZONE}/machineTypes/e2-standard-2",
                "disks": [{"boot": True, "initializeParams": {
                    "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
            }  # fmt: skip
            _ok(session.post(f"{base}/instances", json=body))
        _ok(session.post(f"{base}/disks", json={"name": "data", "sizeGb": "200"}))
        bucket = f"{project}-data"
        _ok(session.post(f"{url}/storage/v1/b", params={"project": project}, json={"name": bucket}))
        for number in range(20):
            _ok(
                session.post(
                    f"{url}/upload/storage/v1/b/{bucket}/o",
                    params={"uploadType": "media", "name": f"part-{number}"},
                    data=b"x" * 4096,
                )
            )
        names.append(project)
    return names


def _wait_running(session: Any, url: str, project: str, count: int) -> None:
    base = f"{url}/compute/v1/projects/{project}/zones/{ZONE}/instances"
    while True:
        items = session.get(base).json().get("items", [])
        if sum(item["status"] == "RUNNING" for item in items) == count:
            return
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nimbus-bench-billing-") as scratch:
        data = Path(scratch) / "data"
        extra = ("--enable-test-controls", "--cpu-allocation-ratio", "1000",
                 "--ram-allocation-ratio", "1000")  # fmt: skip
        with nimbus_process(data, extra_args=extra) as (url, _):
            session = _session(data)
            projects = _populate(session, url, args.projects, args.instances)
            for project in projects:
                _wait_running(session, url, project, args.instances)
            account = _ok(session.get(f"{url}/v1/billingAccounts"))["billingAccounts"][0]
            for project in projects:
                number = _ok(session.get(f"{url}/v1/projects/{project}"))["projectNumber"]
                budget = {
                    "displayName": project,
                    "budgetFilter": {"projects": [f"projects/{number}"]},
                    "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "500"}},
                }
                _ok(session.post(f"{url}/v1/{account['name']}/budgets", json=budget))
            # A month of world time, one day at a time (each day a few objects more).
            for _ in range(30):
                _ok(session.post(f"{url}/_nimbus/test/v1/clock:advance", json={"seconds": DAY}))
            lines_url = f"{url}/nimbus/billing/v1/projects/{projects[0]}/costLines"
            count = len(_ok(session.get(lines_url))["costLines"])
            bill = _timed(lambda: _ok(session.get(lines_url)), args.rounds)
            evaluate = f"{url}/_nimbus/test/v1/budgets:evaluate"
            watcher = _timed(lambda: _ok(session.post(evaluate)), max(3, args.rounds // 4))
    resources = args.instances + 1
    print(f"{args.projects} projects x ({args.instances} e2-standard-2 + boot disks, a 200 GB "
          f"disk, a bucket of 20 objects), 30 days of world time")  # fmt: skip
    print(f"  costLines, one project, month, {count} hourly lines: "
          f"p50 {bill[0]:.0f} ms, p95 {bill[1]:.0f} ms")  # fmt: skip
    print(f"  budget watcher pass, {args.projects} budgets x ~{resources * 2} resources: "
          f"p50 {watcher[0]:.0f} ms, p95 {watcher[1]:.0f} ms (period 5000 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
