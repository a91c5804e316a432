"""Named network namespaces, as ``ip netns`` keeps them (a bind mount under /run/netns),
made without forking: a short-lived thread unshares or enters a namespace, so the rest of
the process never leaves its own."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

NETNS_DIR = Path("/run/netns")

_CLONE_NEWNET = 0x40000000
_MS_BIND = 4096
_MS_REC = 16384
_MS_SHARED = 1 << 20
_MNT_DETACH = 2

_libc = ctypes.CDLL(None, use_errno=True)
_shared_lock = threading.Lock()

T = TypeVar("T")


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def path_of(name: str) -> Path:
    return NETNS_DIR / name


def _is_mounted(path: Path) -> bool:
    # A bind-mounted namespace sits on nsfs, another device than /run's.
    try:
        return path.stat().st_dev != path.parent.stat().st_dev
    except FileNotFoundError:
        return False


def exists(name: str) -> bool:
    """True once the namespace is mounted (a bare file is a half-made namespace)."""
    return _is_mounted(path_of(name))


def names(prefix: str) -> list[str]:
    """The namespaces under /run/netns whose names start with ``prefix``."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def _share_run_dir() -> None:
    # As iproute2 does: a shared /run/netns, so an unmount here also drops the copies
    # that mount namespaces cloned meanwhile (which would keep the namespace alive).
    with _shared_lock:
        NETNS_DIR.mkdir(parents=True, exist_ok=True)
        target = bytes(NETNS_DIR)
        if _libc.mount(b"none", target, None, _MS_SHARED | _MS_REC, None) == 0:
            return
        _check(_libc.mount(target, target, None, _MS_BIND | _MS_REC, None), "bind /run/netns")
        _check(_libc.mount(b"none", target, None, _MS_SHARED | _MS_REC, None), "share /run/netns")


def run_in_thread(job: Callable[[], T]) -> T:
    """Run ``job`` in a new thread and return its result: namespace changes it makes to
    its thread die with that thread."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def body() -> None:
        try:
            outcome.append(job())
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=body, name="netns")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def create(name: str) -> Path:
    """Create the namespace unless it exists; finish one a crash left half-made."""
    path = path_of(name)
    if exists(name):
        return path
    _share_run_dir()
    path.touch(exist_ok=True)

    def unshare_and_bind() -> None:
        _check(_libc.unshare(_CLONE_NEWNET), "unshare")
        source = b"/proc/thread-self/ns/net"
        _check(_libc.mount(source, bytes(path), None, _MS_BIND, None), f"mount {path}")

    run_in_thread(unshare_and_bind)
    return path


def remove(name: str) -> None:
    """Drop the namespace's mount and file. The namespace itself ends when nothing else
    (a process, an open descriptor) holds it."""
    path = path_of(name)
    if _is_mounted(path) and _libc.umount2(bytes(path), _MNT_DETACH) != 0:
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOENT):
            raise OSError(code, f"umount {path}: {os.strerror(code)}")
    path.unlink(missing_ok=True)


@contextlib.contextmanager
def opened(name: str) -> Iterator[int]:
    """A descriptor of the namespace, e.g. to move a link into it."""
    fd = os.open(path_of(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


@contextlib.contextmanager
def entered(path: Path) -> Iterator[None]:
    """Move the calling thread into the namespace at ``path`` and back afterwards.

    Sockets (netlink ones too) and child processes created meanwhile belong to it.
    """
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _check(_libc.setns(target, _CLONE_NEWNET), f"setns {path}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            _check(_libc.setns(home, _CLONE_NEWNET), "setns back")
    finally:
        os.close(home)


def run_at(path: Path, job: Callable[[], T]) -> T:
    """Run ``job`` inside the namespace at ``path``, in a thread of its own."""

    def inside() -> T:
        with entered(path):
            return job()

    return run_in_thread(inside)


def run_in(name: str, job: Callable[[], T]) -> T:
    """Run ``job`` inside the named namespace, in a thread of its own."""
    return run_at(path_of(name), job)


def home_path() -> Path:
    """The namespace the process started in (its main thread's)."""
    return Path(f"/proc/{os.getpid()}/ns/net")


def run_home(job: Callable[[], T]) -> T:
    """Run ``job`` in the process's own namespace, whatever thread calls."""
    return run_at(home_path(), job)
