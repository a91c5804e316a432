"""``nimbus storage objects compose``: one object made of others in its bucket, their
bytes in the order given, without downloading them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.customer_keys import (
    CustomerKey,
    DecryptionKeys,
    EncryptionKey,
    Keys,
    keys_from_flags,
)
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import CloudUrl, object_path, parse, parse_object


def compose(
    ctx: typer.Context,
    urls: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE... DESTINATION",
            help="The objects to concatenate (wildcards and #GENERATION allowed), then "
            "the new object, all in one bucket.",
            show_default=False,
        ),
    ],
    if_generation_match: Annotated[
        int | None,
        typer.Option(
            "--if-generation-match",
            metavar="GENERATION",
            help="Compose only if the destination's live generation is this (0: only if "
            "there is none).",
        ),
    ] = None,
    if_metageneration_match: Annotated[
        int | None,
        typer.Option(
            "--if-metageneration-match",
            metavar="METAGENERATION",
            help="Compose only if the destination's metageneration is this.",
        ),
    ] = None,
    encryption_key: EncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Concatenate objects, in order, into a new object in their bucket.

    At most 32 sources at once; the new object has a CRC32C and no MD5. Under a
    customer key, the key that reads the sources also encrypts the result.
    """
    if len(urls) < 2:
        raise CliError("Give at least one source and a destination.")
    destination = _destination(urls[-1])
    sources = [_source(text, destination) for text in urls[:-1]]
    keys = keys_from_flags(encryption_key, decryption_keys)
    conditions = {
        "ifGenerationMatch": if_generation_match,
        "ifMetagenerationMatch": if_metageneration_match,
    }
    params = {name: str(value) for name, value in conditions.items() if value is not None}
    context = context_of(ctx)
    with context.api() as api:
        parts = [(url, entry) for url in sources for entry in _objects(api, url)]
        key = _key(keys, [entry for _, entry in parts])
        output.status(f"Composing {destination} from {len(parts)} component object(s).")
        made = api.request(
            "POST",
            f"{object_path(destination.bucket, destination.name)}/compose",
            params=params or None,
            body=_request(parts),
            headers=key.headers() if key else None,
        )
    if context.format:
        output.show(made, context.format, "yaml")


def _destination(text: str) -> CloudUrl:
    url = parse_object(text)
    if url.generation is not None:
        raise CliError(
            f"[{text}]: a version-specific URL is not a valid destination, since "
            "composing always makes the newest generation."
        )
    return url


def _source(text: str, destination: CloudUrl) -> CloudUrl:
    url = parse(text)
    if not url.name:
        raise CliError(f"[{text}] does not name an object: expected gs://BUCKET/OBJECT.")
    if url.bucket != destination.bucket:
        raise CliError(
            f"Inter-bucket composing not supported: {url} is not in gs://{destination.bucket}."
        )
    return url


def _objects(api: Api, url: CloudUrl) -> list[Entry]:
    """The objects a source names, in name order."""
    found = listing.matches(api, url)
    objects = [entry for entry in found if not entry.is_container]
    if not objects and found:
        raise CliError(f"{found[0].url()} is a prefix, not an object.")
    if not objects:
        raise listing.no_match([str(url)])
    return objects


def _key(keys: Keys, sources: list[Entry]) -> CustomerKey | None:
    """The key sent with the request: it reads every source and encrypts the result, as
    Cloud Storage composes under one key only."""
    if keys.encryption is not None:
        return keys.encryption
    for entry in sources:
        key = keys.for_object(entry.resource, entry.url())
        if key is not None:
            return key
    return None


def _request(parts: list[tuple[CloudUrl, Entry]]) -> dict[str, Any]:
    """The compose body: each source by name (and generation when its URL gave one);
    the result takes the first source's content type."""
    sources: list[dict[str, Any]] = []
    for url, entry in parts:
        pinned = {"generation": url.generation} if url.generation is not None else {}
        sources.append({"name": entry.name, **pinned})
    content_type = (parts[0][1].resource or {}).get("contentType")
    return {
        "sourceObjects": sources,
        "destination": {"contentType": content_type} if content_type else {},
    }
