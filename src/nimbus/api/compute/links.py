"""selfLinks: absolute URLs of compute resources on this server."""

from __future__ import annotations

from fastapi import Request

from nimbus.api.auth import base_url


def project_link(request: Request, project_id: str) -> str:
    return f"{base_url(request)}/compute/v1/projects/{project_id}"


def scope_path(scope: str, location: str) -> str:
    """``global``, ``regions/us-central1`` or ``zones/us-central1-a``."""
    return "global" if scope == "global" else f"{scope}s/{location}"


def full_link(project_link: str, ref: str | None) -> str | None:
    """A reference as the user gave it (a partial URL, or a full one) made a full URL:
    ``projects/P/...`` under the API's root, anything else under ``project_link``."""
    if not ref:
        return None
    if "://" in ref:
        return ref
    base = project_link.split("/compute/v1/", 1)[0] + "/compute/v1"
    path = ref.strip("/")
    if path.startswith("projects/"):
        return f"{base}/{path}"
    return f"{project_link}/{path}"
