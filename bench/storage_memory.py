"""Peak server memory while a 5 GiB object goes up and comes back down.

    .venv/bin/python -m bench.storage_memory [--gib 5]

Uploads through the official client (resumable, 8 MiB chunks) from a file, downloads
to a sink, and samples the server's resident memory every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.cloud import storage
from google.oauth2 import service_account

from bench.peers import nimbus_process

MiB = 1024 * 1024


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            status = Path(f"/proc/{self.pid}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))


class Sink:
    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=int, default=5)
    args = parser.parse_args()
    size = args.gib * 1024 * MiB
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as scratch:
        work = Path(scratch)
        source = work / "source.bin"
        block = os.urandom(64 * MiB)
        with source.open("wb") as handle:
            for _ in range(size // len(block)):
                handle.write(block)
        with nimbus_process(work / "nimbus") as (url, pid):
            creds = service_account.Credentials.from_service_account_file(
                str(work / "nimbus" / "owner-key.json"),
                scopes=["https://www.googleapis.com/auth/cloud-platform"],
            )
            client = storage.Client(
                project="nimbus-system",
                credentials=creds,
                client_options=ClientOptions(api_endpoint=url),
            )
            bucket = client.create_bucket("bench-memory")
            sampler = RssSampler(pid)
            sampler.start()
            baseline = sampler.peak_kib
            start = time.perf_counter()
            blob = bucket.blob("huge.bin", chunk_size=8 * MiB)
            blob.upload_from_filename(str(source), checksum=None)
            up = time.perf_counter() - start
            start = time.perf_counter()
            sink = Sink()
            bucket.blob("huge.bin").download_to_file(sink, checksum=None)  # type: ignore[arg-type]
            down = time.perf_counter() - start
            sampler.stop.set()
            sampler.join()
            assert sink.size == size
    print(
        f"object: {args.gib} GiB; upload {size / MiB / up:,.0f} MiB/s, "
        f"download {size / MiB / down:,.0f} MiB/s"
    )
    print(f"server peak RSS: {sampler.peak_kib / 1024:,.0f} MiB (idle: {baseline / 1024:,.0f})")


if __name__ == "__main__":
    main()
