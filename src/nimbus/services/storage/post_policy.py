"""V4 POST policy uploads: an HTML form whose ``policy`` field, a base64 JSON document
of ``expiration`` and ``conditions``, is signed by a service account, with one of its
keys (``GOOG4-RSA-SHA256``) or HMAC keys (``GOOG4-HMAC-SHA256``). The form's other
fields must meet every condition; the upload then acts as that account, which still
needs IAM permission to create the object. A key may hold ``${filename}``, the name
of the file the browser sends.

    {"key": "a.txt"}                      the field equals the value
    ["eq", "$key", "a.txt"]               the same
    ["starts-with", "$Content-Type", ""]  the field starts with the prefix ("": any value)
    ["content-length-range", 0, 1024]     the file's size, in bytes, inclusive
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from nimbus.blobs import BlobStore
from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import Caller
from nimbus.services.storage.errors import PolicyConditionFailed, SignatureDoesNotMatch
from nimbus.services.storage.generations import Content
from nimbus.services.storage.signatures import (
    HMAC,
    RSA,
    HmacSecrets,
    hmac_signer,
    split_credential,
)
from nimbus.services.storage.signed_requests import Certificates, rsa_signed

_SIGNED = ("key", "policy", "x-goog-algorithm", "x-goog-credential", "x-goog-date")
# Fields the conditions need not name: the signature, the policy and the file.
_UNCONDITIONED = frozenset({"x-goog-signature", "policy", "file"})
# Every field a form may carry besides those prefixed ``x-goog-meta-`` and ``x-ignore-``.
_KNOWN = frozenset(
    {
        *_SIGNED,
        "x-goog-signature",
        "bucket",
        "acl",
        "success_action_status",
        "success_action_redirect",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "content-type",
        "x-goog-storage-class",
        "x-goog-custom-time",
    }
)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class SignedForm:
    """A form whose signature and conditions hold: who signed it, and the sizes the
    file may have."""

    caller: Caller
    min_size: int = 0
    max_size: int | None = None

    def check_size(self, size: int) -> None:
        if size < self.min_size or (self.max_size is not None and size > self.max_size):
            raise PolicyConditionFailed(
                "Invalid according to Policy: Policy Condition failed: "
                f'["content-length-range", {self.min_size}, {self.max_size}]'
            )


class PostPolicies:
    def __init__(
        self, keys: Certificates, hmac_keys: HmacSecrets, blobs: BlobStore, clock: Clock
    ) -> None:
        self.keys = keys
        self.hmac_keys = hmac_keys
        self.blobs = blobs
        self.clock = clock

    def authenticate(self, bucket: str, form: Mapping[str, str]) -> SignedForm:
        """The signer of ``form`` (field names lowercase, the file left out), once its
        fields are all known, its signature valid, its policy unexpired and every
        condition but the file's size met.

        Raises ``InvalidArgument`` (400) for a malformed form or policy,
        ``SignatureDoesNotMatch`` (403) and ``PolicyConditionFailed`` (403).
        """
        _check_fields(form)
        email = self._signer(form)
        policy = _decoded(form["policy"])
        if self.clock.now() >= _expiration(policy):
            raise PolicyConditionFailed("Invalid according to Policy: Policy expired.")
        return _met(policy["conditions"], form, bucket, email)

    def accept_size(self, signed: SignedForm, content: Content) -> None:
        """Refuse a file outside the policy's ``content-length-range``, once it is
        stored (its size is known only then): its blob goes too."""
        try:
            signed.check_size(content.size)
        except PolicyConditionFailed:
            if content.blob_id is not None:
                self.blobs.delete(content.blob_id)
            raise

    def _signer(self, form: Mapping[str, str]) -> str:
        """The service account that signed the policy: with one of its keys
        (``GOOG4-RSA-SHA256``) or one of its HMAC keys (``GOOG4-HMAC-SHA256``)."""
        algorithm = form["x-goog-algorithm"]
        if algorithm not in (RSA, HMAC):
            raise InvalidArgument(f"Unsupported x-goog-algorithm '{algorithm}'.")
        credential = split_credential(form["x-goog-credential"])
        if credential is None:
            raise InvalidArgument(
                "x-goog-credential must be ID/DATE/LOCATION/storage/goog4_request."
            )
        signer, _, parts = credential
        try:
            dt.datetime.strptime(form["x-goog-date"], _DATE_FORMAT)
            signature = bytes.fromhex(form["x-goog-signature"])
        except ValueError as exc:
            raise InvalidArgument("Malformed x-goog-date or x-goog-signature.") from exc
        if parts[0] != form["x-goog-date"][:8]:
            raise InvalidArgument("The date of x-goog-credential is not that of x-goog-date.")
        policy = [form["policy"]]
        if algorithm == RSA:
            email = signer if rsa_signed(self.keys, signer, signature, policy) else None
        else:
            date, location = parts[0], parts[1]
            hex_signature = form["x-goog-signature"]
            email = hmac_signer(self.hmac_keys, signer, date, location, hex_signature, policy)
        if email is None:
            raise SignatureDoesNotMatch(
                "The request signature we calculated does not match the signature you "
                "provided. Check your Google secret key and signing method."
            )
        return email


def _check_fields(form: Mapping[str, str]) -> None:
    for name in form:
        if name not in _KNOWN and not name.startswith(("x-goog-meta-", "x-ignore-")):
            raise InvalidArgument(f"Invalid argument: unexpected form field '{name}'.")
    missing = [name for name in (*_SIGNED, "x-goog-signature") if not form.get(name)]
    if missing:
        raise InvalidArgument(f"The form needs the field '{missing[0]}'.")


def _decoded(policy: str) -> dict[str, Any]:
    try:
        document = orjson.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, orjson.JSONDecodeError) as exc:
        raise InvalidArgument("The policy is not base64-encoded JSON.") from exc
    if not isinstance(document, dict) or not isinstance(document.get("conditions"), list):
        raise InvalidArgument("The policy needs 'expiration' and a list of 'conditions'.")
    return document


def _expiration(policy: dict[str, Any]) -> dt.datetime:
    value = policy.get("expiration")
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgument(f"Invalid policy expiration '{value}'.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _met(conditions: list[Any], form: Mapping[str, str], bucket: str, email: str) -> SignedForm:
    """Check each condition against the form's fields and the bucket posted to; every
    field the form sent must be named by one."""
    values = {**form, "bucket": bucket}
    named: set[str] = set()
    sizes: tuple[int, int | None] = (0, None)
    for condition in conditions:
        if isinstance(condition, dict):
            for field, expected in condition.items():
                named.add(field.lower())
                _require(values.get(field.lower()) == expected, condition)
        elif isinstance(condition, list) and len(condition) == 3:
            operator, field, expected = condition
            if operator == "content-length-range":
                sizes = (_size(field), _size(expected))
                continue
            if operator not in ("eq", "starts-with") or not str(field).startswith("$"):
                raise InvalidArgument(f"Invalid policy condition: {condition}.")
            name = str(field)[1:].lower()
            named.add(name)
            value = values.get(name)
            if operator == "eq":
                _require(value == expected, condition)
            else:
                _require(expected == "" or (value or "").startswith(str(expected)), condition)
        else:
            raise InvalidArgument(f"Invalid policy condition: {condition}.")
    extra = sorted(
        name
        for name in form
        if name not in named and name not in _UNCONDITIONED and not name.startswith("x-ignore-")
    )
    if extra:
        raise PolicyConditionFailed(f"Invalid according to Policy: Extra input fields: {extra[0]}")
    caller = Caller(principal=f"serviceAccount:{email}")
    return SignedForm(caller, sizes[0], sizes[1])


def _require(held: bool, condition: Any) -> None:
    if not held:
        rendered = orjson.dumps(condition).decode()
        raise PolicyConditionFailed(
            f"Invalid according to Policy: Policy Condition failed: {rendered}"
        )


def _size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"Invalid content-length-range bound '{value}'.")
    return value
