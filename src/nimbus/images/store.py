"""Where the images of the Images API live on disk: one root filesystem per image.

``<root>/<image_id>/rootfs`` is an image's tree, the read-only lower layer of its
instances' overlays. Imports build in a hidden directory and rename it into place, so
an image exists whole or not at all; removal renames it away before deleting.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from pathlib import Path

from nimbus.images import tarballs
from nimbus.images.errors import ImageImportError
from nimbus.images.manifest import tree_size

__all__ = ["ImageImportError", "ImageStore"]

ROOTFS = "rootfs"
_IMAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_IMPORTING = ".import-"
_REMOVING = ".remove-"


class ImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, image_id: str) -> Path:
        """The root filesystem directory of an image (whether or not it exists)."""
        return self._image_dir(image_id) / ROOTFS

    def exists(self, image_id: str) -> bool:
        return self.path(image_id).is_dir()

    def import_tarball(self, image_id: str, tarball: Path) -> int:
        """Make a new image from a root filesystem tarball; returns its size in bytes.

        Raises ImageImportError for an unreadable or hostile archive and
        FileExistsError if the image exists already.
        """
        final = self._image_dir(image_id)
        if final.exists():
            raise FileExistsError(f"image {image_id} exists already")
        self.root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{_IMPORTING}{image_id}-", dir=self.root))
        try:
            rootfs = work / ROOTFS
            rootfs.mkdir()
            tarballs.extract(tarball, rootfs)
            size = tree_size(rootfs)
            work.chmod(0o755)
            _claim_and_rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return size

    def export_tarball(self, image_id: str, dest: Path) -> int:
        """Write the image as a gzip tarball at ``dest``; returns the tarball's size."""
        if not self.exists(image_id):
            raise FileNotFoundError(f"image {image_id} does not exist")
        partial = dest.with_name(f".{dest.name}.partial")
        try:
            tarballs.export(self.path(image_id), partial)
            partial.rename(dest)
        finally:
            partial.unlink(missing_ok=True)
        return dest.stat().st_size

    def remove(self, image_id: str) -> None:
        """Delete an image; nothing happens if it does not exist. No instance may be
        using it: it is their overlays' lower layer."""
        image = self._image_dir(image_id)
        if not image.exists():
            return
        doomed = Path(tempfile.mkdtemp(prefix=f"{_REMOVING}{image_id}-", dir=self.root))
        # Renamed away first, so that nobody sees a half-deleted image.
        with contextlib.suppress(FileNotFoundError):  # a concurrent remove won
            image.rename(doomed / "image")
        shutil.rmtree(doomed)

    def _image_dir(self, image_id: str) -> Path:
        if not _IMAGE_ID.match(image_id):
            raise ValueError(f"invalid image id {image_id!r}")
        return self.root / image_id


def _claim_and_rename(work: Path, final: Path) -> None:
    # rename() would silently replace an empty directory; creating it first makes a
    # concurrent import of the same id fail instead of both succeeding.
    final.mkdir()
    try:
        work.rename(final)
    except BaseException:
        final.rmdir()
        raise
