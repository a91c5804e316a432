"""Images on this host: the built-in ``debian-12`` image is built once in the background,
images inserted from a tarball are imported into the image store, and every image's
root filesystem is found here for the instance controller."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from nimbus.blobs import BlobStore
from nimbus.controllers.build_progress import ConsoleProgress
from nimbus.core.errors import FailedPrecondition
from nimbus.images.store import ImageImportError, ImageStore
from nimbus.services.compute.images import BUILTIN_DEBIAN, FAILED, PENDING, READY, STORE, Images
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.store.models import Image, Operation, StoredObject

log = logging.getLogger("nimbus.controllers.images")
ProgressFn = Callable[[str, float], None]
BuildFn = Callable[[ProgressFn], Path]
IMPORT_POLL_SECONDS = 1.0


class ImageLibrary:
    """Where image root filesystems are; builds and imports them in the background."""

    def __init__(
        self,
        images: Images,
        store: ImageStore,
        blobs: BlobStore,
        operations: Operations,
        build_debian: BuildFn,
    ) -> None:
        self.images = images
        self.store = store
        self.blobs = blobs
        self.operations = operations
        self.build_debian = build_debian
        self._debian_root: Path | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self) -> None:
        if not self._threads:
            for target, name in ((self._build, "image-build"), (self._imports, "image-import")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()

    def root_for(self, image_id: int) -> Path | None:
        with self.images.db.read() as session:
            image = session.get(Image, image_id)
            if image is None or image.status != READY:
                return None
            if image.source == BUILTIN_DEBIAN:
                return self._debian_root
            return self.store.path(str(image.id))

    # -- the built-in image ----------------------------------------------------------------

    def _build(self) -> None:
        image = self.images.ensure_builtin()
        progress = ConsoleProgress(f"image {image.name}")
        try:
            root = self.build_debian(progress)
        except Exception as error:
            log.exception("building the debian-12 image failed")
            self.images.mark(image.id, FAILED, failure=str(error))
            return
        finally:
            progress.close()
        self._debian_root = root
        self.images.mark(image.id, READY, size=_size_of(root))

    # -- imported images -------------------------------------------------------------------

    def _imports(self) -> None:
        while not self._stopping.wait(IMPORT_POLL_SECONDS):
            try:
                self.import_pending()
            except Exception:
                log.exception("importing images failed")

    def import_pending(self) -> None:
        with self.images.db.read() as session:
            pending = list(
                session.scalars(
                    select(Image.id).where(Image.source == STORE, Image.status == PENDING)
                )
            )
        for image_id in pending:
            self._import(image_id)

    def _import(self, image_id: int) -> None:
        with self.images.db.read() as session:
            image = session.get(Image, image_id)
            if image is None or image.raw_source is None:
                return
            location, _, generation = image.raw_source.rpartition("#")
            bucket, _, name = location.partition("/")
            stored = session.get(StoredObject, (bucket, name, int(generation)))
            inline, blob_id = (stored.inline_data, stored.blob_id) if stored else (None, None)
        error: Exception | None = None
        size = 0
        try:
            self.store.remove(str(image_id))  # a half-done import before a crash
            if blob_id is not None:
                size = self.store.import_tarball(str(image_id), self.blobs.path_of(blob_id))
            elif inline is not None:
                with tempfile.NamedTemporaryFile(suffix=".tar") as handle:
                    handle.write(inline)
                    handle.flush()
                    size = self.store.import_tarball(str(image_id), Path(handle.name))
            else:
                error = FailedPrecondition(f"The object {location} is gone.")
        except (ImageImportError, OSError) as failure:
            error = failure
        self._finish(image_id, size, error)

    def _finish(self, image_id: int, size: int, error: Exception | None) -> None:
        failure = None if error is None else FailedPrecondition(f"Image import failed: {error}")
        with self.images.db.write() as session:
            image = session.get(Image, image_id)
            if image is None:
                return
            image.status = READY if failure is None else FAILED
            image.archive_size_bytes = size
            image.failure = failure.message if failure else None
            for operation in session.scalars(
                select(Operation).where(
                    Operation.target_id == str(image_id), Operation.status != states.DONE
                )
            ):
                self.operations.finish(session, operation, failure)


def _size_of(root: Path) -> int:
    manifest = root.parent / "manifest.json"
    if manifest.is_file():
        return int(json.loads(manifest.read_text()).get("size_bytes", 0))
    return 0
