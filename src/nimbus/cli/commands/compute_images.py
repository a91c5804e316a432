"""``nimbus compute images``: list, describe, describe-from-family, deprecate, delete."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.flags import Filter, Limit, SortBy
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.waiting import wait_global_operation

app = typer.Typer(name="images", help="Boot images.", no_args_is_help=True)
IMAGES_FORMAT = "table(name, _project:label=PROJECT, family, deprecated.state, status)"
PUBLIC_IMAGE_PROJECTS = ("debian-cloud",)
ProjectFlag = Annotated[str | None, typer.Option("--project", help="The image project.")]


@app.command("list")
def list_images(
    ctx: typer.Context,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List the images of the project and of the public image projects."""
    context = context_of(ctx)
    projects = [context.project(), *PUBLIC_IMAGE_PROJECTS]
    found = []
    with context.api() as api:
        for project in dict.fromkeys(projects):
            for item in api.pages(f"/compute/v1/projects/{project}/global/images", "items"):
                item["_project"] = project
                found.append(item)
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, IMAGES_FORMAT)


@app.command("describe")
def describe(
    ctx: typer.Context, name: Annotated[str, typer.Argument()], project: ProjectFlag = None
) -> None:
    """Show one image."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"/compute/v1/projects/{project or context.project()}/global/images/{name}")
    output.show(found, context.format, "yaml")


@app.command("describe-from-family")
def describe_from_family(
    ctx: typer.Context, family: Annotated[str, typer.Argument()], project: ProjectFlag = None
) -> None:
    """Show the newest usable image of a family."""
    context = context_of(ctx)
    path = f"/compute/v1/projects/{project or context.project()}/global/images/family/{family}"
    with context.api() as api:
        output.show(api.get(path), context.format, "yaml")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    source_uri: Annotated[
        str, typer.Option("--source-uri", help="gs://BUCKET/OBJECT: a root filesystem tarball.")
    ],
    family: Annotated[str | None, typer.Option("--family")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
) -> None:
    """Create an image from a root filesystem tarball in Cloud Storage."""
    context = context_of(ctx)
    base = f"/compute/v1/projects/{context.project()}"
    body: dict[str, object] = {"name": name, "rawDisk": {"source": source_uri}}
    if family:
        body["family"] = family
    if description:
        body["description"] = description
    with context.api() as api:
        operation = api.post(f"{base}/global/images", body)
        operation = wait_global_operation(api, base, operation, f"Importing {name}...")
    output.status(f"Created [{operation.get('targetLink')}].")


@app.command("deprecate")
def deprecate(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    state: Annotated[str, typer.Option("--state", help="ACTIVE, DEPRECATED, OBSOLETE, DELETED")],
    replacement: Annotated[str | None, typer.Option("--replacement")] = None,
) -> None:
    """Mark an image deprecated (or active again)."""
    context = context_of(ctx)
    base = f"/compute/v1/projects/{context.project()}"
    body = {"state": state.upper()}
    if replacement:
        body["replacement"] = f"{base}/global/images/{replacement}"
    with context.api() as api:
        api.post(f"{base}/global/images/{name}/deprecate", body)
    output.status(f"Updated [{name}].")


@app.command("delete")
def delete(ctx: typer.Context, image_names: Annotated[list[str], typer.Argument()]) -> None:
    """Delete images."""
    context = context_of(ctx)
    confirm(f"The following images will be deleted: {', '.join(image_names)}", quiet=context.quiet)
    base = f"/compute/v1/projects/{context.project()}"
    with context.api() as api:
        for name in image_names:
            api.delete(f"{base}/global/images/{name}")
            output.status(f"Deleted [{name}].")
