"""Running ``nimbus`` as typed at a shell, and what every run must look like."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def nimbus(cli: Cli, command_line: str, **options: object) -> CliResult:
    """``nimbus(cli, "projects list --format=json")`` runs ``nimbus projects list ...``."""
    return cli(*shlex.split(command_line), **options)


def succeeded(result: CliResult) -> CliResult:
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def ok(cli: Cli, command_line: str, **options: object) -> CliResult:
    return succeeded(nimbus(cli, command_line, **options))


def failed_in_one_line(result: CliResult, command: str) -> str:
    """The error line of a failed run of ``command`` (e.g. ``projects.describe``)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ERROR: (nimbus.{command}) "), lines[0]
    return lines[0]
