"""The guest agent's files as the image builder writes them into an image."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

AGENT_PATH = "/usr/lib/nimbus-guest/agent.py"
WRAPPER_PATH = "/usr/bin/nimbus-guest-agent"
UNIT_DIR = "/etc/systemd/system"
GUEST_UNITS: tuple[str, ...] = ("nimbus-guest-agent.service", "nimbus-startup-scripts.service")

# -I: a root daemon ignores PYTHON* variables and user site-packages.
WRAPPER = f"""#!/bin/sh
exec /usr/bin/python3 -I {AGENT_PATH} "$@"
"""

# Not ordered before ssh.service: sshd must not wait for the metadata server. Only
# After= network-online.target, never Wants=: in a container the host configures the
# network, and pulling a wait-online service in could stall boot for minutes.
# EnvironmentFile: services do not read /etc/environment, where the instance's
# API_ENDPOINT_OVERRIDE and GCE_METADATA_HOST are.
AGENT_UNIT = f"""[Unit]
Description=Nimbus guest agent (accounts from metadata SSH keys, host keys)
After=network.target network-online.target

[Service]
Type=simple
EnvironmentFile=-/etc/environment
ExecStart={WRAPPER_PATH} daemon
Restart=always
RestartSec=2
SyslogIdentifier=google_guest_agent

[Install]
WantedBy=multi-user.target
"""

# Startup scripts run once per boot, shutdown scripts when systemd stops the unit at
# halt. "-" keeps the unit active even if the startup run fails, or ExecStop (the
# shutdown scripts) would never run. Startup scripts may run for as long as they like;
# shutdown scripts get a generous but bounded time, so a hung one cannot block halt.
SCRIPTS_UNIT = f"""[Unit]
Description=Nimbus startup and shutdown scripts from metadata
After=network.target network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
EnvironmentFile=-/etc/environment
ExecStart=-{WRAPPER_PATH} startup
ExecStop=-{WRAPPER_PATH} shutdown
TimeoutStartSec=infinity
TimeoutStopSec=10min
SyslogIdentifier=google_metadata_script_runner

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class GuestFile:
    path: str
    content: bytes
    mode: int


def agent_source() -> bytes:
    return resources.files("nimbus.guest").joinpath("agent.py").read_bytes()


def guest_files() -> list[GuestFile]:
    """Every file the guest agent needs in an image; the builder enables GUEST_UNITS."""
    return [
        GuestFile(AGENT_PATH, agent_source(), 0o755),
        GuestFile(WRAPPER_PATH, WRAPPER.encode(), 0o755),
        GuestFile(f"{UNIT_DIR}/{GUEST_UNITS[0]}", AGENT_UNIT.encode(), 0o644),
        GuestFile(f"{UNIT_DIR}/{GUEST_UNITS[1]}", SCRIPTS_UNIT.encode(), 0o644),
    ]
