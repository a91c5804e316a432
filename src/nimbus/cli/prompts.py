"""Confirmation before destructive commands, as gcloud asks it."""

from __future__ import annotations

import sys

from nimbus.cli.failures import CliError


def confirm(message: str, *, quiet: bool) -> None:
    """Go on if the user agrees (or said --quiet); without a terminal, only with --quiet."""
    if quiet:
        return
    if not sys.stdin.isatty():
        raise CliError("This command needs confirmation and there is no terminal: add --quiet.")
    sys.stderr.write(f"{message}\n\nDo you want to continue (Y/n)?  ")
    sys.stderr.flush()
    try:
        answer = input().strip().lower()
    except EOFError:
        answer = "n"
    if answer not in ("", "y", "yes"):
        raise CliError("Aborted by user.")
