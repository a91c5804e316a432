"""Peers a benchmark runs beside Nimbus: started on loopback, stopped afterwards."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PEERS_VENV = ROOT / ".bench" / "peers"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1)
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url}")


def ensure_apt(*packages: str) -> None:
    missing = [p for p in packages if shutil.which(p.split("-")[0]) is None]
    if missing:
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


@contextlib.contextmanager
def nimbus(data_dir: Path, workers: int = 1) -> Iterator[str]:
    with nimbus_process(data_dir, workers) as (url, _):
        yield url


@contextlib.contextmanager
def nimbus_process(
    data_dir: Path, workers: int = 1, extra_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, int]]:
    """``nimbus up`` on a free port: its URL and process id."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nimbus",
            "up",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--workers",
            str(workers),
            # Storage only: no instances, so no image build competing for the cores.
            "--runtime",
            "fake",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def storage_emulator() -> Iterator[str]:
    """gcp-storage-emulator (PyPI), in a venv of its own so it shares nothing with us."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "gcp-storage-emulator"], check=True
        )
    port = free_port()
    process = subprocess.Popen(
        [str(PEERS_VENV / "bin" / "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
         "--port", str(port), "--in-memory"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextlib.contextmanager
def nginx(root: Path) -> Iterator[str]:
    """nginx serving ``root`` from disk: the ceiling for small GETs."""
    ensure_apt("nginx-light")
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "nginx.conf"
        config.write_text(
            f"""
            daemon off; worker_processes auto; pid {work}/nginx.pid;
            user root;  # the benchmark's files sit in a private directory
            error_log {work}/error.log;
            events {{ worker_connections 1024; }}
            http {{
              access_log off; sendfile on; keepalive_requests 100000;
              client_body_temp_path {work}; proxy_temp_path {work};
              fastcgi_temp_path {work}; uwsgi_temp_path {work}; scgi_temp_path {work};
              server {{ listen 127.0.0.1:{port}; root {root}; }}
            }}
            """
        )
        process = subprocess.Popen(["nginx", "-c", str(config)])
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(url)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
