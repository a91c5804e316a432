"""Building a directory once, however many processes ask for it at the same time.

Builders take an exclusive lock, build in a hidden directory beside the result and
rename it into place: readers who see the result see all of it. A build that died
leaves its hidden directory behind; the next builder, holding the lock, deletes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from nimbus.images.errors import ImageBuildError

WORK_PREFIX = ".build-"


@contextlib.contextmanager
def locked(lock_file: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file``; ``on_wait`` runs if another holds it."""
    with lock_file.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def new_work_dir(parent: Path, name: str) -> Path:
    """A fresh hidden directory in ``parent`` for building ``name``. Hold the lock."""
    for stale in parent.glob(f"{WORK_PREFIX}{name}-*"):
        remove_tree(stale)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{name}-", dir=parent))
    # apt downloads as the unprivileged _apt user, who must reach the tree.
    work.chmod(0o755)
    return work


def publish(work: Path, final: Path) -> None:
    """Make the finished ``work`` directory ``final``, durably and all at once."""
    # Rename only what is on disk: after a crash the result is whole or absent.
    os.sync()
    work.rename(final)


def remove_tree(path: Path) -> None:
    """Delete a build's tree, unless something is mounted inside (that would delete
    the mounted filesystem's files)."""
    if mounts_under(path):
        raise ImageBuildError(f"{path} has filesystems mounted inside; not deleting it")
    shutil.rmtree(path)


def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = _unescape(line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return found


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes.
    for code in ("040", "011", "012", "134"):
        field = field.replace(f"\\{code}", chr(int(code, 8)))
    return field
