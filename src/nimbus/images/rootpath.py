"""Paths inside an image tree, resolved the way the image's own processes would.

An image holds absolute symlinks (``/etc/alternatives/...``) that mean the image's
root, not the host's: following them from outside would write to the host. Every
path we touch in an image goes through ``inside``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

MAX_SYMLINKS = 40


def inside(root: Path, path: str) -> Path:
    """The host path of the image path ``path``, with every symlink of its parent
    directories resolved within ``root``; the last component is left as it is."""
    image_path = PurePosixPath("/", path)
    parent = _resolve(root, image_path.parent.parts[1:], 0)
    return root / parent / image_path.name if image_path.name else root / parent


def _resolve(root: Path, parts: tuple[str, ...], followed: int) -> PurePosixPath:
    resolved = PurePosixPath()
    pending = list(parts)
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            resolved = resolved.parent
            continue
        candidate = root / resolved / part
        if not candidate.is_symlink():
            resolved = resolved / part
            continue
        followed += 1
        if followed > MAX_SYMLINKS:
            raise OSError(f"too many symlinks under {root} resolving {'/'.join(parts)}")
        target = PurePosixPath(candidate.readlink())
        if target.is_absolute():
            resolved = PurePosixPath()
        pending = [*target.parts[1 if target.is_absolute() else 0 :], *pending]
    return resolved
