"""``nimbus storage hash``: the CRC32C and MD5 of local files, computed in one streamed
read, and of objects, from their metadata (nothing is downloaded), printed as gcloud
storage prints them: one document per file or object."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.checksums import CRC32C, MD5, as_hex, file_checksums
from nimbus.cli.storage.customer_keys import (
    DecryptionKeys,
    Keys,
    ReadingEncryptionKey,
    keys_from_flags,
)
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import CloudUrl, has_wildcard, is_cloud, parse

# gcloud's keys for each kind of digest.
_SHOWN_AS = {CRC32C: "crc32c_hash", MD5: "md5_hash"}


def hash_urls(
    ctx: typer.Context,
    urls: Annotated[
        list[str],
        typer.Argument(
            metavar="URLS...",
            help="Local files or gs:// objects (wildcards allowed).",
            show_default=False,
        ),
    ],
    hex_digests: Annotated[
        bool, typer.Option("--hex", help="Digests in hex rather than base64.")
    ] = False,
    skip_crc32c: Annotated[
        bool, typer.Option("--skip-crc32c", help="Leave out the CRC32C.")
    ] = False,
    skip_md5: Annotated[bool, typer.Option("--skip-md5", help="Leave out the MD5.")] = False,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Show the CRC32C and MD5 of local files or objects.

    An object's come from its metadata, as `storage ls -L` shows them: no download.
    """
    if skip_crc32c and skip_md5:
        raise CliError(
            "argument --skip-crc32c: At most one of --skip-crc32c | --skip-md5 can be specified."
        )
    kinds = [kind for kind, skip in ((CRC32C, skip_crc32c), (MD5, skip_md5)) if not skip]
    keys = keys_from_flags(encryption_key, decryption_keys)
    clouds = {text: parse(text) for text in urls if is_cloud(text)}
    context = context_of(ctx)
    objects: dict[str, list[Entry]] = {}
    if clouds:  # local files alone need no server
        with context.api() as api:
            objects = {text: _objects(api, url, keys) for text, url in clouds.items()}
    found: list[tuple[str, list[Entry] | list[str]]] = [
        (text, objects[text] if text in objects else _files(text)) for text in urls
    ]
    missing = [text for text, items in found if not items]
    if missing:
        raise listing.no_match(missing)
    shown = [_hashes(item, kinds, hex_digests) for _, items in found for item in items]
    output.show([item for item in shown if item is not None], context.format, "yaml")


def _objects(api: Api, url: CloudUrl, keys: Keys) -> list[Entry]:
    """The objects ``url`` names; a bucket's are those at its top level, as gcloud's.
    An object under a customer key is read again with its key, when given, for its
    hashes."""
    if url.is_provider:
        raise CliError("hash needs buckets or objects, not gs:// itself.")
    if url.is_bucket:
        listing.require_bucket(api, url.bucket)
        entries = list(listing.level(api, url.bucket, ""))
    else:
        entries = listing.matches(api, url)
    return [
        Entry(entry.bucket, entry.name, listing.with_hashes(api, entry.resource, keys))
        for entry in entries
        if entry.resource is not None
    ]


def _files(text: str) -> list[str]:
    """The files a local path or pattern names, as given or as the pattern finds them
    (directories are not hashed)."""
    if Path(text).expanduser().exists() or not has_wildcard(text):
        paths = [text]
    else:
        paths = sorted(glob.glob(str(Path(text).expanduser()), recursive=True))  # noqa: PTH207
    return [found for found in paths if Path(found).expanduser().is_file()]


def _hashes(item: str | Entry, kinds: list[str], hex_digests: bool) -> dict[str, Any] | None:
    """One document: the digests asked for that exist (a composite object has no MD5)."""
    if isinstance(item, Entry):
        url, resource = item.url(), item.resource or {}
        digests = {kind: str(resource[kind]) for kind in kinds if resource.get(kind)}
        if not digests:
            output.status(f"WARNING: No hashes found for {url}")
            return None
    else:
        url, digests = item, _file_hashes(Path(item).expanduser(), kinds)
    shown = {_SHOWN_AS[k]: as_hex(v) if hex_digests else v for k, v in digests.items()}
    return {"digest_format": "hex" if hex_digests else "base64", "url": url, **shown}


def _file_hashes(path: Path, kinds: list[str]) -> dict[str, str]:
    try:
        return file_checksums(path, kinds)
    except OSError as exc:
        raise CliError(f"Could not read {path}: {exc.strerror or exc}.") from exc
