"""``nimbus storage objects``: describe, list and update objects' metadata; compose."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.commands import storage_compose
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values, names
from nimbus.cli.listing import narrow
from nimbus.cli.storage import listing, views
from nimbus.cli.storage.customer_keys import (
    DecryptionKeys,
    FetchHashes,
    FetchListedHashes,
    ReadingEncryptionKey,
    keys_from_flags,
)
from nimbus.cli.storage.rewrites import rewrite_objects
from nimbus.cli.storage.urls import object_path, parse, parse_object

app = typer.Typer(
    name="objects", help="Describe, list, update and compose objects.", no_args_is_help=True
)
app.command("compose")(storage_compose.compose)

ObjectUrl = Annotated[str, typer.Argument(metavar="URL", help="The object: gs://BUCKET/OBJECT.")]
Raw = Annotated[
    bool, typer.Option("--raw", help="Show the API's resource rather than gcloud's fields.")
]


def _shown(item: dict[str, Any], raw: bool) -> dict[str, Any]:
    return item if raw else views.object_view(item)


@app.command()
def describe(
    ctx: typer.Context,
    url: ObjectUrl,
    raw: Raw = False,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
    fetch_hashes: FetchHashes = False,
) -> None:
    """Show an object's metadata."""
    target = parse_object(url)
    keys = keys_from_flags(encryption_key, decryption_keys)
    context = context_of(ctx)
    with context.api() as api:
        # gcloud reads the full projection: its fields end with the object's ACL.
        found = listing.get_object(api, target, scope=listing.Scope(full=True))
        assert found is not None
        if fetch_hashes:
            # As gcloud: the first read goes without a key; the key only for the hashes.
            found = listing.with_hashes(api, found, keys, str(target))
    output.show(_shown(found, raw), context.format, "yaml")


@app.command("list")
def list_objects(
    ctx: typer.Context,
    urls: Annotated[
        list[str], typer.Argument(metavar="URLS...", help="Buckets, prefixes or wildcards.")
    ],
    all_versions: Annotated[
        bool, typer.Option("--all-versions", "-a", help="Noncurrent versions too.")
    ] = False,
    raw: Raw = False,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
    encryption_key: ReadingEncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
    fetch_hashes: FetchListedHashes = False,
) -> None:
    """List the objects the URLs name, at any depth."""
    parsed = [parse(url) for url in urls]
    keys = keys_from_flags(encryption_key, decryption_keys)
    context = context_of(ctx)
    found: list[dict[str, Any]] = []
    with context.api() as api:
        for url in parsed:
            if url.is_provider:
                raise CliError("objects list needs a bucket: gs://BUCKET[/PREFIX].")
            scope = listing.Scope(versions=all_versions, full=True)
            entries = listing.matches(api, url, scope=scope)
            if not entries:
                raise listing.no_match([str(url)])
            objects = listing.objects_under(api, entries, scope=scope)
            resources = [e.resource for e in objects if e.resource is not None]
            if fetch_hashes:
                # Unlike describe, an object no key matches is listed as it came.
                resources = [listing.with_hashes(api, item, keys) for item in resources]
            found.extend(_shown(item, raw) for item in resources)
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, "yaml")


@app.command()
def update(
    ctx: typer.Context,
    url: ObjectUrl,
    content_type: Annotated[str | None, typer.Option("--content-type")] = None,
    cache_control: Annotated[str | None, typer.Option("--cache-control")] = None,
    content_disposition: Annotated[str | None, typer.Option("--content-disposition")] = None,
    content_encoding: Annotated[str | None, typer.Option("--content-encoding")] = None,
    content_language: Annotated[str | None, typer.Option("--content-language")] = None,
    custom_time: Annotated[
        str | None,
        typer.Option("--custom-time", help="An RFC 3339 time, e.g. 2024-01-01T00:00:00Z."),
    ] = None,
    update_custom_metadata: Annotated[
        str | None, typer.Option("--update-custom-metadata", help="KEY=VALUE,... to set.")
    ] = None,
    remove_custom_metadata: Annotated[
        str | None, typer.Option("--remove-custom-metadata", help="KEY,... to remove.")
    ] = None,
    clear_custom_metadata: Annotated[
        bool, typer.Option("--clear-custom-metadata", help="Remove all custom metadata.")
    ] = False,
    storage_class: Annotated[
        str | None,
        typer.Option(
            "--storage-class", "-s", help="Rewrite the objects (wildcards allowed) into a class."
        ),
    ] = None,
    encryption_key: Annotated[
        str | None,
        typer.Option(
            "--encryption-key",
            metavar="KEY",
            help="Rewrite the objects under this base64 AES-256 key (it decrypts too).",
        ),
    ] = None,
    decryption_keys: DecryptionKeys = None,
    clear_encryption_key: Annotated[
        bool,
        typer.Option(
            "--clear-encryption-key", help="Rewrite the objects under Google-managed keys."
        ),
    ] = False,
) -> None:
    """Change an object's metadata, or rewrite objects into another storage class or
    under another encryption key."""
    keys = keys_from_flags(encryption_key, decryption_keys, clear=clear_encryption_key)
    if storage_class or keys.encryption or keys.clear:
        metadata_flags = (content_type, cache_control, content_disposition, content_encoding)
        more_flags = (content_language, custom_time, update_custom_metadata, remove_custom_metadata)
        if any(metadata_flags) or any(more_flags) or clear_custom_metadata:
            raise CliError(
                "--storage-class and the encryption flags rewrite objects: "
                "change metadata in another update."
            )
        context = context_of(ctx)
        with context.api() as api:
            rewrite_objects(api, url, storage_class.upper() if storage_class else None, keys)
        return
    target = parse_object(url)
    fields = {
        "contentType": content_type,
        "cacheControl": cache_control,
        "contentDisposition": content_disposition,
        "contentEncoding": content_encoding,
        "contentLanguage": content_language,
        "customTime": custom_time,
    }
    body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    context = context_of(ctx)
    with context.api() as api:
        metadata: dict[str, str | None] = {}
        if clear_custom_metadata:
            current = listing.get_object(api, target) or {}
            metadata.update(dict.fromkeys(current.get("metadata") or {}))
        metadata.update(dict.fromkeys(names(remove_custom_metadata)))
        metadata.update(key_values(update_custom_metadata, "--update-custom-metadata"))
        if metadata:
            body["metadata"] = metadata
        if not body:
            raise CliError("Nothing to update: give at least one flag that changes the object.")
        output.status(f"Updating {target}...")
        params = {"generation": str(target.generation)} if target.generation else None
        updated = api.patch(object_path(target.bucket, target.name), body, params)
    if context.format:
        output.show(_shown(updated, False), context.format, "yaml")
