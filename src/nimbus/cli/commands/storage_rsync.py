"""``nimbus storage rsync``: make a directory, bucket or prefix match another one."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage import sync_roots
from nimbus.cli.storage.customer_keys import DecryptionKeys, EncryptionKey, keys_from_flags
from nimbus.cli.storage.endpoints import LocalFile, Options, describe
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.progress import say
from nimbus.cli.storage.sync_compare import Rules
from nimbus.cli.storage.sync_plan import SyncPlan, exclusions, sync_plan
from nimbus.cli.storage.sync_roots import Found, LocalRoot, Root
from nimbus.cli.storage.transfer import copy_all, delete_object, run_all


def rsync(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SOURCE", show_default=False)],
    destination: Annotated[str, typer.Argument(metavar="DESTINATION", show_default=False)],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", "-R", help="Every level below, not only the top.")
    ] = False,
    delete_unmatched: Annotated[
        bool,
        typer.Option(
            "--delete-unmatched-destination-objects",
            help="Remove what DESTINATION has and SOURCE has not.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be copied and removed; do nothing.")
    ] = False,
    checksums_only: Annotated[
        bool, typer.Option("--checksums-only", help="Compare checksums, never mtimes.")
    ] = False,
    no_clobber: Annotated[
        bool, typer.Option("--no-clobber", "-n", help="Never overwrite what DESTINATION has.")
    ] = False,
    skip_if_newer: Annotated[
        bool,
        typer.Option(
            "--skip-if-dest-has-newer-mtime", "-u", help="Leave items newer at DESTINATION."
        ),
    ] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude", "-x", metavar="REGEX", help="Leave names matching these Python regexes."
        ),
    ] = None,
    continue_on_error: Annotated[
        bool,
        typer.Option("--continue-on-error", "-c", help="Go on after a failure; fail at the end."),
    ] = False,
    encryption_key: EncryptionKey = None,
    decryption_keys: DecryptionKeys = None,
) -> None:
    """Make DESTINATION's contents match SOURCE's: copy what is missing or changed."""
    excluded = exclusions(exclude or [])
    options = Options(
        no_clobber=no_clobber,
        keys=keys_from_flags(encryption_key, decryption_keys),
        restore_mtimes=True,
    )
    rules = Rules(checksums_only=checksums_only, skip_if_dest_newer=skip_if_newer)
    from_root, to_root = sync_roots.root_of(source), sync_roots.root_of(destination)
    context = context_of(ctx)
    with _client(context, from_root, to_root) as api:
        present = sync_roots.contents(api, from_root, recursive=recursive, source=True)
        there = sync_roots.contents(api, to_root, recursive=recursive, source=False)
        plan = sync_plan(
            present,
            there,
            to_root,
            rules=rules,
            excluded=excluded,
            no_clobber=no_clobber,
            delete_unmatched=delete_unmatched,
        )
        if dry_run:
            _tell(plan)
            return
        failed: CliError | None = None
        try:
            if plan.copies:
                copy_all(
                    api, plan.copies, options, quiet=context.quiet, keep_going=continue_on_error
                )
        except CliError as exc:
            if not continue_on_error:
                raise  # nothing is removed after a failed copy
            failed = exc
        _remove(api, plan.removals, keep_going=continue_on_error)
        if failed is not None:
            raise failed
    if not context.quiet:
        output.status(_summary(plan))


def _client(context: Context, *roots: Root) -> Api:
    """The API; two directories need no account, as they send no request."""
    if all(isinstance(root, LocalRoot) for root in roots):
        return Api(context.endpoint(), None)
    return context.api()


def _tell(plan: SyncPlan) -> None:
    for job in plan.copies:
        say(f"Would copy {describe(job.source)} to {describe(job.target)}")
    for item in plan.removals:
        say(f"Would remove {describe(item)}")


def _remove(api: Api, items: list[Found], *, keep_going: bool) -> None:
    def one(item: Found) -> None:
        say(f"Removing {describe(item)}...")
        if isinstance(item, Entry):
            delete_object(api, item, if_unchanged=True)
        elif isinstance(item, LocalFile):
            item.path.unlink(missing_ok=True)

    run_all(api, items, one, keep_going=keep_going)


def _summary(plan: SyncPlan) -> str:
    return (
        f"Synchronized: {_count(len(plan.copies), 'item')} copied, "
        f"{len(plan.removals)} removed, {plan.unchanged} already up to date."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
