"""A recipe: everything that shapes a built image, and its digest.

The digest names the cached build, so anything that changes the result must be in
the recipe's document; bump ``RECIPE_VERSION`` when the build code itself changes
what it produces.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

RECIPE_VERSION = 1


@dataclass(frozen=True)
class ImageFile:
    """A file written into an image: absolute path inside it, content, mode."""

    path: str
    content: bytes
    mode: int = 0o644


@dataclass(frozen=True)
class Recipe:
    suite: str
    architecture: str
    # One-line apt sources, also the image's /etc/apt/sources.list.
    sources: tuple[str, ...]
    variant: str
    packages: tuple[str, ...]
    dpkg_options: tuple[str, ...]
    # apt preferences in force while building only.
    build_apt_preferences: str
    files: tuple[ImageFile, ...]
    # Absolute paths (globs) removed from the image after installation.
    removed: tuple[str, ...]
    groups: tuple[str, ...]
    masked_units: tuple[str, ...]
    masked_generators: tuple[str, ...]
    # "<target>.wants/<unit>": a vendor's wants link that should not start the unit.
    unwanted: tuple[str, ...]
    enabled_units: tuple[str, ...]
    default_target: str

    def document(self) -> dict[str, object]:
        return {
            "recipe_version": RECIPE_VERSION,
            "suite": self.suite,
            "architecture": self.architecture,
            "sources": list(self.sources),
            "variant": self.variant,
            "packages": list(self.packages),
            "dpkg_options": list(self.dpkg_options),
            "build_apt_preferences": self.build_apt_preferences,
            "files": [_describe(file) for file in self.files],
            "removed": list(self.removed),
            "groups": list(self.groups),
            "masked_units": list(self.masked_units),
            "masked_generators": list(self.masked_generators),
            "unwanted": list(self.unwanted),
            "enabled_units": list(self.enabled_units),
            "default_target": self.default_target,
        }

    def digest(self) -> str:
        canonical = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _describe(file: ImageFile) -> dict[str, object]:
    return {
        "path": file.path,
        "mode": file.mode,
        "sha256": hashlib.sha256(file.content).hexdigest(),
    }
