"""The OCI runtime's command line (runc, or crun where it works), with a state
directory of our own (``--root``) so that two Nimbus servers never see each other's
containers.

Output goes to a temporary file, never to a pipe: a container that inherited a pipe
would keep our read open for its whole life.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.runtime import processes
from nimbus.runtime.cgroups import Layout
from nimbus.runtime.driver import DriverError

# crun refuses the hybrid layout (v1 controllers and cgroup2 side by side); runc copes
# with every layout, so it comes first wherever both are installed.
_PREFERENCE = {
    Layout.LEGACY: ("runc",),
    Layout.HYBRID: ("runc",),
    Layout.UNIFIED: ("runc", "crun"),
}


class RuntimeFailed(DriverError):
    def __init__(self, command: Sequence[str], message: str) -> None:
        super().__init__(f"{' '.join(command)}: {message or 'failed'}")
        self.message = message


def choose(layout: Layout, wanted: str | None = None) -> Path:
    """The runtime binary to use on this host: ``wanted`` (a name or a path) if given."""
    candidates = (wanted,) if wanted else _PREFERENCE[layout]
    for candidate in candidates:
        found = shutil.which(candidate)
        if found and _answers(found):
            return Path(found)
    raise FileNotFoundError(
        f"no working OCI runtime among {', '.join(candidates)} for a {layout.value} cgroup "
        "host (scripts/setup installs runc)"
    )


def _answers(binary: str) -> bool:
    try:
        version = subprocess.run(
            [binary, "--version"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return version.returncode == 0


@dataclass(frozen=True)
class ContainerState:
    status: str  # "created", "running", "paused" or "stopped"
    pid: int | None


class Runtime:
    def __init__(self, binary: Path, root: Path) -> None:
        self.binary = binary
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def name(self) -> str:
        return self.binary.name

    def argv(self, *args: str) -> list[str]:
        return [str(self.binary), "--root", str(self.root), *args]

    def state(self, container_id: str) -> ContainerState | None:
        """None if the runtime holds nothing under this id."""
        if not (self.root / container_id).exists():
            return None
        try:
            output = self._run("state", container_id)
        except RuntimeFailed:
            if (self.root / container_id).exists():
                raise
            return None
        state: dict[str, Any] = json.loads(output)
        pid = state.get("pid") or None
        return ContainerState(status=str(state["status"]), pid=pid)

    def create(self, container_id: str, bundle: Path, console_socket: str, pid_file: str) -> None:
        self._run(
            "create",
            "--bundle",
            str(bundle),
            "--console-socket",
            console_socket,
            "--pid-file",
            pid_file,
            container_id,
            cwd=bundle,
        )

    def start(self, container_id: str) -> None:
        self._run("start", container_id)

    def kill(self, container_id: str, signal: int) -> None:
        self._run("kill", container_id, str(signal))

    def delete(self, container_id: str) -> None:
        self._run("delete", "--force", container_id)

    def pause(self, container_id: str) -> None:
        """Freeze every process of the container (the cgroup freezer)."""
        self._run("pause", container_id)

    def resume(self, container_id: str) -> None:
        self._run("resume", container_id)

    def _run(self, *args: str, cwd: Path | None = None) -> str:
        command = self.argv(*args)
        with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
            status = processes.run(
                command, 120, stdin=subprocess.DEVNULL, stdout=output, stderr=errors, cwd=cwd
            )
            output.seek(0)
            errors.seek(0)
            if status != 0:
                raise RuntimeFailed(command, errors.read().decode(errors="replace").strip())
            return output.read().decode()
