"""Running a helper command with a time limit, woken the moment it exits.

``subprocess.run(timeout=...)`` without pipes waits by sleeping in a loop whose naps
grow to 50 ms, which added tens of milliseconds to every runc call of a boot. A pidfd
wakes us when the process ends instead.
"""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Sequence
from typing import Any


def run(argv: Sequence[str], timeout: float, **options: Any) -> int:
    """Run ``argv`` (``options`` as for Popen; no pipes) and return its exit status.
    Past ``timeout`` seconds it is killed and TimeoutExpired raised."""
    process = subprocess.Popen(argv, **options)
    with process:
        pidfd = os.pidfd_open(process.pid)
        try:
            exited = bool(select.select([pidfd], [], [], timeout)[0])
        finally:
            os.close(pidfd)
        if not exited:
            process.kill()
            process.wait()
            raise subprocess.TimeoutExpired(list(argv), timeout)
        return process.wait()
