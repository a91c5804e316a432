"""The Nimbus API over HTTP: a bearer token on each call, pages followed, errors as one line."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import httpx

from nimbus import __version__
from nimbus.cli.failures import CliError, Unreachable
from nimbus.cli.tokens import TokenSource

Json = dict[str, Any]
Content = bytes | Iterable[bytes]


class ApiError(CliError):
    """Google's error body, kept whole enough for callers that retry or tolerate some."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.code = code
        self.status = status


class Api:
    # Above two minutes: an operation's wait may block that long before it answers.
    def __init__(self, endpoint: str, tokens: TokenSource | None, timeout: float = 150) -> None:
        self.endpoint = endpoint
        self.tokens = tokens
        self._http = httpx.Client(
            base_url=endpoint,
            timeout=timeout,
            headers={"User-Agent": f"nimbus-cli/{__version__}"},
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Json:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Json | None = None) -> Json:
        return self.request("POST", path, body=body or {})

    def put(self, path: str, body: Json) -> Json:
        return self.request("PUT", path, body=body)

    def patch(self, path: str, body: Json, params: dict[str, Any] | None = None) -> Json:
        return self.request("PATCH", path, params=params, body=body)

    def delete(self, path: str) -> Json:
        return self.request("DELETE", path)

    def pages(self, path: str, field: str, params: dict[str, Any] | None = None) -> Iterator[Json]:
        """Every item of a paged list, following ``nextPageToken``."""
        query = dict(params or {})
        while True:
            page = self.get(path, query)
            yield from page.get(field) or []
            token = page.get("nextPageToken")
            if not token:
                return
            query["pageToken"] = token

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Json | None = None,
        headers: dict[str, str] | None = None,
    ) -> Json:
        response = self._send(method, path, params, body, fresh=False, extra=headers)
        if response.status_code == 401 and self.tokens is not None:
            response = self._send(method, path, params, body, fresh=True, extra=headers)
        if response.status_code >= 400:
            raise _error(response)
        if not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise CliError(f"Nimbus answered {method} {path} with something not a JSON object.")
        return data

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: Content | None = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """A raw exchange (media, uploads): the response, read whole; errors raised.

        ``path`` may be a whole URL (a resumable session). ``ok`` lists error statuses
        the caller handles itself. Iterable content cannot be sent twice, so a 401 is
        retried with a fresh token only for ``bytes`` content.
        """
        send = functools.partial(self._send, method, path, params, None, extra=headers)
        response = send(fresh=False, content=content)
        if response.status_code == 401 and self.tokens is not None and _replayable(content):
            response = send(fresh=True, content=content)
        if response.status_code >= 400 and response.status_code not in ok:
            raise _error(response)
        return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """A response whose body is read as it arrives (downloads of any size)."""
        response = self._open(method, path, params, headers, fresh=False)
        if response.status_code == 401 and self.tokens is not None:
            response.close()
            response = self._open(method, path, params, headers, fresh=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            yield response
        except httpx.TransportError as exc:
            raise CliError(f"The transfer from Nimbus at {self.endpoint} broke: {exc}") from exc
        finally:
            response.close()

    def _open(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        *,
        fresh: bool,
    ) -> httpx.Response:
        return self._send(method, path, params, None, fresh=fresh, extra=headers, stream=True)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Json | None,
        *,
        fresh: bool,
        extra: dict[str, str] | None = None,
        content: Content | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        headers = dict(extra or {})
        if self.tokens is not None:
            headers["Authorization"] = f"Bearer {self.tokens.token(fresh=fresh)}"
        try:
            request = self._http.build_request(
                method, path, params=params, json=body, content=content, headers=headers
            )
            return self._http.send(request, stream=stream)
        except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
            raise Unreachable(self.endpoint) from exc
        except httpx.TimeoutException as exc:
            raise CliError(f"Nimbus at {self.endpoint} did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise CliError(f"Could not talk to Nimbus at {self.endpoint}: {exc}") from exc


def _replayable(content: Content | None) -> bool:
    return content is None or isinstance(content, bytes)


def _error(response: httpx.Response) -> ApiError:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        return ApiError(
            int(error.get("code") or response.status_code),
            str(error.get("status") or ""),
            str(error.get("message") or response.reason_phrase),
        )
    text = " ".join(response.text.split())[:200] or response.reason_phrase
    return ApiError(response.status_code, "", f"HTTP {response.status_code}: {text}")
