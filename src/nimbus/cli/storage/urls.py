"""``gs://`` URLs as gcloud storage reads them, and the API paths they name.

``gs://`` is the provider, ``gs://B`` a bucket, ``gs://B/O`` an object or a prefix, and
``gs://B/O#G`` one generation of an object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from nimbus.cli.failures import CliError

SCHEME = "gs://"
WILDCARDS = frozenset("*?[")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_GENERATION = re.compile(r"^(?P<name>.*)#(?P<generation>\d+)$", re.DOTALL)
_OTHER_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass(frozen=True)
class CloudUrl:
    bucket: str = ""
    name: str = ""
    generation: int | None = None

    @property
    def is_provider(self) -> bool:
        return not self.bucket

    @property
    def is_bucket(self) -> bool:
        return bool(self.bucket) and not self.name

    @property
    def has_wildcard(self) -> bool:
        return has_wildcard(self.name)

    @property
    def has_bucket_wildcard(self) -> bool:
        return has_wildcard(self.bucket)

    def __str__(self) -> str:
        return object_url(self.bucket, self.name, self.generation)


def is_cloud(text: str) -> bool:
    return text.startswith(SCHEME)


def has_wildcard(text: str) -> bool:
    return any(char in WILDCARDS for char in text)


def parse(text: str, *, generation: bool = True, bucket_wildcards: bool = False) -> CloudUrl:
    """A ``gs://`` URL; anything else (or a malformed bucket name) is an error.

    With ``bucket_wildcards`` (the listings: ls, du), the bucket may be a pattern such
    as ``data-*``; one that can match no bucket name then just matches nothing.
    """
    if not is_cloud(text):
        if _OTHER_SCHEME.match(text):
            raise CliError(f"Unsupported URL scheme in [{text}]: only gs:// is supported.")
        raise CliError(f"[{text}] is not a gs:// URL.")
    bucket, _, name = text[len(SCHEME) :].partition("/")
    if not bucket:
        if name:
            raise CliError(f"Invalid bucket name in URL [{text}].")
        return CloudUrl()
    if not (bucket_wildcards and has_wildcard(bucket)) and (
        not _BUCKET.match(bucket) or ".." in bucket
    ):
        raise CliError(f"Invalid bucket name in URL [{text}].")
    number = None
    match = _GENERATION.match(name) if generation else None
    if match:
        name, number = match["name"], int(match["generation"])
    return CloudUrl(bucket, name, number)


def parse_bucket(text: str) -> str:
    """A bucket URL (``gs://B`` or ``gs://B/``), for the buckets commands."""
    url = parse(text, generation=False)
    if url.is_provider or url.name:
        raise CliError(f"[{text}] does not name a bucket: expected gs://BUCKET.")
    return url.bucket


def parse_object(text: str) -> CloudUrl:
    url = parse(text)
    if not url.name:
        raise CliError(f"[{text}] does not name an object: expected gs://BUCKET/OBJECT.")
    if url.has_wildcard:
        raise CliError(f"[{text}] has a wildcard; name one object.")
    return url


def object_url(bucket: str, name: str = "", generation: int | str | None = None) -> str:
    if not bucket:
        return SCHEME
    url = f"{SCHEME}{bucket}/{name}"
    return f"{url}#{generation}" if generation is not None else url


def bucket_path(bucket: str) -> str:
    return f"/storage/v1/b/{bucket}"


def object_path(bucket: str, name: str) -> str:
    return f"{bucket_path(bucket)}/o/{quote(name, safe='')}"


def upload_path(bucket: str) -> str:
    return f"/upload{bucket_path(bucket)}/o"


def download_path(bucket: str, name: str) -> str:
    return f"/download{object_path(bucket, name)}"
