"""selfLinks: absolute URLs of compute resources on this server."""

from __future__ import annotations

from fastapi import Request

from nimbus.api.auth import base_url


def project_link(request: Request, project_id: str) -> str:
    return f"{base_url(request)}/compute/v1/projects/{project_id}"


def scope_path(scope: str, location: str) -> str:
    """``global``, ``regions/us-central1`` or ``zones/us-central1-a``."""
    return "global" if scope == "global" else f"{scope}s/{location}"
