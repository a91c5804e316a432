"""Customer-supplied encryption keys (CSEK) as ``gcloud storage`` takes them:
``--encryption-key`` for what is written, ``--decryption-keys`` (and the encryption key
itself) for what is read, each picked by the SHA-256 an object's metadata shows.

Keys are checked before any request is made; a key is never echoed back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Annotated

import typer

from nimbus.cli.client import Json
from nimbus.cli.failures import CliError
from nimbus.cli.flags import names

ALGORITHM = "AES256"
_KEY_BYTES = 32

EncryptionKey = Annotated[
    str | None,
    typer.Option(
        "--encryption-key",
        metavar="KEY",
        help="A base64 AES-256 key that encrypts what is written; it decrypts too.",
    ),
]
# Read-only commands take it as gcloud does (hidden): it only decrypts there.
ReadingEncryptionKey = Annotated[str | None, typer.Option("--encryption-key", hidden=True)]
DecryptionKeys = Annotated[
    str | None,
    typer.Option(
        "--decryption-keys",
        metavar="KEY[,KEY...]",
        help="Base64 AES-256 keys that decrypt objects, picked by their SHA-256.",
    ),
]
# gcloud's two wordings: a GET hides the hashes of an object under a customer key, and
# so does a list, for every such object (one more request each).
FetchHashes = Annotated[
    bool,
    typer.Option(
        "--fetch-encrypted-object-hashes",
        help="An object under a customer key comes without hashes: if a matching key "
        "is given, read it again with the key to show them.",
    ),
]
FetchListedHashes = Annotated[
    bool,
    typer.Option(
        "--fetch-encrypted-object-hashes",
        help="A list leaves out the hashes of objects under customer keys: fetch each "
        "such object again with its matching key, one request per object.",
    ),
]


@dataclass(frozen=True)
class CustomerKey:
    key: str = field(repr=False)  # base64, as the headers carry it
    sha256: str  # base64, as ``customerEncryption.keySha256`` shows it

    def headers(self, *, source: bool = False) -> dict[str, str]:
        """The key's headers; ``source`` names a rewrite's source object."""
        prefix = "x-goog-copy-source-encryption-" if source else "x-goog-encryption-"
        return {
            f"{prefix}algorithm": ALGORITHM,
            f"{prefix}key": self.key,
            f"{prefix}key-sha256": self.sha256,
        }


def rewrite_headers(source: CustomerKey | None, destination: CustomerKey | None) -> dict[str, str]:
    """A rewrite's key headers: the key that reads its source, the one that encrypts
    its destination (none for Google's own keys)."""
    headers = source.headers(source=True) if source else {}
    return headers | (destination.headers() if destination else {})


def parse_key(text: str, flag: str) -> CustomerKey:
    if text.startswith("projects/") and "/cryptoKeys/" in text:
        raise CliError(f"argument {flag}: Cloud KMS keys are not supported: give a CSEK.")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES:
        raise CliError(f"argument {flag}: a key must be 32 bytes (AES-256), base64-encoded.")
    sha256 = base64.b64encode(hashlib.sha256(raw).digest()).decode()
    return CustomerKey(base64.b64encode(raw).decode(), sha256)


def key_sha256(resource: Json | None) -> str | None:
    """The SHA-256 of the key an object is encrypted with; None for other objects."""
    encryption = (resource or {}).get("customerEncryption") or {}
    sha256 = encryption.get("keySha256")
    return str(sha256) if sha256 else None


@dataclass(frozen=True)
class Keys:
    """The keys a command was given."""

    encryption: CustomerKey | None = None
    decryption: dict[str, CustomerKey] = field(default_factory=dict)  # by SHA-256
    clear: bool = False  # ``--clear-encryption-key``: write under Google's keys

    def for_object(
        self, resource: Json | None, url: str, *, missing_ok: bool = False
    ) -> CustomerKey | None:
        """The key that reads an object: None if it needs none; an error if none given
        matches (gcloud's wording), or None with ``missing_ok``."""
        sha256 = key_sha256(resource)
        if sha256 is None:
            return None
        found = self.decryption.get(sha256)
        if found is None and not missing_ok:
            raise CliError(
                f"Missing decryption key with SHA256 hash {sha256}. "
                f"No decryption key matches object {url}."
            )
        return found


def keys_from_flags(
    encryption_key: str | None, decryption_keys: str | None, *, clear: bool = False
) -> Keys:
    given = parse_key(encryption_key, "--encryption-key") if encryption_key else None
    readers = [parse_key(text, "--decryption-keys") for text in names(decryption_keys)]
    # As in gcloud: the encryption key decrypts too, and --clear-encryption-key wins.
    readers += [given] if given else []
    return Keys(None if clear else given, {key.sha256: key for key in readers}, clear)
