"""``nimbus storage buckets``: create, list, describe, update and delete buckets, and
their IAM policies."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated, Any

import typer

from nimbus.cli import output, policies
from nimbus.cli.client import Api
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, Member, Role, SortBy, key_values, names
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.storage import iam, lifecycle, views
from nimbus.cli.storage.durations import seconds_of
from nimbus.cli.storage.urls import SCHEME, bucket_path, has_wildcard, parse_bucket

app = typer.Typer(
    name="buckets", help="Create and manage Cloud Storage buckets.", no_args_is_help=True
)

BucketUrl = Annotated[str, typer.Argument(metavar="URL", help="The bucket, as gs://BUCKET.")]
Raw = Annotated[
    bool, typer.Option("--raw", help="Show the API's resource rather than gcloud's fields.")
]
StorageClass = Annotated[
    str | None,
    typer.Option("--default-storage-class", "-s", "-c", help="STANDARD, NEARLINE, ..."),
]
RetentionPeriod = Annotated[
    str | None,
    typer.Option(
        "--retention-period",
        help="How long objects must be kept before they may be deleted or replaced: 30d, 1y...",
    ),
]
SoftDeleteDuration = Annotated[
    str | None,
    typer.Option(
        "--soft-delete-duration",
        help="How long deleted objects stay restorable: 7d to 90d, or 0 to turn it off.",
    ),
]
LOCK_PROMPT = (
    "This will permanently lock the retention policy on gs://{bucket}: it can then only "
    "be lengthened, and the bucket cannot be deleted until every object has aged past it."
)


def _shown(bucket: dict[str, Any], raw: bool) -> dict[str, Any]:
    return bucket if raw else views.bucket_view(bucket)


@app.command()
def create(
    ctx: typer.Context,
    url: BucketUrl,
    location: Annotated[
        str | None, typer.Option("--location", "-l", help="Where the bucket lives, e.g. EU.")
    ] = None,
    default_storage_class: StorageClass = None,
    uniform_bucket_level_access: Annotated[
        bool,
        typer.Option("--uniform-bucket-level-access", "-b", help="Access by IAM only."),
    ] = False,
    public_access_prevention: Annotated[
        bool,
        typer.Option("--public-access-prevention", "--pap", help="Forbid public access."),
    ] = False,
    labels: Annotated[str | None, typer.Option("--labels", help="KEY=VALUE,...")] = None,
    retention_period: RetentionPeriod = None,
    soft_delete_duration: SoftDeleteDuration = None,
    enable_per_object_retention: Annotated[
        bool,
        typer.Option(
            "--enable-per-object-retention", help="Let objects carry retention of their own."
        ),
    ] = False,
) -> None:
    """Create a bucket in the project."""
    bucket = parse_bucket(url)
    context = context_of(ctx)
    body: dict[str, Any] = {"name": bucket}
    if location:
        body["location"] = location
    if default_storage_class:
        body["storageClass"] = default_storage_class.upper()
    if labels:
        body["labels"] = key_values(labels, "--labels")
    iam_config: dict[str, Any] = {}
    if uniform_bucket_level_access:
        iam_config["uniformBucketLevelAccess"] = {"enabled": True}
    if public_access_prevention:
        iam_config["publicAccessPrevention"] = "enforced"
    if iam_config:
        body["iamConfiguration"] = iam_config
    body |= _protection(retention_period, soft_delete_duration)
    params: dict[str, Any] = {"project": context.project()}
    if enable_per_object_retention:
        params["enableObjectRetention"] = "true"
    output.status(f"Creating gs://{bucket}/...")
    with context.api() as api:
        created = api.request("POST", "/storage/v1/b", params=params, body=body)
    if context.format:
        output.show(views.bucket_view(created), context.format, "yaml")


@app.command("list")
def list_buckets(
    ctx: typer.Context,
    urls: Annotated[
        list[str] | None,
        typer.Argument(metavar="[URLS]...", help="Only these buckets (wildcards allowed)."),
    ] = None,
    raw: Raw = False,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
    soft_deleted: Annotated[
        bool, typer.Option("--soft-deleted", help="Only soft-deleted buckets, to restore.")
    ] = False,
) -> None:
    """List the project's buckets."""
    patterns = [_bucket_pattern(url) for url in urls or []]
    context = context_of(ctx)
    query = {"project": context.project()} | ({"softDeleted": "true"} if soft_deleted else {})
    with context.api() as api:
        found = list(api.pages("/storage/v1/b", "items", query))
    if patterns:
        found = [b for b in found if any(fnmatch.fnmatchcase(b["name"], p) for p in patterns)]
    shown = [_shown(bucket, raw) for bucket in found]
    output.show(narrow(shown, filter=filter, sort_by=sort_by, limit=limit), context.format, "yaml")


