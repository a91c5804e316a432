"""``nimbus storage``: buckets, objects, and moving bytes, in gcloud storage's grammar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.commands import (
    storage_buckets,
    storage_du,
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
from nimbus.cli.storage import bucket_patterns
from nimbus.cli.storage.customer_keys import (
    DecryptionKeys,
    FetchListedHashes,
    ReadingEncryptionKey,
    keys_from_flags,
)
from nimbus.cli.storage.ls import Detail, bucket_lines, buckets_of, url_lines
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
app.command("du")(storage_du.du)
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
    as_json: Annotated[
        bool, typer.Option("--json", "-j", help="All metadata, as one JSON list per URL.")
    ] = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", "-R", help="Every level below.")
    ] = False,
    all_versions: AllVersions = False,
    buckets: Annotated[
        bool, typer.Option("--buckets", "-b", help="The buckets themselves, not their objects.")
    ] = False,
    etag: Annotated[bool, typer.Option("--etag", "-e", help="The etag in -l rows.")] = False,
    readable_sizes: Annotated[
        bool, typer.Option("--readable-sizes", help="Sizes in -l rows as 2.00kiB, 1.50MiB.")
    ] = False,
    soft_deleted: Annotated[
        bool,
        typer.Option(
            "--soft-deleted",
            help="Only soft-deleted objects, each version with #GENERATION (with -b, buckets).",
        ),
    ] = False,
    exhaustive: Annotated[
        bool,
        typer.Option(
            "--exhaustive", help="Accepted as gcloud's: Nimbus listings always read every page."
        ),
    ] = False,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
    fetch_hashes: FetchListedHashes = False,
) -> None:
    """List buckets, or the objects and prefixes in them."""
    del exhaustive  # every listing follows each page token already
    _one_style(full=full, json=as_json, long=long)
    keys = keys_from_flags(encryption_key, decryption_keys)  # refused before any request
    if soft_deleted and all_versions:
        output.status(
            "WARNING: The --all-versions flag has no effect when used with the --soft-deleted"
            " flag. When --soft-deleted is used, all soft-deleted versions of the resource"
            " are returned."
        )
    if buckets and all_versions:
        output.status("WARNING: The --all-versions flag has no effect when listing buckets.")
    detail = Detail(
        long=long,
        full=full,
        json=as_json,
        recursive=recursive,
        all_versions=all_versions,
        buckets=buckets,
        soft_deleted=soft_deleted,
        etag=etag,
        readable_sizes=readable_sizes,
        hashes_with=keys if fetch_hashes else None,
    )
    parsed = [parse(url, bucket_wildcards=True) for url in urls or ["gs://"]]
    context = context_of(ctx)
    with context.api() as api:
        for url in parsed:
            if url.is_provider or (buckets and url.is_bucket):
                _print(bucket_lines(buckets_of(api, context.project, url, detail), detail))
            else:
                _print(url_lines(api, bucket_patterns.expand(api, context.project, url), detail))


def _one_style(**chosen: bool) -> None:
    """-L, -j and -l exclude one another; gcloud names the first of them, in this order,
    and exits 2 as for any misused flag."""
    given = [name for name, on in chosen.items() if on]
    if len(given) > 1:
        raise CliError(
            f"argument --{given[0]}: At most one of --full | --json | --long can be specified.",
            exit_code=2,
        )


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
