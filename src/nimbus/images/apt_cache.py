"""The .debs kept between image builds, so that a rebuild downloads only what changed."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nimbus.images.manifest import Package

ARCHIVES = "var/cache/apt/archives"


def stash(root: Path, cache: Path) -> None:
    """Move the build's .debs into ``cache`` and leave the image's apt cache empty,
    as ``apt-get clean`` would."""
    archives = root / ARCHIVES
    for deb in archives.glob("*.deb"):
        # Those the build took from the cache are the same file: rename leaves both.
        deb.replace(cache / deb.name)
        deb.unlink(missing_ok=True)
    for leftover in (archives / "partial").glob("*"):
        leftover.unlink()
    for binary_cache in (root / "var/cache/apt").glob("*.bin"):
        binary_cache.unlink()


def prune(cache: Path, packages: Iterable[Package]) -> None:
    """Forget every .deb the latest build did not install (superseded versions)."""
    wanted = {package.deb_name for package in packages}
    for deb in cache.glob("*.deb"):
        if deb.name not in wanted:
            deb.unlink()
