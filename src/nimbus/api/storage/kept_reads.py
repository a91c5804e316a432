"""Answers to repeated reads of small objects, replayed while nothing they rest on moves.

A hot object (a page's asset, the file every worker of a job reads first) is asked for
again and again by the same callers. Its answer is a function of the request and of the
store's committed state, and of the time only through the caller's token, which
expires: decisions an IAM condition (on the time) went into are never kept. So an
answer the short path gave is kept with the store's version mark (``Snapshots.version``,
which moves with any commit, by any process) and replayed for as long as the mark
stands and the token is valid. A replay costs one PRAGMA instead of a read transaction,
the rendering of the headers and the copy of the bytes, and counts as the read it is
(class B usage). Only the embedded store has such a mark; elsewhere nothing is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.types import Message, Scope, Send

from nimbus.core.clock import Clock
from nimbus.services.storage.quick_reads import QuickRead
from nimbus.services.storage.usage import CLASS_B, StorageUsage
from nimbus.store.models import Bucket
from nimbus.store.snapshots import Snapshots

# Request headers no answer depends on, which clients vary from call to call (the
# Python client's invocation ID rides in x-goog-api-client): they stay out of the key.
_UNREAD_HEADERS = frozenset(
    {b"user-agent", b"x-goog-api-client", b"x-goog-gcs-idempotency-token", b"connection"}
)
# Small objects only, and a bounded total: the server's memory stays flat.
MAX_BODY = 64 * 1024
MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    bucket: Bucket
    holds_until: dt.datetime


class KeptReads:
    """The answers kept at the newest version mark. The event loop's thread alone uses
    it (marks are per thread), so it takes no lock."""

    def __init__(self, snapshots: Snapshots, clock: Clock, usage: StorageUsage) -> None:
        self._snapshots = snapshots
        self._clock = clock
        self._usage = usage
        self._version: Hashable = None
        self._answers: dict[Hashable, _Answer] = {}
        self._bytes = 0

    @staticmethod
    def key_of(scope: Scope) -> Hashable:
        """Everything of the request an answer may depend on."""
        headers = tuple(item for item in scope["headers"] if item[0] not in _UNREAD_HEADERS)
        return scope.get("scheme"), scope["path"], scope["query_string"], headers

    def version(self) -> Hashable:
        """The mark to take before a read whose answer may be kept."""
        return self._snapshots.version()

    async def replay(self, key: Hashable, send: Send) -> bool:
        """Send the kept answer to the request ``key`` if it still holds."""
        answer = self._answers.get(key)
        if answer is None:
            return False
        if self._snapshots.version() != self._version:
            self._forget()
            return False
        if self._clock.now() >= answer.holds_until:
            self._bytes -= len(answer.body)
            del self._answers[key]
            return False
        self._usage.count(answer.bucket, CLASS_B)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send({"type": "http.response.body", "body": answer.body})
        return True

    def recording(self, key: Hashable, version: Hashable, found: QuickRead, send: Send) -> Send:
        """``send``, keeping the answer it carries when that may be replayed: the short
        path's decision was made at ``version`` (taken before it) and holds for a time."""
        holds_until = found.holds_until
        if holds_until is None:
            return send
        start: list[Message] = []
        body = bytearray()

        async def record(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                start.append(message)
                return
            if len(body) <= MAX_BODY:  # past it, nothing will be kept
                body.extend(message.get("body", b""))
            if not message.get("more_body", False) and start:
                self._keep(key, version, start[0], bytes(body), found.bucket, holds_until)

        return record

    def _keep(
        self,
        key: Hashable,
        version: Hashable,
        start: Message,
        body: bytes,
        bucket: Bucket,
        holds_until: dt.datetime,
    ) -> None:
        # Kept only if nothing was committed since the read began: then the answer is
        # the state at the current mark.
        if start["status"] != 200 or len(body) > MAX_BODY or self.version() != version:
            return
        if version != self._version:
            self._forget()
            self._version = version
        if self._bytes + len(body) > MAX_BYTES:
            self._forget()
            self._version = version
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        headers = [(bytes(name), bytes(value)) for name, value in start["headers"]]
        self._answers[key] = _Answer(start["status"], headers, body, bucket, holds_until)
        self._bytes += len(body)

    def _forget(self) -> None:
        self._answers = {}
        self._bytes = 0
