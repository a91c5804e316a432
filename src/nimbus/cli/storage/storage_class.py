"""``nimbus storage objects update URL --storage-class=CLASS``: an object changes class
only by being rewritten (onto itself), as ``gcloud storage objects update`` does."""

from __future__ import annotations

from urllib.parse import quote

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.storage import listing
from nimbus.cli.storage.urls import object_path, parse


def rewrite_class(api: Api, url: str, storage_class: str) -> int:
    """Rewrite every live object ``url`` names (wildcards allowed) into the class; the
    number of objects rewritten."""
    entries = listing.matches(api, parse(url, generation=False))
    if not entries:
        raise listing.no_match([url])
    done = 0
    for entry in listing.objects_under(api, entries):
        if entry.resource is None or entry.resource.get("storageClass") == storage_class:
            continue
        source = object_path(entry.bucket, entry.name)
        path = f"{source}/rewriteTo/b/{entry.bucket}/o/{quote(entry.name, safe='')}"
        params: dict[str, str] = {"sourceGeneration": str(entry.generation)}
        while True:
            result = api.request("POST", path, params=params, body={"storageClass": storage_class})
            if result.get("done", True):
                break
            params["rewriteToken"] = str(result["rewriteToken"])
        output.status(f"Updating gs://{entry.bucket}/{entry.name}...")
        done += 1
    return done
