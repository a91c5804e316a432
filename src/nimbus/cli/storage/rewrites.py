"""``nimbus storage objects update`` with ``--storage-class``, ``--encryption-key`` or
``--clear-encryption-key``: an object changes class or key only by being rewritten onto
itself, as ``gcloud storage objects update`` does."""

from __future__ import annotations

from urllib.parse import quote

from nimbus.cli import output
from nimbus.cli.client import Api, Json
from nimbus.cli.storage import listing
from nimbus.cli.storage.customer_keys import Keys, key_sha256, rewrite_headers
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import object_path, parse


def rewrite_objects(api: Api, url: str, storage_class: str | None, keys: Keys) -> int:
    """Rewrite every live object ``url`` names (wildcards allowed) into the class and
    under the key asked for; the number of objects rewritten."""
    entries = listing.matches(api, parse(url, generation=False))
    if not entries:
        raise listing.no_match([url])
    done = 0
    for entry in listing.objects_under(api, entries):
        if entry.resource is None:
            continue
        headers = _headers(entry, storage_class, keys)
        if headers is None:
            continue
        source = object_path(entry.bucket, entry.name)
        path = f"{source}/rewriteTo/b/{entry.bucket}/o/{quote(entry.name, safe='')}"
        params: dict[str, str] = {"sourceGeneration": str(entry.generation)}
        body: Json = {"storageClass": storage_class} if storage_class else {}
        while True:
            result = api.request("POST", path, params=params, body=body, headers=headers)
            if result.get("done", True):
                break
            params["rewriteToken"] = str(result["rewriteToken"])
        output.status(f"Updating gs://{entry.bucket}/{entry.name}...")
        done += 1
    return done


def _headers(entry: Entry, storage_class: str | None, keys: Keys) -> dict[str, str] | None:
    """The key headers of the object's rewrite; None if nothing would change.

    The encryption changes if a key was asked for (``--clear-encryption-key`` asks for
    none) and the object's is another. A class change alone keeps the object's key, as
    gcloud means to (it drops it unless a key file names it as the encryption key).
    """
    current = key_sha256(entry.resource)
    wanted = keys.encryption.sha256 if keys.encryption else None
    changing_key = (keys.encryption is not None or keys.clear) and current != wanted
    changing_class = storage_class is not None and (
        storage_class != (entry.resource or {}).get("storageClass")
    )
    if not (changing_key or changing_class):
        return None
    source = keys.for_object(entry.resource, entry.url())
    return rewrite_headers(source, keys.encryption if changing_key else source)
