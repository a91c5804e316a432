"""A file copied to another local path (rsync between two directories), written beside
its destination and renamed into place once whole, as downloads are."""

from __future__ import annotations

import shutil
from pathlib import Path

from nimbus.cli.failures import CliError
from nimbus.cli.storage.downloads import replacing
from nimbus.cli.storage.progress import Progress

READ_SIZE = 1024 * 1024


def copy_file(source: Path, target: Path, progress: Progress) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replacing(target) as temporary:
            with source.open("rb") as reading, temporary.open("wb") as writing:
                while data := reading.read(READ_SIZE):
                    writing.write(data)
                    progress.advance(len(data))
            shutil.copystat(source, temporary)  # the mtime is what the next rsync compares
    except OSError as exc:
        raise CliError(f"Unable to copy [{source}] to [{target}]: {exc.strerror}.") from exc
