"""A request as a signature check sees it, and the pieces every signing version shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from nimbus.services.iam.keys_crypto import public_key_of

SIGNATURE = "x-goog-signature"


@dataclass(frozen=True)
class SignedRequest:
    """A request as it arrived. ``path`` is decoded (``/bucket/a b``); ``raw_path``, when
    known, is the path exactly as sent, accepted too if the signer encoded it so."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    raw_path: str | None = None

    @classmethod
    def of(
        cls,
        method: str,
        path: str,
        query: Iterable[tuple[str, str]],
        headers: Iterable[tuple[str, str]],
        raw_path: str | None = None,
    ) -> SignedRequest:
        return cls(method.upper(), path, tuple(query), tuple(headers), raw_path)

    def param(self, name: str) -> str | None:
        """A query parameter by case-insensitive name (the first, if repeated)."""
        wanted = name.lower()
        return next((v for k, v in self.query if k.lower() == wanted), None)

    @property
    def path_forms(self) -> list[str]:
        """The path as a signer may have written it: canonically encoded, or as sent."""
        forms = [canonical_uri(self.path)]
        if self.raw_path and self.raw_path not in forms:
            forms.append(self.raw_path)
        return forms

    @property
    def is_signed(self) -> bool:
        """Signed the V4 way (``X-Goog-Signature``) or the V2 way (``Signature``)."""
        return any(
            self.param(name) is not None
            for name in (SIGNATURE, "x-goog-algorithm", "GoogleAccessId", "Signature")
        )


def canonical_uri(path: str) -> str:
    """Each path segment percent-encoded, RFC 3986 unreserved characters kept."""
    return quote(path, safe="/~")


def signed_header_values(
    headers: Iterable[tuple[str, str]], signed: tuple[str, ...]
) -> dict[str, str]:
    """The signed headers' values: trimmed, inner runs of whitespace collapsed,
    repeated headers joined with commas."""
    found: dict[str, list[str]] = {name: [] for name in signed}
    for name, value in headers:
        key = name.strip().lower()
        if key in found:
            found[key].append(" ".join(value.split()))
    return {name: ",".join(values) for name, values in found.items()}


class Certificates(Protocol):
    """Where RSA signatures are checked from (``iam.keys.Keys``)."""

    def signing_certificates(self, email: str) -> list[str]: ...


def rsa_signed(keys: Certificates, email: str, signature: bytes, candidates: list[str]) -> bool:
    """Whether one of the account's keys made ``signature`` (PKCS#1 v1.5, SHA-256) over
    one of the strings the request may have been signed as."""
    for pem in keys.signing_certificates(email):
        public_key = public_key_of(pem)
        for candidate in candidates:
            try:
                public_key.verify(
                    signature, candidate.encode(), padding.PKCS1v15(), hashes.SHA256()
                )
            except InvalidSignature:
                continue
            return True
    return False
