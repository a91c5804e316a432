"""The console keeper: a small process per boot that holds the instance's terminal and
appends everything init writes to it to the bounded console log.

The OCI runtime hands the terminal's master side over a unix socket at create time.
The keeper lives in its own session, parented to the host's init, so it outlives the
Nimbus server; it ends when the instance's init ends.

    python -m nimbus.runtime.console BUNDLE LISTENING_SOCKET_FD
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from nimbus.runtime import consolelog, processes

SOCKET = "console.sock"  # relative to the bundle: unix socket paths are short
INIT_PID = "init.pid"  # written by the OCI runtime (--pid-file)
KEEPER_PID = "console-keeper.pid"
KEEPER_LOG = "console-keeper.log"  # the keeper's own errors, if any
LOG_DIR = "console"
ACCEPT_SECONDS = 60.0
ORPHAN_SECONDS = 30.0  # no init appeared: the create failed
_MODULE = "nimbus.runtime.console"


# -- the driver's side -------------------------------------------------------------------


def spawn(bundle: Path) -> None:
    """Start a keeper for the next boot, listening on ``bundle/console.sock``."""
    stop(bundle)
    (bundle / SOCKET).unlink(missing_ok=True)
    (bundle / INIT_PID).unlink(missing_ok=True)
    (bundle / LOG_DIR).mkdir(exist_ok=True)
    directory = os.open(bundle, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            # Through the directory's descriptor: the bundle's own path may be too long.
            listener.bind(f"/proc/self/fd/{directory}/{SOCKET}")
            listener.listen(1)
            _run_daemonizing(bundle, listener.fileno())
    finally:
        os.close(directory)


def _run_daemonizing(bundle: Path, listener: int) -> None:
    with (bundle / KEEPER_LOG).open("ab") as errors:
        try:
            status = processes.run(
                # -P: the bundle (our cwd) is not a place to import modules from.
                [sys.executable, "-P", "-m", _MODULE, str(bundle), str(listener)],
                30,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                pass_fds=(listener,),
                cwd=bundle,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired as error:
            raise OSError("the console keeper did not start in time") from error
    if status != 0:
        raise OSError(f"the console keeper did not start (status {status})")


def stop(bundle: Path, grace: float = 2.0) -> None:
    """Let the keeper finish (it ends after init), then make sure it is gone."""
    pid = _keeper_pid(bundle)
    if pid is None:
        return
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if not _exited(pidfd, grace):
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            _exited(pidfd, 5.0)
    finally:
        os.close(pidfd)
    (bundle / KEEPER_PID).unlink(missing_ok=True)


def _keeper_pid(bundle: Path) -> int | None:
    try:
        pid = int((bundle / KEEPER_PID).read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    # The pid may have been reused since: only a keeper of this bundle counts.
    return pid if os.fsencode(_MODULE) in command and os.fsencode(bundle) in command else None


def _exited(pidfd: int, timeout: float) -> bool:
    return bool(select.select([pidfd], [], [], timeout)[0])


# -- the keeper ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    bundle, listener = Path(argv[0]), int(argv[1])
    _daemonize(bundle)
    with socket.socket(fileno=listener) as server:
        server.settimeout(ACCEPT_SECONDS)
        try:
            connection, _ = server.accept()
        except TimeoutError:
            return 1
        with connection:
            _, fds, _, _ = socket.recv_fds(connection, 1024, 1)
    (bundle / SOCKET).unlink(missing_ok=True)
    if not fds:
        return 1
    writer = consolelog.Writer(bundle / LOG_DIR)
    try:
        _copy(fds[0], writer, bundle)
    finally:
        writer.close()
    return 0


def _daemonize(bundle: Path) -> None:
    # The caller waits for this first process only; the keeper goes on as its child,
    # adopted by the host's init, so nobody needs to reap it.
    child = os.fork()
    if child:
        (bundle / f"{KEEPER_PID}.tmp").write_text(str(child))
        (bundle / f"{KEEPER_PID}.tmp").replace(bundle / KEEPER_PID)
        os._exit(0)


def _copy(master: int, writer: consolelog.Writer, bundle: Path) -> None:
    init: int | None = None
    waiting_since = time.monotonic()
    while True:
        if init is None:
            init = _open_init(bundle)
            if init is None and time.monotonic() - waiting_since > ORPHAN_SECONDS:
                return
        watched = [master] if init is None else [master, init]
        ready = select.select(watched, [], [], 0.5)[0]
        if master in ready and _pump(master, writer):
            continue
        if init is not None and init in ready:
            os.set_blocking(master, False)
            while _pump(master, writer):
                pass
            return
        if master in ready:
            # Nobody has the terminal open at this moment (EIO), yet init may reopen
            # it: wait a little rather than spin.
            select.select([init] if init is not None else [], [], [], 0.2)


def _pump(master: int, writer: consolelog.Writer) -> bool:
    try:
        data = os.read(master, 65536)
    except BlockingIOError:
        return False
    except OSError as error:
        if error.errno == errno.EIO:
            return False
        raise
    # A full disk loses console bytes; it must not close the instance's terminal.
    with contextlib.suppress(OSError):
        writer.append(data)
    return bool(data)


def _open_init(bundle: Path) -> int | None:
    try:
        return os.pidfd_open(int((bundle / INIT_PID).read_text()))
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
