"""One error model, rendered once: every failure becomes Google's error body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from nimbus.api.responses import json_response
from nimbus.core.errors import (
    BadRequest,
    Internal,
    InvalidArgument,
    MethodNotAllowed,
    NimbusError,
    NotFound,
    PayloadTooLarge,
)

log = logging.getLogger("nimbus.api")

_HTTP_STATUS = {
    400: BadRequest,
    404: NotFound,
    413: PayloadTooLarge,
}


def error_response(error: NimbusError) -> Response:
    if error.code == 304:
        # Not an error on the wire: a 304 carries no body, and sending one breaks the
        # connection that the client has already put back in its pool.
        return Response(status_code=304)
    headers = {"WWW-Authenticate": 'Bearer realm="nimbus"'} if error.code == 401 else None
    return json_response(error.to_body(), status_code=error.code, headers=headers)


async def _nimbus_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NimbusError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "path"))
    message = f"Invalid value for field '{where}': {first.get('msg', 'invalid')}"
    return error_response(InvalidArgument(message))


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        return error_response(MethodNotAllowed("Method not allowed for this resource."))
    kind = _HTTP_STATUS.get(exc.status_code, BadRequest)
    message = (
        "The requested URL was not found on this server."
        if exc.status_code == 404
        else str(exc.detail)
    )
    return error_response(kind(message))


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return error_response(Internal("Internal error. Please retry."))


def install(app: FastAPI) -> None:
    app.add_exception_handler(NimbusError, _nimbus_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
