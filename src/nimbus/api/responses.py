"""Fast JSON responses (orjson) for wire models and plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from nimbus.wire.base import Wire

JSON_MEDIA_TYPE = "application/json; charset=UTF-8"


def json_response(
    body: Wire | Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    payload = body.dump() if isinstance(body, Wire) else body
    return encoded_json_response(orjson.dumps(payload), status_code, headers)


def encoded_json_response(
    body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A body already serialized (``orjson.dumps``)."""
    return Response(
        body, status_code=status_code, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE
    )


def compact(body: bytes) -> bytes:
    """``body`` in a buffer of its own size, for keeping. orjson writes into a buffer of
    8 KiB and hands it over as it is: a few hundred bytes of JSON kept for long would
    hold 8 KiB each."""
    return bytes(memoryview(body))


def empty_response() -> Response:
    """Google answers deletes and similar with ``{}``."""
    return json_response({})
