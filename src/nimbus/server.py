"""``nimbus up``: run the whole cloud in the foreground until SIGINT or SIGTERM.

With ``workers`` above one, the parent prepares the store (migrations, the owner,
recovery), binds the socket, and runs that many worker processes on it, restarting any
that dies; the first runs the controllers. Workers die with the parent, even on
SIGKILL, so a killed server never leaves a process holding its port.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from multiprocessing.process import BaseProcess

import uvicorn

from nimbus import __version__
from nimbus.api.app import create_app
from nimbus.api.metadata.networks import serve_in_networks
from nimbus.services.cloud import Cloud
from nimbus.settings import ServerSettings

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


def serve(settings: ServerSettings, log_level: str = "warning", workers: int = 1) -> None:
    cloud = Cloud.assemble(settings)
    try:
        cloud.start()
        cloud.recover()
        if workers <= 1:
            cloud.serve_background()
            _announce(cloud.settings)
            _Server(_config(cloud, log_level)).run()
            return
        resolved = cloud.settings
        cloud.close()
        _announce(resolved)
        _supervise(resolved, log_level, workers)
    finally:
        _withdraw(settings)
        cloud.close()


def _config(cloud: Cloud, log_level: str, *, lead: bool = True) -> uvicorn.Config:
    app = create_app(cloud)
    if lead:
        serve_in_networks(cloud, app)
    _settle_memory()
    return uvicorn.Config(
        app,
        host=cloud.settings.host,
        port=cloud.settings.port,
        log_level=log_level,
        access_log=log_level in ("info", "debug", "trace"),
        server_header=False,
        timeout_graceful_shutdown=10,
        # Clients pool connections and reuse them after pauses; a 5 s idle close (the
        # default) races with their next request and resets it. 75 s is nginx's choice.
        timeout_keep_alive=75,
    )


def _settle_memory() -> None:
    """Everything made at start-up lives as long as the process: move it out of the
    collector's sight. Otherwise each full collection walks it all again, and with a
    few hundred resources in a response that was a 100+ ms pause every few requests."""
    gc.collect()
    gc.freeze()


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising the stop signal at exit, so that clean-up runs and a
    SIGINT or SIGTERM ends the process with status 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _supervise(settings: ServerSettings, log_level: str, workers: int) -> None:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    listener.listen(2048)
    listener.set_inheritable(True)
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in _STOP_SIGNALS}

    def start(index: int) -> BaseProcess:
        process = context.Process(
            target=_worker,
            args=(settings, listener, log_level, index == 0),
            name=f"nimbus-worker-{index}",
        )
        process.start()
        return process

    processes = [start(index) for index in range(workers)]
    try:
        while not stopping:
            for index, process in enumerate(processes):
                if not process.is_alive():
                    processes[index] = start(index)
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        for process in processes:
            process.join(timeout=20)
        listener.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _worker(settings: ServerSettings, listener: socket.socket, log_level: str, lead: bool) -> None:
    _die_with_parent()
    cloud = Cloud.assemble(settings)
    try:
        cloud.serve_background(lead=lead)
        _Server(_config(cloud, log_level, lead=lead)).run(sockets=[listener])
    finally:
        cloud.close()


def _die_with_parent() -> None:
    """Linux's parent-death signal: a worker must not outlive its server."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)


def _announce(settings: ServerSettings) -> None:
    """Say where we are: on the terminal, and in a file the CLI on this machine reads."""
    info = {
        "endpoint": settings.public_url,
        "owner_key": str(settings.owner_key_path),
        "pid": os.getpid(),
        "version": __version__,
    }
    temporary = settings.server_info_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(info, indent=2) + "\n")
    temporary.replace(settings.server_info_path)
    print(f"nimbus {__version__}  api {settings.public_url}", flush=True)
    print(f"owner credentials: {settings.owner_key_path}", flush=True)
    print(f"data: {settings.data_dir}", file=sys.stderr, flush=True)


def _withdraw(settings: ServerSettings) -> None:
    try:
        info = json.loads(settings.server_info_path.read_text())
        if info.get("pid") == os.getpid():
            settings.server_info_path.unlink()
    except (OSError, ValueError):
        pass
