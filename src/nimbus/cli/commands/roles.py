"""``nimbus iam roles``: predefined roles, and custom roles of a project.

As in gcloud, only an explicit ``--project`` makes a role custom: the configured
project does not, so ``roles list`` alone lists the predefined roles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, names
from nimbus.cli.listing import narrow
from nimbus.cli.resources import custom_role_name, role_name

app = typer.Typer(name="roles", help="Predefined and custom IAM roles.", no_args_is_help=True)

RoleId = Annotated[
    str, typer.Argument(metavar="ROLE_ID", help="roles/NAME, or a custom role's id with --project.")
]
Title = Annotated[str | None, typer.Option("--title", help="The role's title.")]
Description = Annotated[str | None, typer.Option("--description", help="What the role is for.")]
Permissions = Annotated[
    str | None, typer.Option("--permissions", help="Its permissions, comma-separated.")
]
Stage = Annotated[
    str | None,
    typer.Option("--stage", help="Launch stage: ALPHA, BETA, GA, DEPRECATED, DISABLED or EAP."),
]
RoleFile = Annotated[Path | None, typer.Option("--file", help="A JSON or YAML role definition.")]
STAGES = ("ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP")


def _stage(stage: str | None) -> str | None:
    if stage is None:
        return None
    if stage.upper() not in STAGES:
        raise CliError(f"argument --stage: Invalid choice: '{stage}'.")
    return stage.upper()


def _from_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.expanduser().read_text())
    except OSError as exc:
        raise CliError(f"Unable to read role file [{path}]: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise CliError(f"Role file [{path}] is not valid JSON or YAML.") from exc
    if not isinstance(data, dict):
        raise CliError(f"Role file [{path}] does not hold a role.")
    fields = ("title", "description", "includedPermissions", "stage", "etag")
    return {key: data[key] for key in fields if key in data}


@app.command("list")
def list_roles(
    ctx: typer.Context,
    show_deleted: Annotated[
        bool, typer.Option("--show-deleted", help="Include deleted custom roles.")
    ] = False,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List predefined roles, or with --project the project's custom roles."""
    context = context_of(ctx)
    project = context.flags.project
    with context.api() as api:
        if project:
            params = {"showDeleted": "true"} if show_deleted else {}
            found = api.pages(f"/v1/projects/{project}/roles", "roles", params)
        else:
            found = api.pages("/v1/roles", "roles")
        shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, "yaml")


@app.command()
def describe(ctx: typer.Context, role: RoleId) -> None:
    """Show a role and its permissions."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"/v1/{role_name(role, context.flags.project)}")
    output.show(found, context.format, "yaml")


@app.command()
def create(
    ctx: typer.Context,
    role: RoleId,
    title: Title = None,
    description: Description = None,
    permissions: Permissions = None,
    stage: Stage = None,
    file: RoleFile = None,
) -> None:
    """Create a custom role in a project."""
    context = context_of(ctx)
    name = custom_role_name(role, context.flags.project)
    parent, _, role_id = name.rpartition("/roles/")
    fields = _from_file(file)
    fields.pop("etag", None)
    given = {
        "title": title,
        "description": description,
        "includedPermissions": names(permissions) if permissions is not None else None,
        "stage": _stage(stage),
    }
    fields.update({k: v for k, v in given.items() if v is not None})
    with context.api() as api:
        created = api.post(f"/v1/{parent}/roles", {"roleId": role_id, "role": fields})
    output.status(f"Created role [{role_id}].")
    output.show(created, context.format, "yaml")


@app.command()
def update(
    ctx: typer.Context,
    role: RoleId,
    title: Title = None,
    description: Description = None,
    permissions: Permissions = None,
    add_permissions: Annotated[
        str | None, typer.Option("--add-permissions", help="Permissions to add.")
    ] = None,
    remove_permissions: Annotated[
        str | None, typer.Option("--remove-permissions", help="Permissions to remove.")
    ] = None,
    stage: Stage = None,
    file: RoleFile = None,
) -> None:
    """Change a custom role."""
    context = context_of(ctx)
    name = custom_role_name(role, context.flags.project)
    changes = _from_file(file)
    given = {"title": title, "description": description, "stage": _stage(stage)}
    changes.update({k: v for k, v in given.items() if v is not None})
    with context.api() as api:
        current = api.get(f"/v1/{name}")
        if permissions is not None or add_permissions or remove_permissions:
            base = names(permissions) if permissions is not None else None
            changes["includedPermissions"] = _permissions(
                base if base is not None else current.get("includedPermissions") or [],
                names(add_permissions),
                names(remove_permissions),
            )
        mask = [key for key in changes if key != "etag"]
        if not mask:
            raise CliError(
                "Nothing to update: give --title, --description, --stage, "
                "--permissions, --add-permissions, --remove-permissions or --file."
            )
        body = {**changes, "etag": changes.get("etag") or current.get("etag")}
        updated = api.patch(f"/v1/{name}", body, {"updateMask": ",".join(mask)})
    output.show(updated, context.format, "yaml")


def _permissions(base: list[str], added: list[str], removed: list[str]) -> list[str]:
    kept = [p for p in base if p not in removed]
    return kept + [p for p in added if p not in kept]


@app.command()
def delete(ctx: typer.Context, role: RoleId) -> None:
    """Delete a custom role (it can be undeleted for a while)."""
    context = context_of(ctx)
    name = custom_role_name(role, context.flags.project)
    with context.api() as api:
        deleted = api.delete(f"/v1/{name}")
    output.status(f"deleted role [{name.rsplit('/', 1)[-1]}]")
    output.show(deleted, context.format, "yaml")


@app.command()
def undelete(ctx: typer.Context, role: RoleId) -> None:
    """Restore a deleted custom role."""
    context = context_of(ctx)
    name = custom_role_name(role, context.flags.project)
    with context.api() as api:
        restored = api.post(f"/v1/{name}:undelete")
    output.status(f"Restored role [{name.rsplit('/', 1)[-1]}].")
    output.show(restored, context.format, "yaml")
