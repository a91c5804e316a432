"""``nimbus storage managed-folders``: create, list, describe and delete managed folders,
as ``gcloud storage managed-folders`` does."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage.urls import CloudUrl, bucket_path, parse

app = typer.Typer(
    name="managed-folders",
    help="Manage Cloud Storage managed folders.",
    no_args_is_help=True,
)

Urls = Annotated[
    list[str], typer.Argument(metavar="URLS...", help="Managed folders, as gs://BUCKET/FOLDER/.")
]


def _folder(text: str) -> CloudUrl:
    url = parse(text, generation=False)
    if not url.name:
        raise CliError(f"[{text}] does not name a managed folder: expected gs://BUCKET/FOLDER/.")
    name = url.name if url.name.endswith("/") else url.name + "/"
    return CloudUrl(url.bucket, name)


def _path(url: CloudUrl) -> str:
    return f"{bucket_path(url.bucket)}/managedFolders/{quote(url.name, safe='')}"


def _view(folder: dict[str, Any]) -> dict[str, Any]:
    """gcloud's fields for a managed folder."""
    return {
        "bucket": folder["bucket"],
        "create_time": folder.get("createTime"),
        "metageneration": folder.get("metageneration"),
        "name": folder["name"],
        "storage_url": f"gs://{folder['bucket']}/{folder['name']}",
        "update_time": folder.get("updateTime"),
    }


@app.command()
def create(ctx: typer.Context, urls: Urls) -> None:
    """Create managed folders (the bucket needs uniform bucket-level access)."""
    folders = [_folder(url) for url in urls]
    context = context_of(ctx)
    with context.api() as api:
        for folder in folders:
            output.status(f"Creating {folder}...")
            api.post(f"{bucket_path(folder.bucket)}/managedFolders", {"name": folder.name})


@app.command("list")
def list_folders(
    ctx: typer.Context,
    urls: Annotated[
        list[str], typer.Argument(metavar="URLS...", help="gs://BUCKET or gs://BUCKET/PREFIX.")
    ],
) -> None:
    """List the managed folders in buckets, or under prefixes."""
    context = context_of(ctx)
    shown: list[dict[str, Any]] = []
    with context.api() as api:
        for text in urls:
            url = parse(text, generation=False)
            params = {"prefix": url.name} if url.name else {}
            path = f"{bucket_path(url.bucket)}/managedFolders"
            shown += [_view(folder) for folder in api.pages(path, "items", params)]
    if context.format:
        output.show(shown, context.format, "yaml")
        return
    for folder in shown:
        print(folder["storage_url"])


@app.command()
def describe(ctx: typer.Context, url: Annotated[str, typer.Argument(metavar="URL")]) -> None:
    """Show a managed folder."""
    folder = _folder(url)
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(_path(folder))
    output.show(_view(found), context.format, "yaml")


@app.command()
def delete(ctx: typer.Context, urls: Urls) -> None:
    """Delete empty managed folders."""
    folders = [_folder(url) for url in urls]
    context = context_of(ctx)
    with context.api() as api:
        for folder in folders:
            output.status(f"Deleting {folder}...")
            api.delete(_path(folder))
