"""Running transfers: several at once in a thread pool, with one progress bar.

Every job is tried; a failure does not stop the others, and the command then fails
with the first failure's message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import quote

from nimbus.cli.client import Api, ApiError, Json
from nimbus.cli.failures import CliError
from nimbus.cli.storage import downloads, file_times, local_copies, uploads
from nimbus.cli.storage.customer_keys import rewrite_headers
from nimbus.cli.storage.endpoints import Job, LocalFile, Options, Skipped, Stdio, describe
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.progress import Progress
from nimbus.cli.storage.urls import CloudUrl, object_path

WORKERS = 4
T = TypeVar("T")


def copy_all(
    api: Api,
    jobs: Sequence[Job],
    options: Options,
    *,
    quiet: bool,
    move: bool = False,
    keep_going: bool = True,
) -> None:
    for job in jobs:  # every object's key is found before any byte moves
        if isinstance(job.source, Entry):
            options.keys.for_object(job.source.resource, job.source.url())
    sizes = [job.size for job in jobs]
    total = sum(s for s in sizes if s is not None) if None not in sizes else None
    streaming = any(isinstance(end, Stdio) for job in jobs for end in (job.source, job.target))
    with Progress(len(jobs), total, visible=not quiet and not streaming) as progress:

        def one(job: Job) -> None:
            _copy(api, job, options, progress, move=move)

        run_all(
            api,
            jobs,
            one,
            parallel=not streaming,
            on_interrupt=progress.stop,
            keep_going=keep_going,
        )


def run_all(
    api: Api,
    items: Sequence[T],
    work: Callable[[T], None],
    *,
    parallel: bool = True,
    on_interrupt: Callable[[], None] | None = None,
    keep_going: bool = True,
) -> None:
    """``work`` on every item (four at a time); then the first failure, if any.
    ``on_interrupt`` tells work under way to end when the user presses Ctrl-C; without
    ``keep_going``, items not yet started are left once one has failed."""
    failures: list[str] = []

    def guarded(item: T) -> None:
        if failures and not keep_going:
            return
        try:
            work(item)
        except CliError as exc:
            failures.append(str(exc))
        except OSError as exc:
            failures.append(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}")

    if parallel and len(items) > 1:
        if api.tokens is not None:
            api.tokens.token()  # minted once here, not by every worker at once
        with ThreadPoolExecutor(WORKERS) as pool:
            try:
                list(pool.map(guarded, items))
            except KeyboardInterrupt:
                if on_interrupt is not None:
                    on_interrupt()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    else:
        for item in items:
            guarded(item)
    if failures:
        more = f" ({len(failures) - 1} more failed)" if len(failures) > 1 else ""
        raise CliError(failures[0] + more)


def _copy(api: Api, job: Job, options: Options, progress: Progress, *, move: bool) -> None:
    source, target = job.source, job.target
    if not isinstance(target, Stdio):
        progress.note(f"Copying {describe(source)} to {describe(target)}")
    try:
        _transfer(api, job, options, progress)
    except Skipped:
        progress.note(f"Skipping existing destination item (no-clobber): {describe(target)}")
        progress.file_done()
        return
    except ApiError as exc:
        if exc.code == 412 and options.no_clobber:
            progress.note(f"Skipping existing destination item (no-clobber): {describe(target)}")
            progress.file_done()
            return
        raise
    if move:
        progress.note(f"Removing {describe(source)}...")
        remove_source(api, job)
    progress.file_done()


def _transfer(api: Api, job: Job, options: Options, progress: Progress) -> None:
    source, target = job.source, job.target
    if isinstance(target, CloudUrl):
        if isinstance(source, LocalFile):
            uploads.upload_file(api, source.path, target, options, progress)
        elif isinstance(source, Stdio):
            uploads.upload_stream(api, sys.stdin.buffer, target, options, progress)
        else:
            rewrite(api, source, target, options, progress)
    elif isinstance(source, Entry):
        key = options.keys.for_object(source.resource, source.url())
        if isinstance(target, Stdio):
            downloads.download(api, source, sys.stdout.buffer, progress, key=key)
        else:
            if options.no_clobber and target.path.exists():
                raise Skipped()
            downloads.download_file(api, source, target.path, progress, key)
            if options.restore_mtimes:
                file_times.restore(target.path, source.resource)
    elif isinstance(source, LocalFile) and isinstance(target, LocalFile):  # rsync only
        if options.no_clobber and target.path.exists():
            raise Skipped()
        local_copies.copy_file(source.path, target.path, progress)
    else:
        raise CliError(f"Cannot copy {describe(source)} to {describe(target)}.")


def rewrite(
    api: Api, source: Entry, target: CloudUrl, options: Options, progress: Progress
) -> Json:
    """A server-side copy, in as many calls as the server wants: the source read with
    its key, the copy written under ``--encryption-key`` (or Google's keys)."""
    path = (
        f"{object_path(source.bucket, source.name)}/rewriteTo/b/{target.bucket}"
        f"/o/{quote(target.name, safe='')}"
    )
    params: dict[str, str] = {}
    if source.generation is not None:
        params["sourceGeneration"] = source.generation
    if options.no_clobber:
        params["ifGenerationMatch"] = "0"
    body: Json = {}
    if options.content_type:
        body["contentType"] = options.content_type
    if options.cache_control:
        body["cacheControl"] = options.cache_control
    if options.custom_metadata:
        body["metadata"] = dict(options.custom_metadata)
    source_key = options.keys.for_object(source.resource, source.url())
    headers = rewrite_headers(source_key, options.keys.encryption)
    done = 0
    while True:
        answer = api.request("POST", path, params=params, body=body, headers=headers)
        rewritten = int(answer.get("totalBytesRewritten") or 0)
        progress.advance(rewritten - done)
        done = rewritten
        if answer.get("done"):
            return dict(answer.get("resource") or {})
        token = answer.get("rewriteToken")
        if not token:
            raise CliError(f"The copy to {target} stopped without a rewrite token.")
        params["rewriteToken"] = str(token)


def remove_source(api: Api, job: Job) -> None:
    source = job.source
    if isinstance(source, LocalFile):
        source.path.unlink(missing_ok=True)
    elif isinstance(source, Entry):
        delete_object(api, source, if_unchanged=True)


def delete_object(
    api: Api, entry: Entry, *, version: bool = False, if_unchanged: bool = False
) -> None:
    """Delete the live object; ``version`` deletes the entry's generation itself (a
    noncurrent one too), ``if_unchanged`` only if it is still the entry's generation."""
    params: dict[str, str] = {}
    if entry.generation is not None and version:
        params["generation"] = entry.generation
    elif entry.generation is not None and if_unchanged:
        params["ifGenerationMatch"] = entry.generation
    api.send("DELETE", object_path(entry.bucket, entry.name), params=params or None)
