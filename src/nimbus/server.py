"""``nimbus up``: run the whole cloud in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator

import uvicorn

from nimbus import __version__
from nimbus.api.app import create_app
from nimbus.services.cloud import Cloud
from nimbus.settings import ServerSettings


def serve(settings: ServerSettings, log_level: str = "warning") -> None:
    cloud = Cloud.assemble(settings)
    try:
        cloud.start()
        cloud.serve_background()
        config = uvicorn.Config(
            create_app(cloud),
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            access_log=log_level in ("info", "debug", "trace"),
            server_header=False,
            timeout_graceful_shutdown=10,
        )
        server = _Server(config)
        _announce(settings)
        server.run()
    finally:
        _withdraw(settings)
        cloud.close()


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


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


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
