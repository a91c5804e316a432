"""Request bodies: size-limited, parsed as JSON, validated into a wire shape.

Errors read as Google's: "Invalid JSON payload received. ..." with 400.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import ValidationError

from nimbus.core.errors import InvalidArgument, PayloadTooLarge
from nimbus.wire.base import Wire

W = TypeVar("W", bound=Wire)


async def read_limited(request: Request) -> bytes:
    limit: int = request.app.state.cloud.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_json_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object (``{}`` for an empty body when ``allow_empty``)."""
    return json_object(await read_limited(request), allow_empty=allow_empty)


def json_object(raw: bytes, *, allow_empty: bool = False) -> dict[str, Any]:
    if not raw.strip():
        if allow_empty:
            return {}
        raise InvalidArgument("Invalid JSON payload received. The request body is empty.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"Invalid JSON payload received. {exc.msg}.") from exc
    if not isinstance(data, dict):
        raise InvalidArgument("Invalid JSON payload received. Expected an object.")
    return data


async def parse_body(request: Request, model: type[W], *, allow_empty: bool = False) -> W:
    data = await parse_json_object(request, allow_empty=allow_empty)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidArgument(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        return f'Invalid JSON payload received. Unknown name "{where}": Cannot find field.'
    if first["type"] == "missing":
        return f"Invalid value for field '{where}': the field is required."
    return f"Invalid JSON payload received. Invalid value at '{where}': {first['msg']}."
