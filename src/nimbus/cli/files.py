"""Files the CLI keeps: written atomically, secrets readable by their owner only."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from nimbus.cli.failures import CliError

PRIVATE = 0o600
PUBLIC = 0o644


def write_atomically(path: Path, text: str, mode: int = PRIVATE) -> None:
    """Replace ``path`` with ``text`` in one step; a reader sees the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: object, mode: int = PRIVATE) -> None:
    write_atomically(path, json.dumps(data, indent=2) + "\n", mode)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from a file the user named; any problem is one clear line."""
    try:
        data = json.loads(path.expanduser().read_text())
    except FileNotFoundError as exc:
        raise CliError(f"Unable to read {what} [{path}]: no such file.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Unable to read {what} [{path}]: {exc}") from exc
    except ValueError as exc:
        raise CliError(f"The {what} [{path}] is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CliError(f"The {what} [{path}] does not hold a JSON object.")
    return data
