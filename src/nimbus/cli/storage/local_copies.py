"""A file copied to another local path (rsync between two directories), written beside
its destination and renamed into place once whole, as downloads are."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from nimbus.cli.failures import CliError
from nimbus.cli.storage.progress import Progress

READ_SIZE = 1024 * 1024


def copy_file(source: Path, target: Path, progress: Progress) -> None:
    temporary = target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}.nimbus-tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as reading, temporary.open("wb") as writing:
            while data := reading.read(READ_SIZE):
                writing.write(data)
                progress.advance(len(data))
        shutil.copystat(source, temporary)  # the mtime is what the next rsync compares
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CliError(f"Unable to copy [{source}] to [{target}]: {exc.strerror}.") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
