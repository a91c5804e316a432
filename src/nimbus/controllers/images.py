"""Image builds: the built-in ``debian-12`` image is built once in the background, and
every image's root filesystem is found here for the instance controller."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from nimbus.services.compute.images import BUILTIN_DEBIAN, FAILED, READY, Images
from nimbus.store.models import Image

log = logging.getLogger("nimbus.controllers.images")
BuildFn = Callable[[], Path]


class ImageLibrary:
    """Where image root filesystems are; builds the built-in one on ``start``."""

    def __init__(self, images: Images, store_root: Path, build_debian: BuildFn) -> None:
        self.images = images
        self.store_root = store_root
        self.build_debian = build_debian
        self._debian_root: Path | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._build, name="image-build", daemon=True)
            self._thread.start()

    def wait_built(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def root_for(self, image_id: int) -> Path | None:
        with self.images.db.read() as session:
            image = session.get(Image, image_id)
            if image is None or image.status != READY:
                return None
            if image.source == BUILTIN_DEBIAN:
                return self._debian_root
            return self.store_root / str(image.id)

    def _build(self) -> None:
        image = self.images.ensure_builtin()
        try:
            root = self.build_debian()
        except Exception as error:
            log.exception("building the debian-12 image failed")
            self.images.mark(image.id, FAILED, failure=str(error))
            return
        self._debian_root = root
        self.images.mark(image.id, READY, size=_size_of(root))


def _size_of(root: Path) -> int:
    manifest = root.parent / "manifest.json"
    if manifest.is_file():
        return int(json.loads(manifest.read_text()).get("size_bytes", 0))
    return 0
