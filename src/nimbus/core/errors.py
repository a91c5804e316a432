"""The one error vocabulary of Nimbus.

Services raise these; the API layer renders them once, as Google's error body
(``{"error": {"code", "message", "status", "errors": [...]}}``). Nothing here knows
about HTTP beyond the numeric code that Google pairs with each status.
"""

from __future__ import annotations

from typing import ClassVar


class NimbusError(Exception):
    """Base of every error a client may see."""

    code: ClassVar[int] = 500
    status: ClassVar[str] = "INTERNAL"
    reason: ClassVar[str] = "backendError"
    domain: ClassVar[str] = "global"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason  # type: ignore[misc]

    def to_body(self) -> dict[str, object]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": self.status,
                "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
            }
        }


class InvalidArgument(NimbusError):
    code = 400
    status = "INVALID_ARGUMENT"
    reason = "invalid"


class BadRequest(InvalidArgument):
    reason = "badRequest"


class RequiredField(InvalidArgument):
    reason = "required"


class FailedPrecondition(NimbusError):
    code = 400
    status = "FAILED_PRECONDITION"
    reason = "failedPrecondition"


class Unauthenticated(NimbusError):
    code = 401
    status = "UNAUTHENTICATED"
    reason = "authError"


class PermissionDenied(NimbusError):
    code = 403
    status = "PERMISSION_DENIED"
    reason = "forbidden"


class InsufficientScopes(PermissionDenied):
    reason = "insufficientPermissions"


class NotFound(NimbusError):
    code = 404
    status = "NOT_FOUND"
    reason = "notFound"


class AlreadyExists(NimbusError):
    code = 409
    status = "ALREADY_EXISTS"
    reason = "alreadyExists"


class MethodNotAllowed(NimbusError):
    code = 405
    status = "INVALID_ARGUMENT"
    reason = "httpMethodNotAllowed"


class Conflict(NimbusError):
    """A write lost a race: a stale etag or fingerprint."""

    code = 409
    status = "ABORTED"
    reason = "conflict"


class PreconditionFailed(NimbusError):
    code = 412
    status = "FAILED_PRECONDITION"
    reason = "conditionNotMet"


class PayloadTooLarge(NimbusError):
    code = 413
    status = "OUT_OF_RANGE"
    reason = "uploadTooLarge"


class TooManyRequests(NimbusError):
    code = 429
    status = "RESOURCE_EXHAUSTED"
    reason = "rateLimitExceeded"


class QuotaExceeded(NimbusError):
    code = 403
    status = "RESOURCE_EXHAUSTED"
    reason = "quotaExceeded"


class Internal(NimbusError):
    pass


class Unavailable(NimbusError):
    code = 503
    status = "UNAVAILABLE"
    reason = "backendError"


class ResourceExhausted(NimbusError):
    code = 429
    status = "RESOURCE_EXHAUSTED"
    reason = "resourceExhausted"
