"""What ``compute ssh`` and ``compute scp`` share, as gcloud does it: a key pair made on
first use, the public key in project metadata, the instance's host keys (published by
its guest agent) in a known-hosts file, and a wait until the agent has let us in."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.metadata import merged
from nimbus.cli.waiting import wait_global_operation, wait_zone_operation

DEFAULT_KEY = Path("~/.ssh/google_compute_engine")
KNOWN_HOSTS = Path("~/.ssh/google_compute_known_hosts")
_USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
READY_TIMEOUT = 120.0


@dataclass(frozen=True)
class Target:
    user: str
    address: str
    host_alias: str
    key: Path
    known_hosts: Path

    def options(self) -> list[str]:
        return [
            "-i", str(self.key),
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", f"HostKeyAlias={self.host_alias}",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "CheckHostIP=no",
            "-o", "ServerAliveInterval=30",
        ]  # fmt: skip


def default_user() -> str:
    """The local login name, as gcloud uses; root is not an account the guest agent
    manages, so root becomes ``nimbus``."""
    name = getpass.getuser().lower()
    return name if _USER.match(name) and name != "root" else "nimbus"


def split_user(spec: str) -> tuple[str, str]:
    user, at, name = spec.rpartition("@")
    chosen = user if at else default_user()
    if not _USER.match(chosen):
        raise CliError(f"Invalid user name [{chosen}].")
    return chosen, name


def ensure_key(key_file: Path) -> str:
    """The public key, after making the pair if there is none (no passphrase)."""
    private = key_file.expanduser()
    public = private.with_name(private.name + ".pub")
    if not private.exists():
        private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        output.status(f"Generating a new SSH key pair in [{private}].")
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                default_user(),
                "-f",
                str(private),
            ],
            check=True,
        )
    return public.read_text().strip()


def authorize(api: Api, base: str, user: str, public_key: str, instance: dict[str, Any]) -> None:
    """Add ``user:KEY`` to project metadata (instance metadata if it blocks project keys)."""
    entry = f"{user}:{public_key}"
    items = {i["key"]: i.get("value", "") for i in instance["metadata"].get("items", [])}
    blocked = items.get("block-project-ssh-keys", "").lower() == "true"
    if blocked:
        target, current = instance["selfLink"], instance["metadata"]
    else:
        target, current = base, api.get(base)["commonInstanceMetadata"]
    present = {i["key"]: i.get("value", "") for i in current.get("items", [])}
    lines = [line for line in present.get("ssh-keys", "").splitlines() if line.strip()]
    if entry in lines:
        return
    body = merged(current, {"ssh-keys": "\n".join([*lines, entry])})
    output.status(
        "Updating project ssh metadata..." if not blocked else "Updating instance ssh metadata..."
    )
    if blocked:
        zone = instance["zone"].rsplit("/", 1)[-1]
        path = target.split("/compute/v1", 1)[-1]
        operation = api.post(f"/compute/v1{path}/setMetadata", body)
        wait_zone_operation(api, base, zone, operation, "Updating instance metadata...")
    else:
        operation = api.post(f"{base}/setCommonInstanceMetadata", body)
        wait_global_operation(api, base, operation, "Updating project metadata...")


def remember_host_keys(api: Api, instance_path: str, alias: str, known_hosts: Path) -> bool:
    """Write the instance's host keys to the known-hosts file; False until published."""
    found = api.get(f"{instance_path}/getGuestAttributes", {"queryPath": "hostkeys/"})
    items = (found.get("queryValue") or {}).get("items") or []
    if not items:
        return False
    path = known_hosts.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kept = [
        line
        for line in (path.read_text().splitlines() if path.exists() else [])
        if not line.startswith(f"{alias} ")
    ]
    kept += [f"{alias} {item['key']} {item['value']}" for item in items]
    path.write_text("".join(f"{line}\n" for line in kept))
    return True


def resolve(api: Api, base: str, name: str, zone: str, user: str, key_file: Path,
            known_hosts: Path) -> Target:  # fmt: skip
    """Everything ssh needs, once the instance runs and its agent has published keys."""
    path = f"{base}/zones/{zone}/instances/{name}"
    instance = api.get(path)
    if instance.get("status") != "RUNNING":
        raise CliError(f"Instance [{name}] is {instance.get('status')}; start it first.")
    configs = instance["networkInterfaces"][0].get("accessConfigs") or []
    address = configs[0].get("natIP") if configs else None
    if not address:
        raise CliError(f"Instance [{name}] has no external IP address to connect to.")
    authorize(api, base, user, ensure_key(key_file), instance)
    alias = f"compute.{instance['id']}"
    deadline = time.monotonic() + READY_TIMEOUT
    with Console(file=sys.stderr).status(f"Waiting for the guest agent of {name}..."):
        while not remember_host_keys(api, path, alias, known_hosts):
            if time.monotonic() > deadline:
                raise CliError(f"Instance [{name}] did not publish its SSH host keys in time.")
            time.sleep(0.2)
    target = Target(user, address, alias, key_file.expanduser(), known_hosts.expanduser())
    _wait_for_login(target, deadline)
    return target


def _wait_for_login(target: Target, deadline: float) -> None:
    """Until the agent has written our key, sshd refuses us: try a no-op login."""
    probe = ["ssh", *target.options(), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
             "-o", "LogLevel=ERROR", f"{target.user}@{target.address}", "true"]  # fmt: skip
    while True:
        done = subprocess.run(probe, capture_output=True, text=True, env=os.environ.copy())
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise CliError(f"Could not log in to [{target.address}]: {done.stderr.strip()}")
        time.sleep(0.2)
