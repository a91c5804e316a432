"""References to other resources in request bodies, in every form Google accepts: a full
URL, ``projects/P/global/networks/N``, ``global/networks/N`` or the bare name."""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.core.errors import InvalidArgument


@dataclass(frozen=True)
class Reference:
    name: str
    project: str | None = None  # None: the project of the request
    region: str | None = None  # regional resources only, when the reference names one


def parse_reference(text: str, collection: str, field: str) -> Reference:
    """``collection`` is the path segment before the name (``networks``, ``subnetworks``)."""
    parts = [part for part in text.strip().split("/") if part]
    if not parts:
        raise InvalidArgument(f"Invalid value for field '{field}': '{text}'.")
    if len(parts) > 1 and parts[-2] != collection:
        raise InvalidArgument(f"Invalid value for field '{field}': '{text}'. The URL is malformed.")
    return Reference(
        name=parts[-1],
        project=_after(parts, "projects"),
        region=_after(parts, "regions"),
    )


def same_project(reference: Reference, project_id: str, project_number: int) -> bool:
    return reference.project in (None, project_id, str(project_number))


def _after(parts: list[str], key: str) -> str | None:
    for index, part in enumerate(parts[:-1]):
        if part == key:
            return parts[index + 1]
    return None
