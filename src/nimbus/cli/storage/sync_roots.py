"""What rsync's SOURCE and DESTINATION hold: a local directory, a bucket or a prefix
("subdirectory"), each read as a map from names relative to it to files or objects.

Without ``recursive`` only the top level counts: files directly in the directory,
objects directly under the prefix. Objects named like directories (``dir/``) are
placeholders, not content, and are left out as empty directories are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.endpoints import LocalFile
from nimbus.cli.storage.listing import DELIMITER, Entry
from nimbus.cli.storage.urls import CloudUrl, has_wildcard, is_cloud, parse

Found = LocalFile | Entry


@dataclass(frozen=True)
class LocalRoot:
    directory: Path

    def __str__(self) -> str:
        return f"file://{self.directory}"

    def target(self, relative: str) -> LocalFile:
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith("/") or any(p in ("..", ".") for p in parts):
            raise CliError(f"Refusing to write [{relative}] outside of [{self.directory}].")
        return LocalFile(self.directory.joinpath(*parts))


@dataclass(frozen=True)
class CloudRoot:
    bucket: str
    prefix: str  # "" for the bucket, else ending in "/"

    def __str__(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}"

    def target(self, relative: str) -> CloudUrl:
        return CloudUrl(self.bucket, self.prefix + relative)


Root = LocalRoot | CloudRoot


def root_of(text: str) -> Root:
    """A SOURCE or DESTINATION argument; wildcards are refused, as gcloud refuses them."""
    if has_wildcard(text.removeprefix("gs://") if is_cloud(text) else text):
        raise CliError(f"rsync takes directories, buckets and prefixes, not wildcards: [{text}].")
    if not is_cloud(text):
        return LocalRoot(Path(text).expanduser())
    url = parse(text, generation=False)
    if url.is_provider:
        raise CliError("rsync needs a bucket or a prefix in it, not gs:// itself.")
    name = url.name.rstrip(DELIMITER)
    return CloudRoot(url.bucket, name + DELIMITER if name else "")


def contents(api: Api, root: Root, *, recursive: bool, source: bool) -> dict[str, Found]:
    """Everything under ``root`` by relative name. A SOURCE must exist (a prefix exists
    only by what it holds); a DESTINATION may be missing (it is made) or empty."""
    if isinstance(root, LocalRoot):
        found: dict[str, Found] = dict(_files(root.directory, recursive, source))
    else:
        listing.require_bucket(api, root.bucket)
        found = dict(_objects(api, root, recursive))
    if source and not found and isinstance(root, CloudRoot) and root.prefix:
        raise listing.no_match([str(root)])
    return found


def _files(directory: Path, recursive: bool, source: bool) -> Iterator[tuple[str, LocalFile]]:
    if not directory.exists():
        if source:
            raise CliError(f"{directory} does not exist: rsync needs a directory to read.")
        return
    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory: rsync synchronizes directories.")
    for top, directories, files in os.walk(directory):
        if not recursive:
            directories.clear()
        for name in files:
            path = Path(top) / name
            if path.is_file():  # not a broken link, a socket or a FIFO
                yield path.relative_to(directory).as_posix(), LocalFile(path)


def _objects(api: Api, root: CloudRoot, recursive: bool) -> Iterator[tuple[str, Entry]]:
    if recursive:
        listed = listing.everything(api, root.bucket, root.prefix)
    else:
        listed = listing.level(api, root.bucket, root.prefix)
    for entry in listed:
        relative = entry.name[len(root.prefix) :]
        if not entry.is_container and relative and not relative.endswith(DELIMITER):
            yield relative, entry
