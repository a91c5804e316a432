"""``nimbus projects``: create, list, describe, update, delete and undelete projects."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.commands import iam_policy
from nimbus.cli.config import PROJECT
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values, names
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.resources import project_path

app = typer.Typer(name="projects", help="Create and manage projects.", no_args_is_help=True)
ProjectId = Annotated[str, typer.Argument(metavar="PROJECT_ID", help="The project's id.")]
LIST_FORMAT = "table(projectId, name, projectNumber)"
WAIT_SECONDS = 60


def _link(api: Api, project: str) -> str:
    return f"{api.endpoint}{project_path(project)}"


@app.command()
def create(
    ctx: typer.Context,
    project_id: ProjectId,
    name: Annotated[str | None, typer.Option("--name", help="A display name.")] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="Labels to set, as KEY=VALUE,...")
    ] = None,
    organization: Annotated[
        str | None, typer.Option("--organization", help="The parent organization's id.")
    ] = None,
    folder: Annotated[str | None, typer.Option("--folder", help="The parent folder's id.")] = None,
    set_as_default: Annotated[
        bool, typer.Option("--set-as-default", help="Make it the configured project.")
    ] = False,
) -> None:
    """Create a project."""
    if organization and folder:
        raise CliError("argument --folder: At most one of --organization | --folder may be given.")
    context = context_of(ctx)
    body: dict[str, Any] = {"projectId": project_id}
    if name:
        body["name"] = name
    if labels:
        body["labels"] = key_values(labels, "--labels")
    if organization or folder:
        body["parent"] = {
            "type": "organization" if organization else "folder",
            "id": organization or folder,
        }
    with context.api() as api:
        operation = api.post("/v1/projects", body)
        output.status(f"Create in progress for [{_link(api, project_id)}].")
        project = _finished(api, operation)
    output.status(f"Waiting for [{operation.get('name')}] to finish...done.")
    if set_as_default:
        context.config.set(PROJECT, project_id)
        output.status(f"Updated property [core/project] to [{project_id}].")
    if context.format:
        output.show(project, context.format, "yaml")


def _finished(api: Api, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation's result, once it is done."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not operation.get("done"):
        if time.monotonic() > deadline:
            raise CliError(f"Operation [{operation.get('name')}] did not finish in time.")
        time.sleep(0.5)
        operation = api.get(f"/v1/{operation['name']}")
    error = operation.get("error")
    if error:
        raise CliError(str(error.get("message") or error))
    response = dict(operation.get("response") or {})
    response.pop("@type", None)
    return response


@app.command("list")
def list_projects(
    ctx: typer.Context, filter: Filter = None, limit: Limit = None, sort_by: SortBy = None
) -> None:
    """List the active projects you can see."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.pages("/v1/projects", "projects", {"filter": "lifecycleState:ACTIVE"})
        shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, LIST_FORMAT)


@app.command()
def describe(ctx: typer.Context, project_id: ProjectId) -> None:
    """Show a project."""
    context = context_of(ctx)
    with context.api() as api:
        project = api.get(project_path(project_id))
    output.show(project, context.format, "yaml")


@app.command()
def delete(ctx: typer.Context, project_id: ProjectId) -> None:
    """Mark a project for deletion; projects undelete restores it for a while."""
    context = context_of(ctx)
    confirm(f"Your project [{project_id}] will be deleted.", quiet=context.quiet)
    with context.api() as api:
        api.delete(project_path(project_id))
        output.status(
            f"Deleted [{_link(api, project_id)}].\n\n"
            "You can undo this operation for a limited period by running the command below.\n"
            f"    $ nimbus projects undelete {project_id}"
        )


@app.command()
def undelete(ctx: typer.Context, project_id: ProjectId) -> None:
    """Restore a project marked for deletion."""
    context = context_of(ctx)
    with context.api() as api:
        api.post(f"{project_path(project_id)}:undelete")
        output.status(f"Restored project [{_link(api, project_id)}].")


@app.command()
def update(
    ctx: typer.Context,
    project_id: ProjectId,
    name: Annotated[str | None, typer.Option("--name", help="A new display name.")] = None,
    update_labels: Annotated[
        str | None, typer.Option("--update-labels", help="Labels to add or change: KEY=VALUE,...")
    ] = None,
    remove_labels: Annotated[
        str | None, typer.Option("--remove-labels", help="Label keys to remove: KEY,...")
    ] = None,
    clear_labels: Annotated[
        bool, typer.Option("--clear-labels", help="Remove every label.")
    ] = False,
) -> None:
    """Change a project's display name or labels."""
    if name is None and not (update_labels or remove_labels or clear_labels):
        raise CliError(
            "At least one of --name, --update-labels, --remove-labels or --clear-labels "
            "must be given."
        )
    context = context_of(ctx)
    with context.api() as api:
        project = api.get(project_path(project_id))
        labels = {} if clear_labels else dict(project.get("labels") or {})
        labels.update(key_values(update_labels, "--update-labels"))
        for key in names(remove_labels):
            labels.pop(key, None)
        body = {"name": name if name is not None else project.get("name"), "labels": labels}
        updated = api.put(project_path(project_id), body)
        output.status(f"Updated [{_link(api, project_id)}].")
    if context.format:
        output.show(updated, context.format, "yaml")


iam_policy.register(app, "PROJECT_ID", project_path, "project")