def _bucket_pattern(url: str) -> str:
    """``gs://NAME`` where NAME may hold wildcards (``gs://logs-*``)."""
    if not has_wildcard(url):
        return parse_bucket(url)
    name = url.removeprefix(SCHEME).rstrip("/")
    if not url.startswith(SCHEME) or not name or "/" in name:
        raise CliError(f"[{url}] does not name buckets: expected gs://BUCKET.")
    return name


@app.command()
def describe(ctx: typer.Context, url: BucketUrl, raw: Raw = False) -> None:
    """Show a bucket's settings."""
    bucket = parse_bucket(url)
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(bucket_path(bucket))
    output.show(_shown(found, raw), context.format, "yaml")


@app.command()
def update(
    ctx: typer.Context,
    url: BucketUrl,
    versioning: Annotated[
        bool | None,
        typer.Option("--versioning/--no-versioning", help="Keep noncurrent versions, or not."),
    ] = None,
    default_storage_class: StorageClass = None,
    update_labels: Annotated[
        str | None, typer.Option("--update-labels", help="Labels to add or change: K=V,...")
    ] = None,
    remove_labels: Annotated[
        str | None, typer.Option("--remove-labels", help="Label keys to remove: K,...")
    ] = None,
    clear_labels: Annotated[bool, typer.Option("--clear-labels", help="Remove every label.")] = (
        False
    ),
    lifecycle_file: Annotated[
        Path | None,
        typer.Option("--lifecycle-file", help='A JSON file: {"rule": [...]}.'),
    ] = None,
    clear_lifecycle: Annotated[
        bool, typer.Option("--clear-lifecycle", help="Remove every lifecycle rule.")
    ] = False,
    uniform_bucket_level_access: Annotated[
        bool | None,
        typer.Option(
            "--uniform-bucket-level-access/--no-uniform-bucket-level-access",
            help="Access by IAM only, or by ACLs too.",
        ),
    ] = None,
    retention_period: RetentionPeriod = None,
    clear_retention_period: Annotated[
        bool, typer.Option("--clear-retention-period", help="Remove an unlocked retention policy.")
    ] = False,
    lock_retention_period: Annotated[
        bool, typer.Option("--lock-retention-period", help="Lock the retention policy for good.")
    ] = False,
    soft_delete_duration: SoftDeleteDuration = None,
    clear_soft_delete: Annotated[
        bool, typer.Option("--clear-soft-delete", help="Turn soft delete off.")
    ] = False,
) -> None:
    """Change a bucket's settings."""
    bucket = parse_bucket(url)
    for first, second, flags in (
        (lifecycle_file, clear_lifecycle, "--clear-lifecycle | --lifecycle-file"),
        (retention_period, clear_retention_period, "--clear-retention-period | --retention-period"),
        (soft_delete_duration, clear_soft_delete, "--clear-soft-delete | --soft-delete-duration"),
    ):
        if first and second:
            name = flags.split(" | ")[0]
            raise CliError(f"argument {name}: At most one of {flags} may be specified.")
    body: dict[str, Any] = {}
    if versioning is not None:
        body["versioning"] = {"enabled": versioning}
    if default_storage_class:
        body["storageClass"] = default_storage_class.upper()
    if lifecycle_file is not None:
        body["lifecycle"] = lifecycle.read(lifecycle_file)
    if clear_lifecycle:
        body["lifecycle"] = None
    if uniform_bucket_level_access is not None:
        enabled = {"enabled": uniform_bucket_level_access}
        body["iamConfiguration"] = {"uniformBucketLevelAccess": enabled}
    body |= _protection(retention_period, soft_delete_duration)
    if clear_retention_period:
        body["retentionPolicy"] = None
    if clear_soft_delete:
        body["softDeletePolicy"] = {"retentionDurationSeconds": "0"}
    context = context_of(ctx)
    if lock_retention_period:
        confirm(LOCK_PROMPT.format(bucket=bucket), quiet=context.quiet)
    with context.api() as api:
        labels = _label_changes(api, bucket, update_labels, remove_labels, clear_labels)
        if labels is not None:
            body["labels"] = labels
        if not body and not lock_retention_period:
            raise CliError("Nothing to update: give at least one flag that changes the bucket.")
        output.status(f"Updating gs://{bucket}/...")
        updated = api.patch(bucket_path(bucket), body) if body else api.get(bucket_path(bucket))
        if lock_retention_period:
            updated = api.request(
                "POST",
                f"{bucket_path(bucket)}/lockRetentionPolicy",
                params={"ifMetagenerationMatch": updated["metageneration"]},
            )
    if context.format:
        output.show(views.bucket_view(updated), context.format, "yaml")


