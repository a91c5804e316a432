"""``nimbus storage``: buckets, objects, and moving bytes, in gcloud storage's grammar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.commands import (
    storage_buckets,
    storage_hash,
    storage_hmac,
    storage_managed_folders,
    storage_objects,
    storage_rsync,
    storage_sign_url,
    storage_transfer,
)
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.customer_keys import (
    DecryptionKeys,
    FetchListedHashes,
    ReadingEncryptionKey,
    keys_from_flags,
)
from nimbus.cli.storage.ls import Detail, bucket_lines, url_lines
from nimbus.cli.storage.urls import SCHEME, bucket_path, object_path, parse

app = typer.Typer(
    name="storage", help="Manage Cloud Storage buckets and objects.", no_args_is_help=True
)
app.add_typer(storage_buckets.app)
app.add_typer(storage_objects.app)
app.add_typer(storage_managed_folders.app)
app.add_typer(storage_hmac.app)
app.command("cp")(storage_transfer.cp)
app.command("mv")(storage_transfer.mv)
app.command("rm")(storage_transfer.rm)
app.command("cat")(storage_transfer.cat)
app.command("rsync")(storage_rsync.rsync)
app.command("hash")(storage_hash.hash_urls)
app.command("sign-url")(storage_sign_url.sign_url)

OptionalUrls = Annotated[list[str] | None, typer.Argument(metavar="[URLS]...")]
AllVersions = Annotated[
    bool, typer.Option("--all-versions", "-a", help="Noncurrent versions too, with #GENERATION.")
]


@app.command()
def ls(
    ctx: typer.Context,
    urls: OptionalUrls = None,
    long: Annotated[bool, typer.Option("--long", "-l", help="Size and creation time.")] = False,
    full: Annotated[bool, typer.Option("--full", "-L", help="All metadata.")] = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", "-R", help="Every level below.")
    ] = False,
    all_versions: AllVersions = False,
    buckets: Annotated[
        bool, typer.Option("--buckets", "-b", help="The buckets themselves, not their objects.")
    ] = False,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
    fetch_hashes: FetchListedHashes = False,
) -> None:
    """List buckets, or the objects and prefixes in them."""
    keys = keys_from_flags(encryption_key, decryption_keys)  # refused before any request
    detail = Detail(
        long=long,
        full=full,
        recursive=recursive,
        all_versions=all_versions,
        hashes_with=keys if fetch_hashes else None,
    )
    parsed = [parse(url) for url in urls or ["gs://"]]
    context = context_of(ctx)
    with context.api() as api:
        for url in parsed:
            if url.is_provider:
                found = api.pages("/storage/v1/b", "items", {"project": context.project()})
                _print(bucket_lines(found, detail))
            elif buckets and url.is_bucket:
                _print(bucket_lines([listing.require_bucket(api, url.bucket)], detail))
            else:
                _print(url_lines(api, url, detail))


@app.command()
def restore(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL", help="gs://BUCKET#GENERATION, or gs://BUCKET/OBJECT#GENERATION."
        ),
    ],
) -> None:
    """Restore a soft-deleted bucket (its objects stay soft-deleted) or object."""
    bucket, _, number = url.rstrip("/").rpartition("#")
    target = parse(url) if "/" in url.removeprefix(SCHEME) else parse(bucket)
    if target.is_provider or not number.isdigit():
        raise CliError(f"[{url}] names no generation: expected gs://BUCKET#GENERATION.")
    path = object_path(target.bucket, target.name) if target.name else bucket_path(target.bucket)
    context = context_of(ctx)
    with context.api() as api:
        restored = api.request("POST", f"{path}/restore", params={"generation": number})
    output.show(restored, context.format, "yaml")


def _print(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


@app.command()
def du(
    ctx: typer.Context,
    urls: OptionalUrls = None,
    summarize: Annotated[
        bool, typer.Option("--summarize", "-s", help="Only a total for each URL.")
    ] = False,
    total: Annotated[bool, typer.Option("--total", "-c", help="A grand total at the end.")] = False,
    all_versions: AllVersions = False,
) -> None:
    """Show the bytes used by objects."""
    context = context_of(ctx)
    grand = 0
    with context.api() as api:
        targets = [parse(url) for url in urls or []]
        if not targets:
            found = api.pages("/storage/v1/b", "items", {"project": context.project()})
            targets = [parse(f"gs://{bucket['name']}") for bucket in found]
        for url in targets:
            if url.is_provider:
                raise CliError("du needs buckets or objects, not gs:// itself.")
            entries = listing.matches(api, url, versions=all_versions)
            if not entries:
                raise listing.no_match([str(url)])
            subtotal = 0
            for entry in listing.objects_under(api, entries, versions=all_versions):
                subtotal += entry.size
                if not summarize:
                    print(f"{entry.size:<10}  {entry.url(versioned=all_versions)}")
            if summarize:
                print(f"{subtotal:<10}  {url}")
            grand += subtotal
    if total:
        print(f"{grand:<10}  total")
