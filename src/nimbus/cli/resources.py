"""The API paths of the resources commands name, from the names users type."""

from __future__ import annotations

from nimbus.cli.failures import CliError


def project_path(project: str) -> str:
    return f"/v1/projects/{project}"


def account_path(account: str) -> str:
    """An account by email or unique id; ``-`` lets the server find its project."""
    return f"/v1/projects/-/serviceAccounts/{account}"


def key_path(account: str, key_id: str) -> str:
    return f"{account_path(account)}/keys/{key_id}"


def role_name(role: str, project: str | None) -> str:
    """``roles/x`` and ``projects/p/roles/x`` as given; a bare id is custom with --project."""
    if role.startswith(("roles/", "projects/")):
        return role
    if project:
        return f"projects/{project}/roles/{role}"
    return f"roles/{role}"


def custom_role_name(role: str, project: str | None) -> str:
    name = role_name(role, project)
    if not name.startswith("projects/"):
        raise CliError(
            f"[{role}] is not a custom role: give its id with --project, or projects/P/roles/ID."
        )
    return name
