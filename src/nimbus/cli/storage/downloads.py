"""Object bytes to a file or a stream, as they arrive, checked against ``x-goog-hash``.

A file is written to a temporary name beside its destination and renamed into place
only once complete and verified, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.storage.checksums import Crc32c, declared_crc32c, verify
from nimbus.cli.storage.customer_keys import CustomerKey
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.progress import Progress
from nimbus.cli.storage.urls import download_path

READ_SIZE = 1024 * 1024


def download_file(
    api: Api, entry: Entry, path: Path, progress: Progress, key: CustomerKey | None = None
) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"Unable to create the directory [{path.parent}]: {exc.strerror}.") from exc
    try:
        with replacing(path) as temporary, temporary.open("wb") as handle:
            download(api, entry, handle, progress, key=key)
    except OSError as exc:
        raise CliError(f"Unable to write [{path}]: {exc.strerror}.") from exc


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path`` to write to, renamed into its place once the
    block ends well and removed if it does not: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.nimbus-tmp")
    try:
        yield temporary
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def download(
    api: Api,
    entry: Entry,
    out: IO[bytes],
    progress: Progress | None = None,
    byte_range: str | None = None,
    key: CustomerKey | None = None,
) -> None:
    """Write the object's bytes to ``out``; a whole object is verified at its end (an
    encrypted one too: ``x-goog-hash`` is the plaintext's). ``key`` decrypts it."""
    params = {"alt": "media"}
    if entry.generation is not None:
        params["generation"] = entry.generation
    headers = {"Range": f"bytes={byte_range}"} if byte_range else {}
    if key is not None:
        headers.update(key.headers())
    crc = Crc32c()
    path = download_path(entry.bucket, entry.name)
    with api.stream("GET", path, params=params, headers=headers) as response:
        for data in response.iter_raw(READ_SIZE):
            out.write(data)
            crc.update(data)
            if progress is not None:
                progress.advance(len(data))
        partial = response.status_code == 206
        remote = declared_crc32c(response.headers.get("x-goog-hash"))
    out.flush()
    if not partial:
        verify(entry.url(), crc.b64(), remote)
