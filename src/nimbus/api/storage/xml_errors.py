"""Errors of the XML API, rendered once, as Cloud Storage's XML error documents:

    <?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code>
    <Message>...</Message></Error>

The domain errors are the same as the JSON API's; only their names and, for the
anonymous public, the status differ (the XML API answers 403 ``AccessDenied``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.responses import Response

from nimbus.api.storage.media import RangeNotSatisfiable
from nimbus.api.storage.xml_multipart import MalformedXML
from nimbus.core.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NimbusError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PreconditionFailed,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from nimbus.services.iam.authorizer import AnonymousDenied
from nimbus.services.storage.customer_keys import CustomerKeyError
from nimbus.services.storage.errors import (
    BadDigest,
    ExpiredToken,
    MalformedSignature,
    NoSuchBucket,
    NoSuchKey,
    SignatureDoesNotMatch,
)
from nimbus.services.storage.preconditions import NotModified
from nimbus.services.storage.xml_multipart import (
    EntityTooSmall,
    InvalidPart,
    InvalidPartOrder,
    NoSuchUpload,
)

# Most specific first: the first class the error is an instance of names it.
_CODES: tuple[tuple[type[NimbusError], str], ...] = (
    (NoSuchKey, "NoSuchKey"),
    (NoSuchBucket, "NoSuchBucket"),
    (NoSuchUpload, "NoSuchUpload"),
    (InvalidPart, "InvalidPart"),
    (InvalidPartOrder, "InvalidPartOrder"),
    (EntityTooSmall, "EntityTooSmall"),
    (MalformedXML, "MalformedXML"),
    (SignatureDoesNotMatch, "SignatureDoesNotMatch"),
    (ExpiredToken, "ExpiredToken"),
    (MalformedSignature, "AuthorizationQueryParametersError"),
    (BadDigest, "BadDigest"),
    (AnonymousDenied, "AccessDenied"),
    (Unauthenticated, "AuthenticationRequired"),
    (PermissionDenied, "AccessDenied"),
    (NotModified, "NotModified"),
    (PreconditionFailed, "PreconditionFailed"),
    (RangeNotSatisfiable, "InvalidRange"),
    (PayloadTooLarge, "EntityTooLarge"),
    (NotFound, "NotFound"),
    (Conflict, "Conflict"),
    (AlreadyExists, "Conflict"),
    (TooManyRequests, "SlowDown"),
    (Unavailable, "ServiceUnavailable"),
    (InvalidArgument, "InvalidArgument"),
)


def xml_code(error: NimbusError) -> str:
    if isinstance(error, CustomerKeyError):
        return error.reason[0].upper() + error.reason[1:]
    code = next((name for kind, name in _CODES if isinstance(error, kind)), None)
    if code is None:
        return "InvalidArgument" if error.code == 400 else "InternalError"
    return code


def xml_status(error: NimbusError) -> int:
    return 403 if isinstance(error, AnonymousDenied) else error.code


def xml_error_response(error: NimbusError) -> Response:
    status = xml_status(error)
    if status == 304:
        return Response(status_code=304)
    message = escape(error.message)
    # Google's documents carry ``Details`` too; clients read it (the part uploader
    # does, for every 400), so it is never left out.
    parts = [
        f"<Code>{xml_code(error)}</Code>",
        f"<Message>{message}</Message>",
        f"<Details>{message}</Details>",
    ]
    if isinstance(error, SignatureDoesNotMatch) and error.string_to_sign:
        # As Google does: what the server signed, so the client can see what differs.
        parts.append(f"<StringToSign>{escape(error.string_to_sign)}</StringToSign>")
        parts.append(f"<CanonicalRequest>{escape(error.canonical_request)}</CanonicalRequest>")
    body = "<?xml version='1.0' encoding='UTF-8'?><Error>" + "".join(parts) + "</Error>"
    return Response(body, status_code=status, media_type="application/xml; charset=UTF-8")