def _protection(retention_period: str | None, soft_delete: str | None) -> dict[str, Any]:
    """The retention and soft-delete policies the flags ask for."""
    body: dict[str, Any] = {}
    if retention_period is not None:
        seconds = seconds_of(retention_period, "--retention-period")
        body["retentionPolicy"] = {"retentionPeriod": str(seconds)}
    if soft_delete is not None:
        seconds = seconds_of(soft_delete, "--soft-delete-duration")
        body["softDeletePolicy"] = {"retentionDurationSeconds": str(seconds)}
    return body


def _label_changes(
    api: Api, bucket: str, update: str | None, remove: str | None, clear: bool
) -> dict[str, str | None] | None:
    """A patch of labels: new values, and None for those to remove."""
    if not (update or remove or clear):
        return None
    changes: dict[str, str | None] = {}
    if clear:
        changes.update(dict.fromkeys(api.get(bucket_path(bucket)).get("labels") or {}))
    changes.update(dict.fromkeys(names(remove)))
    changes.update(key_values(update, "--update-labels"))
    return changes


@app.command()
def delete(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URLS...", help="Empty buckets.")],
) -> None:
    """Delete empty buckets."""
    buckets = [parse_bucket(url) for url in urls]
    context = context_of(ctx)
    with context.api() as api:
        for bucket in buckets:
            output.status(f"Removing gs://{bucket}/...")
            api.delete(bucket_path(bucket))


@app.command("get-iam-policy")
def get_iam_policy(ctx: typer.Context, url: BucketUrl) -> None:
    """Show a bucket's IAM policy."""
    bucket = parse_bucket(url)
    context = context_of(ctx)
    with context.api() as api:
        policy = iam.read(api, bucket)
    output.show(policy.dump(), context.format, "yaml")


@app.command("add-iam-policy-binding")
def add_iam_policy_binding(ctx: typer.Context, url: BucketUrl, member: Member, role: Role) -> None:
    """Grant a role on a bucket to a principal (allUsers makes it public)."""
    _edit(ctx, url, policies.adding(member, role))


@app.command("remove-iam-policy-binding")
def remove_iam_policy_binding(
    ctx: typer.Context, url: BucketUrl, member: Member, role: Role
) -> None:
    """Revoke a principal's role on a bucket."""
    _edit(ctx, url, policies.removing(member, role))


@app.command("set-iam-policy")
def set_iam_policy(
    ctx: typer.Context,
    url: BucketUrl,
    policy_file: Annotated[
        Path, typer.Argument(metavar="POLICY_FILE", help="A JSON or YAML policy.")
    ],
) -> None:
    """Replace a bucket's IAM policy from a file."""
    bucket = parse_bucket(url)
    policy = policies.from_file(policy_file)
    context = context_of(ctx)
    with context.api() as api:
        updated = iam.write(api, bucket, policy)
    output.show(updated.dump(), context.format, "yaml")


def _edit(ctx: typer.Context, url: str, change: policies.Change) -> None:
    bucket = parse_bucket(url)
    context = context_of(ctx)
    with context.api() as api:
        updated = policies.update(api, bucket, change, reader=iam.read, writer=iam.write)
    output.show(updated.dump(), context.format, "yaml")
