"""Cloud Storage's own error names, as typed domain errors.

The JSON API renders each like its parent (a ``NoSuchKey`` is a plain 404 there); the
XML API, which signed URLs use, answers with Cloud Storage's names for them
(``<Code>NoSuchKey</Code>``), so the type has to say which failure it was.
"""

from __future__ import annotations

from nimbus.core.errors import InvalidArgument, NotFound, PermissionDenied


class NoSuchBucket(NotFound):
    """The bucket named does not exist."""


class NoSuchKey(NotFound):
    """The bucket exists; the object (or the generation asked for) does not."""


class SignatureDoesNotMatch(PermissionDenied):
    """A signed request whose signature is not the one its credential would make.

    Like Google's, it carries what the server signed, so a client can find the
    difference with its own canonical request.
    """

    reason = "SignatureDoesNotMatch"

    def __init__(
        self, message: str, *, string_to_sign: str = "", canonical_request: str = ""
    ) -> None:
        super().__init__(message)
        self.string_to_sign = string_to_sign
        self.canonical_request = canonical_request


class PolicyConditionFailed(PermissionDenied):
    """A POST policy form that its policy does not allow (403 ``AccessDenied``)."""


class ExpiredToken(InvalidArgument):
    """A signed URL used after ``X-Goog-Date + X-Goog-Expires`` (400, as on Google)."""

    reason = "ExpiredToken"


class MalformedSignature(InvalidArgument):
    """A signed request whose ``X-Goog-*`` parameters are missing or malformed."""

    reason = "AuthorizationQueryParametersError"


class BadDigest(InvalidArgument):
    """The body does not hash to the ``x-goog-content-sha256`` the request signed."""

    reason = "BadDigest"
