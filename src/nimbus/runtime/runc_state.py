"""A container's state read from runc's own files, without running runc.

``runc state`` costs a process start (about 10 ms of CPU); the instance controller asks
every running instance's state every few seconds, which with hundreds of instances kept
the host busy. runc decides from the same facts read here: its ``state.json`` (the init
process's PID and start time, the cgroup paths), ``/proc/PID/stat``, and the freezer.
Whatever is not clear-cut (a container still being created, an unknown layout) is left
to ``runc state`` (None).
"""

from __future__ import annotations

import json
from pathlib import Path

from nimbus.runtime.runc import ContainerState


def read(root: Path, container_id: str) -> ContainerState | None:
    """The state, or None when only runc itself can tell."""
    directory = root / container_id
    if (directory / "exec.fifo").exists():
        return None  # created, not started: runc's own test
    try:
        state = json.loads((directory / "state.json").read_text())
        pid = int(state["init_process_pid"])
        started = int(state["init_process_start"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid, started):
        return ContainerState(status="stopped", pid=None)
    frozen = _frozen(state.get("cgroup_paths") or {})
    if frozen is None:
        return None
    return ContainerState(status="paused" if frozen else "running", pid=pid)


def _alive(pid: int, started: int) -> bool:
    """The same process (not a reused PID) and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # Fields after the command name, which may hold spaces and parentheses.
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] not in ("Z", "X") and int(fields[19]) == started


def _frozen(cgroup_paths: dict[str, str]) -> bool | None:
    freezer = cgroup_paths.get("freezer")
    if freezer:
        try:
            return Path(freezer, "freezer.state").read_text().strip() != "THAWED"
        except OSError:
            return None
    unified = cgroup_paths.get("")
    if unified:
        try:
            return Path(unified, "cgroup.freeze").read_text().strip() == "1"
        except OSError:
            return None
    return None
