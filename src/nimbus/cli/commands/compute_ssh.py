"""``nimbus compute ssh`` and ``nimbus compute scp``, in gcloud's grammar."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli.config import ZONE
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.ssh_access import DEFAULT_KEY, KNOWN_HOSTS, resolve, split_user

KeyFile = Annotated[Path, typer.Option("--ssh-key-file", help="Private key (made on first use).")]
ZoneFlag = Annotated[str | None, typer.Option("--zone", help="The instance's zone.")]


def _zone(ctx: typer.Context, zone: str | None) -> str:
    chosen = zone or context_of(ctx).value(ZONE)
    if not chosen:
        raise CliError("The required property [zone] is not set: pass --zone.")
    return chosen


def ssh(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="[USER@]INSTANCE")],
    ssh_args: Annotated[list[str] | None, typer.Argument(help="-- then arguments for ssh")] = None,
    zone: ZoneFlag = None,
    command: Annotated[str | None, typer.Option("--command", help="Run this, not a shell.")] = None,
    ssh_key_file: KeyFile = DEFAULT_KEY,
    ssh_flag: Annotated[
        list[str] | None, typer.Option("--ssh-flag", help="A flag passed to ssh.")
    ] = None,
) -> None:
    """Connect to an instance with OpenSSH (port forwarding: ``-- -L 8888:localhost:8888``)."""
    context = context_of(ctx)
    user, name = split_user(target)
    base = f"/compute/v1/projects/{context.project()}"
    with context.api() as api:
        found = resolve(api, base, name, _zone(ctx, zone), user, ssh_key_file, KNOWN_HOSTS)
    argv = ["ssh", "-t" if command is None and sys.stdin.isatty() else "-T", *found.options()]
    argv += [*(ssh_flag or []), *(ssh_args or []), f"{found.user}@{found.address}"]
    if command is not None:
        argv.append(command)
    sys.stdout.flush()
    os.execvp("ssh", argv)


def scp(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="SOURCE... DESTINATION; [USER@]NAME:PATH")],
    zone: ZoneFlag = None,
    recurse: Annotated[bool, typer.Option("--recurse", help="Copy directories.")] = False,
    ssh_key_file: KeyFile = DEFAULT_KEY,
) -> None:
    """Copy files to and from instances with OpenSSH's scp."""
    if len(paths) < 2:
        raise CliError("scp needs at least one source and a destination.")
    context = context_of(ctx)
    base = f"/compute/v1/projects/{context.project()}"
    remote = {path.split(":", 1)[0] for path in paths if _is_remote(path)}
    if len(remote) != 1:
        raise CliError("Exactly one instance must appear as [USER@]INSTANCE:PATH.")
    user, name = split_user(remote.pop())
    with context.api() as api:
        found = resolve(api, base, name, _zone(ctx, zone), user, ssh_key_file, KNOWN_HOSTS)
    translated = [
        f"{found.user}@{found.address}:{path.split(':', 1)[1]}" if _is_remote(path) else path
        for path in paths
    ]
    argv = ["scp", *found.options(), *(["-r"] if recurse else []), *translated]
    sys.stdout.flush()
    os.execvp("scp", argv)


def _is_remote(path: str) -> bool:
    head = path.split(":", 1)[0]
    return ":" in path and "/" not in head and not Path(head).exists()
