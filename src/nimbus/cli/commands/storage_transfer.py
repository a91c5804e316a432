"""``nimbus storage cp``, ``mv``, ``rm`` and ``cat``: moving bytes and removing objects."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import key_values
from nimbus.cli.storage import downloads, listing, plan
from nimbus.cli.storage.customer_keys import (
    DecryptionKeys,
    EncryptionKey,
    ReadingEncryptionKey,
    keys_from_flags,
)
from nimbus.cli.storage.endpoints import Options
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.progress import say
from nimbus.cli.storage.transfer import copy_all, delete_object, run_all
from nimbus.cli.storage.urls import bucket_path, parse

Recursive = Annotated[
    bool, typer.Option("--recursive", "-r", "-R", help="Copy directories and prefixes whole.")
]
Urls = Annotated[list[str], typer.Argument(metavar="SOURCE... DESTINATION", show_default=False)]
NoClobber = Annotated[
    bool, typer.Option("--no-clobber", "-n", help="Skip destinations that already exist.")
]
ContentType = Annotated[
    str | None, typer.Option("--content-type", help="The objects' Content-Type.")
]
CacheControl = Annotated[
    str | None, typer.Option("--cache-control", help="The objects' Cache-Control.")
]
CustomMetadata = Annotated[
    str | None, typer.Option("--custom-metadata", help="KEY=VALUE,... on every object.")
]
_RANGE = re.compile(r"^(\d+-\d*|-\d+)$")


def _options(
    content_type: str | None,
    cache_control: str | None,
    metadata: str | None,
    no_clobber: bool,
    keys: tuple[str | None, str | None],
) -> Options:
    return Options(
        content_type=content_type,
        cache_control=cache_control,
        custom_metadata=key_values(metadata, "--custom-metadata"),
        no_clobber=no_clobber,
        keys=keys_from_flags(*keys),
    )


def _split(urls: list[str]) -> tuple[list[str], str]:
    if len(urls) < 2:
        raise CliError("Give at least one source and a destination.")
    return urls[:-1], urls[-1]


def cp(
    ctx: typer.Context,
    urls: Urls,
    recursive: Recursive = False,
    no_clobber: NoClobber = False,
    content_type: ContentType = None,
    cache_control: CacheControl = None,
    custom_metadata: CustomMetadata = None,
    encryption_key: EncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Copy files to, from and between buckets ('-' is standard input or output)."""
    sources, destination = _split(urls)
    keys = (encryption_key, decryption_keys)
    options = _options(content_type, cache_control, custom_metadata, no_clobber, keys)
    context = context_of(ctx)
    with context.api() as api:
        jobs = plan.plan(api, sources, destination, recursive=recursive)
        copy_all(api, jobs, options, quiet=context.quiet)


def mv(
    ctx: typer.Context,
    urls: Urls,
    no_clobber: NoClobber = False,
    content_type: ContentType = None,
    cache_control: CacheControl = None,
    encryption_key: EncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Move files and objects: copy them, then remove the sources."""
    sources, destination = _split(urls)
    if plan.STDIO in urls:
        raise CliError("mv cannot move standard input or output (-): use cp.")
    keys = (encryption_key, decryption_keys)
    options = _options(content_type, cache_control, None, no_clobber, keys)
    context = context_of(ctx)
    with context.api() as api:
        jobs = plan.plan(api, sources, destination, recursive=True)
        copy_all(api, jobs, options, quiet=context.quiet, move=True)


def rm(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URLS...", show_default=False)],
    recursive: Annotated[
        bool,
        typer.Option("--recursive", "-r", "-R", help="Prefixes whole, and buckets with all in."),
    ] = False,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", "-a", help="Every version, not only the live one.")
    ] = False,
) -> None:
    """Remove objects (wildcards allowed); with -r, prefixes and buckets too."""
    parsed = [parse(url) for url in urls]
    context = context_of(ctx)
    with context.api() as api:
        doomed: list[tuple[Entry, bool]] = []
        buckets: list[str] = []
        for url in parsed:
            if url.is_provider:
                raise CliError("rm needs a bucket or objects, not gs:// itself.")
            if url.is_bucket and not recursive:
                raise CliError(f"{url} is a bucket: use rm -r to remove it with its objects.")
            versions = all_versions or url.is_bucket
            scope = listing.Scope(versions=versions)
            found = listing.matches(api, url, scope=scope)
            objects = [e for e in found if not e.is_container]
            if recursive:
                containers = [e for e in found if e.is_container]
                objects += listing.objects_under(api, containers, scope=scope)
            if url.is_bucket:
                buckets.append(url.bucket)
            elif not objects and found:
                raise CliError(f"{found[0].url()} is a prefix: use rm -r to remove what is in it.")
            elif not objects:
                raise listing.no_match([str(url)])
            exact = versions or url.generation is not None
            doomed.extend((entry, exact) for entry in objects)
        _remove(api, doomed)
        for bucket in buckets:
            output.status(f"Removing gs://{bucket}/...")
            api.delete(bucket_path(bucket))


def _remove(api: Api, doomed: list[tuple[Entry, bool]]) -> None:
    """Each object; ``exact`` ones by generation (that version for good)."""

    def one(item: tuple[Entry, bool]) -> None:
        entry, exact = item
        say(f"Removing {entry.url(versioned=exact)}...")
        delete_object(api, entry, version=exact)

    run_all(api, doomed, one)


def cat(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URLS...", show_default=False)],
    byte_range: Annotated[
        str | None,
        typer.Option("--range", "-r", help="Bytes START-END, START- or -LAST_N only."),
    ] = None,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Print objects' contents on standard output."""
    if byte_range is not None and not _RANGE.match(byte_range):
        raise CliError(f"argument --range: [{byte_range}] is not START-END, START- or -N.")
    keys = keys_from_flags(encryption_key, decryption_keys)
    parsed = [parse(url) for url in urls]
    context = context_of(ctx)
    with context.api() as api:
        for url in parsed:
            if url.is_provider or url.is_bucket:
                raise CliError(f"{url} is not an object.")
            found = [e for e in listing.matches(api, url) if not e.is_container]
            if not found:
                raise listing.no_match([str(url)])
            for entry in found:
                key = keys.for_object(entry.resource, entry.url())
                downloads.download(api, entry, sys.stdout.buffer, byte_range=byte_range, key=key)
