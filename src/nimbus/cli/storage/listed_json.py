"""``ls --json``: each listed resource as gcloud dumps it, one JSON list per URL.

gcloud prints an object's or a bucket's metadata as its API client reads the JSON and
writes it back: fields (and the keys of maps) in name order, empty lists and nulls gone,
times rewritten by Python's ``isoformat``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from nimbus.cli.client import Json
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import object_url

# The fields the client reads as times, in objects and buckets and the parts of them.
_TIMES = frozenset(
    {
        "customTime",
        "effectiveTime",
        "hardDeleteTime",
        "lockedTime",
        "retainUntilTime",
        "retentionExpirationTime",
        "softDeleteTime",
        "terminalStorageClassUpdateTime",
        "timeCreated",
        "timeDeleted",
        "timeFinalized",
        "timeStorageClassUpdated",
        "toggleTime",
        "updated",
    }
)
# Maps of the user's own keys and values: a value there is never a time.
_USER_MAPS = frozenset({"metadata", "labels"})


def object_json(resource: Json) -> str:
    """An object, its URL always with its generation."""
    url = object_url(str(resource["bucket"]), str(resource["name"]), resource.get("generation"))
    return _dump({"url": url, "type": "cloud_object", "metadata": _as_read(resource)})


def bucket_json(bucket: Json) -> str:
    return _dump(
        {"url": f"gs://{bucket['name']}/", "type": "cloud_bucket", "metadata": _as_read(bucket)}
    )


def container_json(entry: Entry) -> str:
    """A prefix; or a bucket named by its URL, which gcloud lists without reading it,
    so knows nothing of (``ls -r -j gs://B``'s first item)."""
    kind = "prefix" if entry.name else "unknown"
    return _dump({"url": entry.url(), "type": kind})


def json_list(dumps: Iterable[str]) -> Iterator[str]:
    """The dumps as lines of one JSON list; none at all is one empty line, as gcloud
    prints it."""
    previous = None
    for dump in dumps:
        yield "[" if previous is None else previous + ","
        previous = dump
    if previous is None:
        yield ""
    else:
        yield previous
        yield "]"


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2)


def _as_read(fields: Json) -> Json:
    return {
        key: _value(key, fields[key])
        for key in sorted(fields)
        if fields[key] is not None and fields[key] != []
    }


def _value(key: str, value: Any) -> Any:
    if key in _USER_MAPS and isinstance(value, dict):
        return dict(sorted(value.items()))
    if isinstance(value, dict):
        return _as_read(value)
    if isinstance(value, list):
        return [_as_read(item) if isinstance(item, dict) else item for item in value]
    if key in _TIMES and isinstance(value, str):
        return _time(value)
    return value


def _time(value: str) -> str:
    try:
        return dt.datetime.fromisoformat(value).isoformat()
    except ValueError:
        return value
