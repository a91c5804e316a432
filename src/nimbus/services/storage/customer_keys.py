"""Customer-supplied encryption keys (CSEK): checking a request's key against an
object's, and the cipher that keeps the object's bytes at rest.

Nimbus keeps only the key's SHA-256, never the key. Bytes are AES-256 in CTR mode
with a random 16-byte nonce per stored byte sequence, so a range read decrypts from
any offset without reading what comes before. Checksums are of the plaintext, as
Cloud Storage reports them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from nimbus.core.errors import InvalidArgument

ALGORITHM = "AES256"
_BLOCK = 16


class CustomerKeyError(InvalidArgument):
    """A 400 whose ``reason`` names the failure (the XML API's code is its
    capitalized form)."""


class AlgorithmInvalid(CustomerKeyError):
    reason = "customerEncryptionAlgorithmIsInvalid"


class KeyFormatInvalid(CustomerKeyError):
    reason = "customerEncryptionKeyFormatIsInvalid"


class KeySha256Invalid(CustomerKeyError):
    reason = "customerEncryptionKeySha256IsInvalid"


class KeyIncorrect(CustomerKeyError):
    reason = "customerEncryptionKeyIsIncorrect"


class KeyRequired(CustomerKeyError):
    reason = "resourceIsEncryptedWithCustomerEncryptionKey"


class KeyNotExpected(CustomerKeyError):
    reason = "resourceNotEncryptedWithCustomerEncryptionKey"


@dataclass(frozen=True)
class CustomerKey:
    """A key as a request gave it, checked against its hash."""

    key: bytes = field(repr=False)
    sha256: str  # base64, as ``customerEncryption.keySha256`` shows it


def parse_key(
    algorithm: str | None, key_b64: str | None, sha256_b64: str | None
) -> CustomerKey | None:
    """The key of the three ``x-goog-[copy-source-]encryption-*`` headers; None if
    none is given."""
    if algorithm is None and key_b64 is None and sha256_b64 is None:
        return None
    if algorithm != ALGORITHM:
        raise AlgorithmInvalid(
            'Missing an encryption algorithm, or the provided algorithm is not "AES256".'
        )
    key = _b64(key_b64)
    if key is None or len(key) != 32:
        raise KeyFormatInvalid(
            "Missing an encryption key, or it is not Base64 encoded, or it does not meet "
            "the required length of the encryption algorithm."
        )
    digest = hashlib.sha256(key).digest()
    if _b64(sha256_b64) != digest:
        raise KeySha256Invalid(
            "Missing a SHA256 hash of the encryption key, or it is not base64 encoded, or "
            "it does not match the encryption key."
        )
    return CustomerKey(key, base64.b64encode(digest).decode())


def _b64(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def unlock(key_sha256: str | None, key: CustomerKey | None, *, required: bool = True) -> None:
    """Whether ``key`` opens what ``key_sha256`` (None: no customer key) protects.
    ``required`` is for the bytes; metadata may be read without the key."""
    if key_sha256 is None:
        if key is not None:
            raise KeyNotExpected(
                "The target object is not encrypted by a customer-supplied encryption key."
            )
        return
    if key is None:
        if required:
            raise KeyRequired(
                "The target object is encrypted by a customer-supplied encryption key."
            )
        return
    if key.sha256 != key_sha256:
        raise KeyIncorrect("The provided encryption key is incorrect.")


def new_nonce() -> bytes:
    return secrets.token_bytes(_BLOCK)


def cipher_at(key: bytes, nonce: bytes, offset: int) -> CipherContext:
    """AES-256-CTR positioned at byte ``offset`` of the stream (encrypting and
    decrypting are the same operation)."""
    block, skip = divmod(offset, _BLOCK)
    counter = (int.from_bytes(nonce, "big") + block) % (1 << 128)
    context = Cipher(algorithms.AES(key), modes.CTR(counter.to_bytes(_BLOCK, "big"))).encryptor()
    if skip:
        context.update(bytes(skip))
    return context


def crypt_chunks(
    chunks: Iterable[bytes], key: bytes, nonce: bytes, offset: int = 0
) -> Iterator[bytes]:
    """``chunks`` (starting at byte ``offset``) through the cipher."""
    context = cipher_at(key, nonce, offset)
    for chunk in chunks:
        yield context.update(chunk)


@dataclass(frozen=True)
class Sealing:
    """How a generation's bytes are kept: under which key (its hash) and nonce."""

    key_sha256: str
    nonce: bytes

    @classmethod
    def new(cls, key: CustomerKey) -> Sealing:
        return cls(key.sha256, new_nonce())

    @classmethod
    def of(cls, key_sha256: str | None, nonce: bytes | None) -> Sealing | None:
        return cls(key_sha256, nonce) if key_sha256 is not None and nonce is not None else None
