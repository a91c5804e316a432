"""Answers to repeated reads of small objects, replayed while nothing they rest on moves.

A hot object (a page's asset, the file every worker of a job reads first) is asked for
again and again by the same callers. Its answer is a function of the request and of the
store's committed state, and of the time only through the caller's token, which
expires: decisions an IAM condition (on the time) went into are never kept. So an
answer the short path gave is kept with the store's version mark (``Snapshots.version``,
which moves with any commit, by any process) and replayed for as long as the mark
stands and the token is valid. A replay costs one PRAGMA instead of a read transaction,
the rendering of the headers and the copy of the bytes, and counts as the read it is
(class B usage). An answer is kept the second time its request comes, so that objects
read once (most of them) pay only for the key. Only the embedded store has a version
mark; elsewhere nothing is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import NamedTuple

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.responses import compact
from nimbus.core.clock import Clock
from nimbus.services.storage.quick_reads import QuickRead
from nimbus.services.storage.usage import CLASS_B, BucketPricing, StorageUsage, priced_as
from nimbus.store.snapshots import Snapshots

# Request headers no answer depends on, which clients vary from call to call (the
# Python client's invocation ID rides in x-goog-api-client): they stay out of the key.
_UNREAD_HEADERS = frozenset(
    {b"user-agent", b"x-goog-api-client", b"x-goog-gcs-idempotency-token", b"connection"}
)
# Where a request's key is kept once made: the replay layer and the reads layer both
# need it, and the scope is the request's own.
_KEY = "nimbus.kept_reads.key"
# Small objects only, and a bounded total: the server's memory stays flat.
MAX_BODY = 64 * 1024
MAX_BYTES = 16 * 1024 * 1024
# Requests asked once, remembered so that a second asking keeps its answer.
MAX_SEEN = 10_000


class _Answer(NamedTuple):
    """Plain values only: the collector stops tracking such tuples, so that thousands
    kept cost its full collections nothing."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    bucket: BucketPricing
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
        self._seen: set[Hashable] = set()

    @staticmethod
    def key_of(scope: Scope) -> Hashable | None:
        """Everything of a GET an answer may depend on; None for a request whose answer
        is not kept: another method, or one trimmed to ``fields`` by a layer outside the
        one that keeps answers (see ``KeptReplays``)."""
        if _KEY in scope:  # made already by ``KeptReplays`` for this request
            made: Hashable | None = scope[_KEY]
            return made
        query = scope["query_string"]
        key: Hashable | None = None
        if scope["method"] == "GET" and b"fields=" not in query:
            headers = tuple(item for item in scope["headers"] if item[0] not in _UNREAD_HEADERS)
            key = scope.get("scheme"), scope["path"], query, headers
        scope[_KEY] = key
        return key

    def version(self, key: Hashable | None) -> Hashable | None:
        """The mark to take before a read whose answer may be kept, or None where it
        is not worth keeping yet. Most objects are read once: an answer is kept the
        second time it is asked for, so that a first reading pays only for its key."""
        if key is None:
            return None
        if key in self._seen:
            return self._snapshots.version()
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        self._seen.add(key)
        return None

    async def replay(self, scope: Scope, send: Send) -> bool:
        """Send the kept answer to the request if there is one and it still holds."""
        if not self._answers:
            return False
        key = self.key_of(scope)
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
        self._usage.count_as(answer.bucket, CLASS_B)
        await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})
        return True

    def keep(
        self, key: Hashable | None, version: Hashable | None, found: QuickRead, response: Response
    ) -> None:
        """Keep the answer to the request ``key`` that the short path decided (``found``)
        after ``version`` was taken, when it may be replayed: a whole small body, 200,
        on a decision that holds for a time."""
        body = getattr(response, "body", None)  # streamed answers have none
        holds_until = found.holds_until
        if (
            key is None
            or version is None
            or holds_until is None
            or response.status_code != 200
            or not isinstance(body, bytes)
            or len(body) > MAX_BODY
        ):
            return
        # Kept with the mark taken before the read: if anything was committed since,
        # that mark is already gone and the answer is never replayed.
        if version != self._version or self._bytes + len(body) > MAX_BYTES:
            self._forget()
            self._version = version
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        headers = tuple(response.raw_headers)
        pricing = priced_as(found.bucket)
        self._answers[key] = _Answer(headers, compact(body), pricing, holds_until)
        self._bytes += len(body)

    def _forget(self) -> None:
        self._answers = {}
        self._bytes = 0


class KeptReplays:
    """The outermost layer: a request whose answer is kept gets it before any other
    layer runs (they would only pass it on). ``FastObjectReads`` keeps the answers."""

    def __init__(self, app: ASGIApp, kept: KeptReads) -> None:
        self.app = app
        self.kept = kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not await self.kept.replay(scope, send):
            await self.app(scope, receive, send)
