"""A lock shared by every Nimbus process on the host, for the one decision they must not
take at the same time: which external range each fabric claims."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

HOST_LOCK = Path("/run/nimbus-net.lock")


@contextlib.contextmanager
def host_lock(path: Path = HOST_LOCK) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
