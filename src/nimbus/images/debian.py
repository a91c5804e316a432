"""The debian-12 image, built once from Debian's packages and cached by recipe digest.

``ensure_debian_image(cache_dir)`` returns ``<cache_dir>/debian-12-<digest12>/rootfs``,
a tree meant to be the read-only lower layer of every instance's overlay, with
``manifest.json`` beside it. The first call builds it (about 20 s, most of it dpkg);
any process calling at the same time waits for that build.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from nimbus.images import apt_cache, builds, mmdebstrap
from nimbus.images.customize import customize
from nimbus.images.debian_recipe import IMAGE_NAME, debian_recipe
from nimbus.images.errors import ImageBuildError
from nimbus.images.guest_payload import load_guest_payload
from nimbus.images.manifest import Manifest, installed_packages, tree_size
from nimbus.images.progress import CUSTOMIZING, CUSTOMIZING_START, DONE, BuildProgress, ProgressFn
from nimbus.images.recipe import Recipe

__all__ = ["ImageBuildError", "ProgressFn", "ensure_debian_image", "image_recipe_digest"]

ROOTFS = "rootfs"
MANIFEST = "manifest.json"
APT_ARCHIVES = "apt-archives"


def image_recipe_digest() -> str:
    """The digest of everything that shapes the image, the guest agent included."""
    return _recipe().digest()


def ensure_debian_image(cache_dir: Path, progress: ProgressFn | None = None) -> Path:
    """The image's root filesystem, building it if this recipe was never built."""
    cache_dir = cache_dir.absolute()
    recipe = _recipe()
    final = cache_dir / f"{IMAGE_NAME}-{recipe.digest()[:12]}"
    tracker = BuildProgress(progress)
    if not (final / ROOTFS).is_dir():
        cache_dir.mkdir(parents=True, exist_ok=True)
        waiting = functools.partial(tracker.stage, "waiting for another build", 0.0)
        with builds.locked(cache_dir / f"{IMAGE_NAME}.lock", waiting):
            if not (final / ROOTFS).is_dir():
                _build(recipe, cache_dir, final, tracker)
    tracker.stage(DONE, 1.0)
    return final / ROOTFS


def _recipe() -> Recipe:
    return debian_recipe(load_guest_payload())


def _build(recipe: Recipe, cache_dir: Path, final: Path, tracker: BuildProgress) -> None:
    started = time.monotonic()
    work = builds.new_work_dir(cache_dir, IMAGE_NAME)
    try:
        root = work / ROOTFS
        archives = cache_dir / APT_ARCHIVES
        archives.mkdir(exist_ok=True)
        mmdebstrap.run(recipe, root, archives, tracker.feed)
        apt_cache.stash(root, archives)
        tracker.stage(CUSTOMIZING, CUSTOMIZING_START)
        customize(root, recipe)
        packages = installed_packages(root)
        apt_cache.prune(archives, packages)
        Manifest(
            image=IMAGE_NAME,
            digest=recipe.digest(),
            build_seconds=round(time.monotonic() - started, 1),
            size_bytes=tree_size(root),
            packages=packages,
            recipe=recipe.document(),
        ).write(work / MANIFEST)
        builds.publish(work, final)
    except BaseException:
        builds.remove_tree(work)
        raise
