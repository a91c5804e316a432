"""``cp`` and ``mv`` arguments as transfers: which sources, to which destinations.

gcloud's naming rules: a destination that is a bucket, ends in ``/``, already holds
things, or receives several sources is a container, and each source keeps its name
inside it. Otherwise a single file is renamed to the destination, and a single
directory (with ``-r``) has its contents put under the destination's name.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.endpoints import Job, LocalFile, Source, Stdio
from nimbus.cli.storage.listing import DELIMITER, Entry
from nimbus.cli.storage.urls import CloudUrl, bucket_path, has_wildcard, is_cloud, parse

STDIO = "-"


@dataclass(frozen=True)
class Item:
    """An expanded source and its name under a destination container. ``nested`` items
    came from a directory or prefix, whose name is the first part of ``relative``."""

    source: Source
    relative: str
    nested: bool = False


def plan(api: Api, sources: list[str], destination: str, *, recursive: bool) -> list[Job]:
    items = [item for text in sources for item in expand(api, text, recursive=recursive)]
    several = len(sources) > 1 or any(has_wildcard(text) for text in sources)
    if destination == STDIO:
        return [_to_stdout(item) for item in items]
    if is_cloud(destination):
        return _to_cloud(api, items, parse(destination, generation=False), several)
    return _to_local(items, destination, several)


def expand(api: Api, text: str, *, recursive: bool) -> list[Item]:
    if text == STDIO:
        return [Item(Stdio(), STDIO)]
    if is_cloud(text):
        return _cloud_items(api, parse(text), recursive)
    return _local_items(text, recursive)


def _cloud_items(api: Api, url: CloudUrl, recursive: bool) -> list[Item]:
    if url.is_provider:
        raise CliError("Copying a provider URL (gs://) is not supported: name a bucket.")
    items: list[Item] = []
    omitted: list[str] = []
    for entry in listing.matches(api, url):
        if not entry.is_container:
            items.append(Item(entry, PurePosixPath(entry.name).name or entry.name))
        elif recursive:
            items.extend(_prefix_items(api, entry))
        else:
            omitted.append(entry.url())
    if omitted and not items:
        raise CliError(f"Omitting {omitted[0]}: it is a container. Did you mean to do cp -r?")
    if not items and not omitted:
        raise listing.no_match([str(url)])
    return items


def _prefix_items(api: Api, container: Entry) -> Iterator[Item]:
    base = container.name.rstrip(DELIMITER).rpartition(DELIMITER)[2] or container.bucket
    for entry in listing.everything(api, container.bucket, container.name):
        yield Item(entry, f"{base}/{entry.name[len(container.name) :]}", nested=True)


def _local_items(text: str, recursive: bool) -> list[Item]:
    path = Path(text).expanduser()
    if path.exists() or not has_wildcard(text):
        paths = [path]
    else:
        paths = [Path(found) for found in sorted(glob.glob(str(path), recursive=True))]  # noqa: PTH207
    items: list[Item] = []
    for found in paths:
        if found.is_dir():
            if not recursive:
                raise CliError(f"Omitting directory {found}: did you mean to do cp -r?")
            items.extend(_directory_items(found))
        elif found.exists():
            items.append(Item(LocalFile(found), found.name))
    if not items:
        if paths and all(p.is_dir() for p in paths):
            return []
        raise listing.no_match([text])
    return items


def _directory_items(directory: Path) -> Iterator[Item]:
    base = directory.resolve().name
    for root, directories, files in os.walk(directory):
        directories.sort()
        for name in sorted(files):
            path = Path(root) / name
            relative = path.relative_to(directory).as_posix()
            yield Item(LocalFile(path), f"{base}/{relative}", nested=True)


def _to_stdout(item: Item) -> Job:
    if not isinstance(item.source, Entry):
        raise CliError("Only objects can be copied to standard output (-).")
    return Job(item.source, Stdio())


def _to_cloud(api: Api, items: list[Item], url: CloudUrl, several: bool) -> list[Job]:
    if url.is_provider:
        raise CliError("The destination must name a bucket: gs://BUCKET[/NAME].")
    if url.has_wildcard:
        raise CliError(f"The destination URL [{url}] cannot contain wildcards.")
    container = (
        url.is_bucket
        or url.name.endswith(DELIMITER)
        or several
        or (not _single_stream(items) and _holds_objects(api, url))
    )
    jobs = []
    for item in items:
        name = _target_name(url.name, item, container)
        if not name or (name.endswith(DELIMITER) and isinstance(item.source, LocalFile)):
            raise CliError(f"Cannot name an object after [{item.source}] in {url}.")
        target = CloudUrl(url.bucket, name)
        if isinstance(item.source, Entry) and _same(item.source, target):
            raise CliError(f"Source and destination are the same object: {target}.")
        jobs.append(Job(item.source, target))
    return jobs


def _single_stream(items: list[Item]) -> bool:
    return len(items) == 1 and isinstance(items[0].source, Stdio)


def _holds_objects(api: Api, url: CloudUrl) -> bool:
    """Whether ``gs://B/NAME/`` already has something in it (a "directory")."""
    prefix = url.name.rstrip(DELIMITER) + DELIMITER
    page = api.get(f"{bucket_path(url.bucket)}/o", {"prefix": prefix, "maxResults": 1})
    return bool(page.get("items") or page.get("prefixes"))


def _same(entry: Entry, target: CloudUrl) -> bool:
    return entry.bucket == target.bucket and entry.name == target.name


def _to_local(items: list[Item], destination: str, several: bool) -> list[Job]:
    root = Path(destination).expanduser()
    container = destination.endswith(("/", os.sep)) or root.is_dir() or several
    jobs = []
    for item in items:
        if isinstance(item.source, Stdio):
            raise CliError("Standard input (-) can only be copied to a gs:// URL.")
        if isinstance(item.source, LocalFile):
            raise CliError("Copying between local files is not supported: use cp.")
        if item.source.name.endswith(DELIMITER):
            continue  # a "directory" placeholder object: the directory is made anyway
        relative = _target_name("", item, container)
        if not container and not item.nested:
            jobs.append(Job(item.source, LocalFile(root)))
            continue
        jobs.append(Job(item.source, LocalFile(_inside(root, relative, item.source))))
    return jobs


def _inside(root: Path, relative: str, source: Entry) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or any(part in ("..", ".") for part in parts) or relative.startswith("/"):
        raise CliError(f"Refusing to write {source.url()} outside of [{root}].")
    return root.joinpath(*parts)


def _target_name(base: str, item: Item, container: bool) -> str:
    if container:
        return _join(base, item.relative)
    if item.nested:
        return _join(base, item.relative.partition("/")[2])
    return base


def _join(base: str, name: str) -> str:
    if not base:
        return name
    return base + name if base.endswith(DELIMITER) else f"{base}/{name}"
