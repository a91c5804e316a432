"""Fingerprints and etags: short opaque strings that change whenever the value changes."""

from __future__ import annotations

import base64
import hashlib
import secrets

import orjson


def fingerprint_of(value: object) -> str:
    """A fingerprint derived from content, as Compute Engine's label/metadata fingerprints."""
    digest = hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).digest()
    return base64.b64encode(digest[:8]).decode()


def new_etag() -> str:
    """A fresh etag for a versioned write (IAM policies, service accounts)."""
    return base64.b64encode(b"\x07" + secrets.token_bytes(7)).decode()


def same_tag(given: str, current: str) -> bool:
    """Whether the etag or fingerprint a client sent back names the current one. Both
    are bytes in Google's JSON, base64 either way: gcloud returns them in the URL-safe
    alphabet (``B-Wm4p...`` for the ``B+Wm4p...`` it read), and Google takes both."""
    return _standard(given) == _standard(current)


def _standard(tag: str) -> str:
    return tag.replace("-", "+").replace("_", "/").rstrip("=")
