"""Cloud Storage benchmark, Nimbus side by side with its peers in the same run.

    .venv/bin/python -m bench.storage [--ops 200] [--seconds 5] [--rounds 5]

Phases (each where it applies to the target):
  1. 4 KiB objects through the official client: upload, download, list, delete (ops/s)
  2. the same through raw HTTP (httpx, one keep-alive connection)
  3. a 64 MiB resumable upload and download through the client (MiB/s)
  4. 16 concurrent GETs of one 4 KiB object with wrk (req/s, p50, p99)
Targets: Nimbus (durable: every acknowledged write fsynced), gcp-storage-emulator
(PyPI, in memory), nginx serving the same bytes from disk (GETs only: the official
client's downloads from it are the client's own ceiling), and plain file I/O (64 MiB
written with fsync, read back).

All targets run at once, and every measure is taken on each of them in turn, round
after round, in an order that alternates: a machine whose speed drifts during the run
(a shared host's does, by a third within seconds) then weighs on all of them alike.
Each figure is the median of its rounds. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
LARGE = os.urandom(64 * MiB)
FILE_IO = "file I/O"
# Uploads first: the other measures read, list and delete what they wrote.
CLIENT_MEASURES = ("client upload/s", "client download/s", "client list/s", "client delete/s")
# target → measure → one figure per round
Samples = defaultdict[str, defaultdict[str, list[float]]]


@dataclass(frozen=True)
class Target:
    """A server measured through the official client, raw HTTP and wrk."""

    name: str
    client: storage.Client
    bucket: str
    url: str
    headers: dict[str, str]
    # nginx only serves bytes: it takes part in downloads and GETs alone.
    serves_only: bool = False

    @property
    def wrk_header(self) -> str | None:
        auth = self.headers.get("Authorization")
        return None if auth is None else f"Authorization: {auth}"


def rate(count: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for index in range(count):
        work(index)
    return count / (time.perf_counter() - start)


def client_steps(target: Target, ops: int, round_: int) -> dict[str, Callable[[], float]]:
    """The client phase's measures, in order; each round names its own objects, so that
    every read is a first one, as in the phase's workload."""
    client, bucket = target.client, target.client.bucket(target.bucket)

    def put(i: int) -> None:
        bucket.blob(f"c{round_}-{i}").upload_from_string(SMALL)

    def get(i: int) -> None:
        bucket.blob(f"c{round_}-{i}").download_as_bytes()

    def ls(i: int) -> None:
        list(client.list_blobs(bucket, prefix=f"c{round_}-{i}"))

    def delete(i: int) -> None:
        bucket.blob(f"c{round_}-{i}").delete()

    if target.serves_only:
        return {"client download/s": lambda: rate(ops, get)}
    return {
        "client upload/s": lambda: rate(ops, put),
        "client download/s": lambda: rate(ops, get),
        "client list/s": lambda: rate(ops // 3, ls),
        "client delete/s": lambda: rate(ops, delete),
    }


@contextlib.contextmanager
def raw_steps(target: Target, ops: int, round_: int) -> Iterator[dict[str, Callable[[], float]]]:
    with httpx.Client(base_url=target.url, headers=target.headers) as http:
        objects = f"/storage/v1/b/{target.bucket}/o"

        def put(i: int) -> None:
            http.post(f"/upload{objects}",
                      params={"uploadType": "media", "name": f"r{round_}-{i}"},
                      content=SMALL).raise_for_status()  # fmt: skip

        def get(i: int) -> None:
            http.get(f"{objects}/r{round_}-{i}", params={"alt": "media"}).raise_for_status()

        def ls(i: int) -> None:
            http.get(objects, params={"prefix": f"r{round_}-{i}"}).raise_for_status()

        def delete(i: int) -> None:
            http.delete(f"{objects}/r{round_}-{i}").raise_for_status()

        yield {
            "raw upload/s": lambda: rate(ops, put),
            "raw download/s": lambda: rate(ops, get),
            "raw list/s": lambda: rate(ops // 3, ls),
            "raw delete/s": lambda: rate(ops, delete),
        }


def large_phase(target: Target) -> dict[str, float]:
    bucket = target.client.bucket(target.bucket)
    figures = {}
    if not target.serves_only:
        blob = bucket.blob("large.bin", chunk_size=8 * MiB)
        start = time.perf_counter()
        blob.upload_from_file(io.BytesIO(LARGE), checksum=None)
        figures["64 MiB up MiB/s"] = 64 / (time.perf_counter() - start)
    start = time.perf_counter()
    data = bucket.blob("large.bin").download_as_bytes(checksum=None)
    figures["64 MiB down MiB/s"] = 64 / (time.perf_counter() - start)
    assert data == LARGE
    if not target.serves_only:
        bucket.blob("large.bin").delete()  # the emulator keeps it in memory
    return figures


def concurrent_gets(target: Target, seconds: int) -> dict[str, float]:
    path = "/small" if target.serves_only else f"/storage/v1/b/{target.bucket}/o/small?alt=media"
    result = run_wrk(target.url + path, connections=16, seconds=seconds, header=target.wrk_header)
    if result.errors:
        raise SystemExit(f"{target.name}: {result.errors} of the concurrent GETs failed")
    return {
        "16 GETs req/s": result.requests_per_second,
        "GET p50 ms": result.p50_ms,
        "GET p99 ms": result.p99_ms,
    }


def file_io() -> dict[str, float]:
    with tempfile.NamedTemporaryFile(dir=Path.cwd()) as handle:
        start = time.perf_counter()
        handle.write(LARGE)
        handle.flush()
        os.fsync(handle.fileno())
        written = 64 / (time.perf_counter() - start)
        handle.seek(0)
        start = time.perf_counter()
        handle.read()
        read = 64 / (time.perf_counter() - start)
    return {"64 MiB up MiB/s": written, "64 MiB down MiB/s": read}


@contextlib.contextmanager
def nimbus_target(work: Path, workers: int) -> Iterator[Target]:
    with nimbus(work / "nimbus", workers) as url:
        credentials = service_account.Credentials.from_service_account_file(
            str(work / "nimbus" / "owner-key.json"),
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
        )
        client = storage.Client(
            project="nimbus-system",
            credentials=credentials,
            client_options=ClientOptions(api_endpoint=url),
        )
        client.create_bucket("bench-nimbus")
        credentials.refresh(google.auth.transport.requests.Request())
        headers = {"Authorization": f"Bearer {credentials.token}"}
        yield Target(f"Nimbus ({workers} workers)", client, "bench-nimbus", url, headers)


@contextlib.contextmanager
def emulator_target() -> Iterator[Target]:
    with storage_emulator() as url:
        client = _anonymous_client(url)
        client.create_bucket("bench-emulator")
        yield Target("gcp-storage-emulator", client, "bench-emulator", url, {})


def nginx_files(work: Path, ops: int, rounds: int) -> Path:
    """The bytes nginx serves, at the paths the official client downloads from, so that
    the client's own downloads from it are the ceiling the client sets."""
    root = work / "www"
    objects = root / "download" / "storage" / "v1" / "b" / "bench-nginx" / "o"
    objects.mkdir(parents=True)
    (root / "small").write_bytes(SMALL)
    for round_ in range(rounds):
        for index in range(ops):
            (objects / f"c{round_}-{index}").write_bytes(SMALL)
    (objects / "large.bin").write_bytes(LARGE)
    return root


@contextlib.contextmanager
def nginx_target(root: Path) -> Iterator[Target]:
    with nginx(root) as url:
        yield Target("nginx", _anonymous_client(url), "bench-nginx", url, {}, serves_only=True)


def _anonymous_client(url: str) -> storage.Client:
    return storage.Client(
        project="bench", credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=url),
    )  # fmt: skip


def measure_round(
    targets: list[Target], ops: int, seconds: int, round_: int, samples: Samples
) -> None:
    """One round on freshly started servers (the emulator slows as its history grows),
    each measure taken on every target in turn."""
    # Each round turns the order around, so that no target always goes first.
    order = targets if round_ % 2 == 0 else targets[::-1]
    for target in order:
        if not target.serves_only:
            target.client.bucket(target.bucket).blob("small").upload_from_string(SMALL)
    steps = {target.name: client_steps(target, ops, round_) for target in order}
    for measure_name in CLIENT_MEASURES:
        for target in order:
            step = steps[target.name].get(measure_name)
            if step is not None:
                samples[target.name][measure_name].append(step())
    with contextlib.ExitStack() as stack:
        raw = {
            t.name: stack.enter_context(raw_steps(t, ops, round_))
            for t in order
            if not t.serves_only
        }
        for measure_name in next(iter(raw.values())):
            for name, target_steps in raw.items():
                samples[name][measure_name].append(target_steps[measure_name]())
    for target in order:
        _add(samples[target.name], large_phase(target))
    _add(samples[FILE_IO], file_io())
    for target in order:
        _add(samples[target.name], concurrent_gets(target, seconds))


def _add(into: defaultdict[str, list[float]], figures: dict[str, float]) -> None:
    for key, value in figures.items():
        into[key].append(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    samples: Samples = defaultdict(lambda: defaultdict(list))
    # A server being stopped may still write into its data dir while it is removed.
    with tempfile.TemporaryDirectory(dir=Path.cwd(), ignore_cleanup_errors=True) as scratch:
        www = nginx_files(Path(scratch), args.ops, args.rounds)
        for round_ in range(args.rounds):
            with contextlib.ExitStack() as stack:
                targets = [
                    stack.enter_context(nimbus_target(Path(scratch) / str(round_), args.workers)),
                    stack.enter_context(emulator_target()),
                    stack.enter_context(nginx_target(www)),
                ]
                measure_round(targets, args.ops, args.seconds, round_, samples)
            print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr, flush=True)
    print_table(samples, [t.name for t in targets] + [FILE_IO], args.rounds)


def print_table(samples: Samples, columns: list[str], rounds: int) -> None:
    """Medians, grouped by phase in the order each phase measures them; then Nimbus
    against the emulator round by round (the fairest comparison: the two ran within
    seconds of each other), and every round's figure, to show the spread."""
    seen = dict.fromkeys(key for name in columns for key in samples[name])
    measures = sorted(seen, key=_phase)
    ours, peer = columns[0], columns[1]
    print(f"\nMedians of {rounds} rounds; the last column is the median of the rounds' "
          f"ratios of {ours} to {peer}:\n")  # fmt: skip
    print("| measure | " + " | ".join(columns) + " | ratio |")
    print("| --- |" + " --- |" * (len(columns) + 1))
    for key in measures:
        cells = [_cell(_median(samples[name].get(key))) for name in columns]
        pairs = zip(samples[ours].get(key, []), samples[peer].get(key, []), strict=False)
        ratio = _median([mine / theirs for mine, theirs in pairs if theirs])
        cells.append("-" if ratio is None else f"{ratio:.2f}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    print("\nEvery round, in order:\n")
    for name in columns:
        for key in measures:
            if key in samples[name]:
                print(f"{name} / {key}: " + ", ".join(_cell(v) for v in samples[name][key]))


_ORDER = ["client", "raw", "64 MiB", "16 GETs", "GET p50", "GET p99"]


def _phase(key: str) -> int:
    return next((i for i, prefix in enumerate(_ORDER) if key.startswith(prefix)), 99)


def _median(values: list[float] | None) -> float | None:
    return None if not values else statistics.median(values)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


if __name__ == "__main__":
    main()
