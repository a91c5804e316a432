"""JSON API batch requests (``POST /batch/storage/v1``, and ``/batch/compute/v1``, where
gcloud sends its image listings): up to 100 calls in one ``multipart/mixed`` body,
each answered in the same order in a ``multipart/mixed`` response. Each inner request
runs through this same app, with the outer request's credentials, exactly as if it
had been sent alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Message

from nimbus.api.body import read_limited
from nimbus.api.storage.multipart import boundary_of
from nimbus.core.errors import InvalidArgument

router = APIRouter()
MAX_CALLS = 100


@dataclass
class InnerRequest:
    content_id: str
    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class InnerResponse:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


def _split_head(block: bytes) -> tuple[list[str], bytes]:
    """Header lines and the rest, whatever the line endings."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, sep, rest = block.partition(separator)
        if sep:
            return head.decode("latin-1").splitlines(), rest
    return block.decode("latin-1").splitlines(), b""


def parse_batch(raw: bytes, boundary: str) -> list[InnerRequest]:
    delimiter = b"--" + boundary.encode()
    parts = raw.split(delimiter)[1:]
    calls: list[InnerRequest] = []
    for part in parts:
        if part.startswith(b"--"):
            break
        mime_lines, http = _split_head(part.lstrip(b"\r\n"))
        content_id = ""
        for line in mime_lines:
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-id":
                content_id = value.strip().strip("<>")
        lines, body = _split_head(http)
        if not lines:
            raise InvalidArgument("Malformed batch request: an empty part.")
        request_line = lines[0].split()
        if len(request_line) < 2:
            raise InvalidArgument(f"Malformed batch request line: '{lines[0]}'.")
        headers = []
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers.append((key.strip().lower(), value.strip()))
        calls.append(
            InnerRequest(content_id, request_line[0].upper(), request_line[1], headers,
                         body.removesuffix(b"\r\n").removesuffix(b"\n"))
        )  # fmt: skip
    if len(calls) > MAX_CALLS:
        raise InvalidArgument(f"A batch request may hold at most {MAX_CALLS} calls.")
    return calls


async def _run(outer: Request, call: InnerRequest) -> InnerResponse:
    parts = urlsplit(call.target)
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in call.headers
        if k not in ("content-length", "host", "authorization")
    ]
    headers.append((b"host", outer.headers.get("host", "localhost").encode("latin-1")))
    authorization = outer.headers.get("authorization")
    if authorization:
        headers.append((b"authorization", authorization.encode("latin-1")))
    headers.append((b"content-length", str(len(call.body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": outer.url.scheme,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": outer.client,
        "server": outer.scope.get("server"),
    }
    response = InnerResponse()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": call.body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    await outer.app(scope, receive, send)
    return response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _render(boundary: str, calls: list[InnerRequest], answers: list[InnerResponse]) -> bytes:
    out: list[bytes] = []
    for call, answer in zip(calls, answers, strict=True):
        head = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <response-{call.content_id}>",
            "",
            f"HTTP/1.1 {answer.status} {_reason(answer.status)}",
            *(
                f"{key.decode('latin-1')}: {value.decode('latin-1')}"
                for key, value in answer.headers
                if key.lower() != b"content-length"
            ),
            f"Content-Length: {len(answer.body)}",
        ]
        out.append("\r\n".join(head).encode() + b"\r\n\r\n" + answer.body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


@router.post("/batch/storage/v1")
@router.post("/batch/compute/v1")
@router.post("/batch")
async def batch(request: Request) -> Response:
    calls = parse_batch(
        await read_limited(request), boundary_of(request.headers.get("content-type", ""))
    )
    answers = [await _run(request, call) for call in calls]
    boundary = f"batch_{secrets.token_hex(12)}"
    return Response(
        _render(boundary, calls, answers),
        media_type=f"multipart/mixed; boundary={boundary}",
    )
