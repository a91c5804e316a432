"""Cloud Storage benchmark, Nimbus side by side with its peers in the same run.

    .venv/bin/python -m bench.storage [--ops 300] [--seconds 5]

Phases (each where it applies to the target):
  1. 4 KiB objects through the official client: upload, download, list, delete (ops/s)
  2. the same through raw HTTP (httpx, one keep-alive connection)
  3. a 64 MiB resumable upload and download through the client (MiB/s)
  4. 16 concurrent GETs of one 4 KiB object with wrk (req/s, p50, p99)
Targets: Nimbus (durable: every acknowledged write fsynced), gcp-storage-emulator
(PyPI, in memory), nginx serving the same bytes from disk (GETs only: the official
client's downloads from it are the client's own ceiling), and plain file I/O (64 MiB
written with fsync, read back). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import google.auth.transport.requests
import httpx
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.oauth2 import service_account

from bench.peers import nginx, nimbus, storage_emulator
from bench.wrk import run_wrk

KiB, MiB = 1024, 1024 * 1024
SMALL = os.urandom(4 * KiB)
Row = dict[str, str]


def rate(count: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for index in range(count):
        work(index)
    return count / (time.perf_counter() - start)


def client_phase(client: storage.Client, bucket_name: str, ops: int) -> dict[str, float]:
    bucket = client.bucket(bucket_name)
    return {
        "client upload/s": rate(ops, lambda i: bucket.blob(f"c{i}").upload_from_string(SMALL)),
        "client download/s": rate(ops, lambda i: bucket.blob(f"c{i}").download_as_bytes()),
        "client list/s": rate(ops // 3, lambda i: list(client.list_blobs(bucket, prefix=f"c{i}"))),
        "client delete/s": rate(ops, lambda i: bucket.blob(f"c{i}").delete()),
    }


def raw_phase(base: str, headers: dict[str, str], bucket: str, ops: int) -> dict[str, float]:
    with httpx.Client(base_url=base, headers=headers) as http:

        def put(i: int) -> None:
            http.post(f"/upload/storage/v1/b/{bucket}/o",
                      params={"uploadType": "media", "name": f"r{i}"},
                      content=SMALL).raise_for_status()  # fmt: skip

        def get(i: int) -> None:
            http.get(f"/storage/v1/b/{bucket}/o/r{i}", params={"alt": "media"}).raise_for_status()

        def ls(i: int) -> None:
            http.get(f"/storage/v1/b/{bucket}/o", params={"prefix": f"r{i}"}).raise_for_status()

        def delete(i: int) -> None:
            http.delete(f"/storage/v1/b/{bucket}/o/r{i}").raise_for_status()

        return {
            "raw upload/s": rate(ops, put),
            "raw download/s": rate(ops, get),
            "raw list/s": rate(ops // 3, ls),
            "raw delete/s": rate(ops, delete),
        }


def large_phase(client: storage.Client, bucket_name: str) -> dict[str, float]:
    payload = os.urandom(64 * MiB)
    blob = client.bucket(bucket_name).blob("large.bin", chunk_size=8 * MiB)
    start = time.perf_counter()
    blob.upload_from_file(io.BytesIO(payload), checksum=None)
    up = 64 / (time.perf_counter() - start)
    start = time.perf_counter()
    data = client.bucket(bucket_name).blob("large.bin").download_as_bytes(checksum=None)
    down = 64 / (time.perf_counter() - start)
    assert data == payload
    return {"64 MiB up MiB/s": up, "64 MiB down MiB/s": down}


def concurrent_gets(url: str, header: str | None, seconds: int) -> dict[str, float]:
    result = run_wrk(url, connections=16, seconds=seconds, header=header)
    if result.errors:
        raise SystemExit(f"{url}: {result.errors} of the concurrent GETs failed")
    return {
        "16 GETs req/s": result.requests_per_second,
        "GET p50 ms": result.p50_ms,
        "GET p99 ms": result.p99_ms,
    }


def file_io() -> dict[str, float]:
    payload = os.urandom(64 * MiB)
    with tempfile.NamedTemporaryFile(dir=Path.cwd()) as handle:
        start = time.perf_counter()
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
        written = 64 / (time.perf_counter() - start)
        handle.seek(0)
        start = time.perf_counter()
        handle.read()
        read = 64 / (time.perf_counter() - start)
    return {"64 MiB up MiB/s": written, "64 MiB down MiB/s": read}


def bench_nimbus(ops: int, seconds: int, work: Path, workers: int) -> dict[str, float]:
    with nimbus(work / "nimbus", workers) as url:
        creds = service_account.Credentials.from_service_account_file(
            str(work / "nimbus" / "owner-key.json"),
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
        )
        client = storage.Client(
            project="nimbus-system",
            credentials=creds,
            client_options=ClientOptions(api_endpoint=url),
        )
        client.create_bucket("bench-nimbus")
        figures = client_phase(client, "bench-nimbus", ops)
        creds.refresh(google.auth.transport.requests.Request())
        headers = {"Authorization": f"Bearer {creds.token}"}
        figures |= raw_phase(url, headers, "bench-nimbus", ops)
        figures |= large_phase(client, "bench-nimbus")
        client.bucket("bench-nimbus").blob("small").upload_from_string(SMALL)
        get_url = f"{url}/storage/v1/b/bench-nimbus/o/small?alt=media"
        figures |= concurrent_gets(get_url, f"Authorization: Bearer {creds.token}", seconds)
        return figures


def bench_emulator(ops: int, seconds: int) -> dict[str, float]:
    with storage_emulator() as url:
        client = storage.Client(
            project="bench", credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=url),
        )  # fmt: skip
        client.create_bucket("bench-emulator")
        figures = client_phase(client, "bench-emulator", ops)
        figures |= raw_phase(url, {}, "bench-emulator", ops)
        figures |= large_phase(client, "bench-emulator")
        client.bucket("bench-emulator").blob("small").upload_from_string(SMALL)
        get_url = f"{url}/storage/v1/b/bench-emulator/o/small?alt=media"
        figures |= concurrent_gets(get_url, None, seconds)
        return figures


def bench_nginx(ops: int, seconds: int, work: Path) -> dict[str, float]:
    """nginx serves the bytes at the paths the official client downloads from, so the
    client's own downloads from it are the ceiling the client sets."""
    root = work / "www"
    objects = root / "download" / "storage" / "v1" / "b" / "bench-nginx" / "o"
    objects.mkdir(parents=True)
    (root / "small").write_bytes(SMALL)
    for index in range(ops):
        (objects / f"c{index}").write_bytes(SMALL)
    payload = os.urandom(64 * MiB)
    (objects / "large.bin").write_bytes(payload)
    with nginx(root) as url:
        client = storage.Client(
            project="bench", credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=url),
        )  # fmt: skip
        bucket = client.bucket("bench-nginx")
        figures = {
            "client download/s": rate(ops, lambda i: bucket.blob(f"c{i}").download_as_bytes())
        }
        start = time.perf_counter()
        data = bucket.blob("large.bin").download_as_bytes(checksum=None)
        figures["64 MiB down MiB/s"] = 64 / (time.perf_counter() - start)
        assert data == payload
        return figures | concurrent_gets(f"{url}/small", None, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    # A server being stopped may still write into its data dir while it is removed.
    with tempfile.TemporaryDirectory(dir=Path.cwd(), ignore_cleanup_errors=True) as scratch:
        work = Path(scratch)
        results = {
            f"Nimbus ({args.workers} workers)": bench_nimbus(
                args.ops, args.seconds, work, args.workers
            ),
            "gcp-storage-emulator": bench_emulator(args.ops, args.seconds),
            "nginx": bench_nginx(args.ops, args.seconds, work),
            "file I/O": file_io(),
        }
    # Grouped by phase, in the order each phase measures them.
    seen = dict.fromkeys(key for figures in results.values() for key in figures)
    columns = sorted(seen, key=_phase)
    print("| measure | " + " | ".join(results) + " |")
    print("| --- |" + " --- |" * len(results))
    for column in columns:
        cells = [_cell(figures.get(column)) for figures in results.values()]
        print(f"| {column} | " + " | ".join(cells) + " |")


_ORDER = ["client", "raw", "64 MiB", "16 GETs", "GET p50", "GET p99"]


def _phase(key: str) -> int:
    return next((i for i, prefix in enumerate(_ORDER) if key.startswith(prefix)), 99)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


if __name__ == "__main__":
    main()
