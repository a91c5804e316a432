"""Images (compute/v1 ``images``): public image projects, families, deprecation.

Public image projects such as ``debian-cloud`` are not projects of this Nimbus: their
images are readable by every authenticated caller and written only by Nimbus itself.
The ``debian-12`` family holds one image, built once from Debian's packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RequiredField,
)
from nimbus.core.fingerprints import fingerprint_of
from nimbus.core.ids import new_numeric_id
from nimbus.core.labels import validate_labels
from nimbus.services.caller import Caller
from nimbus.services.compute.fingerprints import relabel
from nimbus.services.compute.names import check_name
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.storage.objects import Objects
from nimbus.store.db import Database
from nimbus.store.models import Image, Operation

PENDING, READY, FAILED = "PENDING", "READY", "FAILED"
STORE = "store"
DEBIAN_PROJECT = "debian-cloud"
DEBIAN_FAMILY = "debian-12"
BUILTIN_DEBIAN = "builtin:debian-12"
# Google's other public image projects: they exist here too, empty, so that listing
# every public image (as ``gcloud compute images list`` does) finds no missing project.
_EMPTY_PUBLIC_PROJECTS = (
    "centos-cloud",
    "cos-cloud",
    "fedora-coreos-cloud",
    "opensuse-cloud",
    "oracle-linux-cloud",
    "rhel-cloud",
    "rhel-sap-cloud",
    "rocky-linux-accelerator-cloud",
    "rocky-linux-cloud",
    "suse-cloud",
    "suse-sap-cloud",
    "ubuntu-os-accelerator-images",
    "ubuntu-os-cloud",
    "ubuntu-os-pro-cloud",
    "windows-cloud",
    "windows-sql-cloud",
)
# Stable numbers for the public image projects (they have no row in ``projects``).
PUBLIC_PROJECTS = {
    DEBIAN_PROJECT: 270_938_771_226,
    **{name: 270_938_771_300 + index for index, name in enumerate(_EMPTY_PUBLIC_PROJECTS)},
}
# What anyone signed in may do with a public image project's images.
_PUBLIC_VERBS = ("get", "list", "getFromFamily", "useReadOnly")
_DEPRECATION_STATES = ("ACTIVE", "DEPRECATED", "OBSOLETE", "DELETED")


def _family_of(parts: list[str]) -> str | None:
    """The family a source image path names (``global/images/family/F`` or
    ``zones/Z/imageFamilyViews/F``), or None for any other path."""
    if len(parts) == 4 and parts[:3] == ["global", "images", "family"]:
        return parts[3]
    if len(parts) == 4 and parts[0] == "zones" and parts[2] == "imageFamilyViews":
        return parts[3]
    return None


@dataclass(frozen=True)
class ImageProject:
    project_id: str
    number: int
    public: bool = False


def storage_location(source: str) -> tuple[str, str]:
    """``gs://B/O``, ``https://storage.googleapis.com/B/O`` or a JSON API object URL
    (``.../storage/v1/b/B/o/O``) → (bucket, object)."""
    if source.startswith("gs://"):
        path = source[len("gs://") :]
    elif "/storage/v1/b/" in source:
        bucket, _, rest = source.split("/storage/v1/b/", 1)[1].partition("/o/")
        return _checked(source, bucket, unquote(rest.split("?", 1)[0]))
    elif source.startswith(("http://", "https://")):
        path = urlsplit(source).path.lstrip("/")
    else:
        path = ""
    bucket, _, name = path.partition("/")
    return _checked(source, bucket, unquote(name))


def _checked(source: str, bucket: str, name: str) -> tuple[str, str]:
    if not bucket or not name:
        raise InvalidArgument(
            f"Invalid value for field 'resource.rawDisk.source': '{source}'. Expected "
            "gs://BUCKET/OBJECT or https://storage.googleapis.com/BUCKET/OBJECT."
        )
    return bucket, name


class Images:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        operations: Operations,
        objects: Objects,
        clock: Clock,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.objects = objects
        self.clock = clock

    # -- reads -----------------------------------------------------------------------------

    def get(self, caller: Caller, project_ref: str, name: str) -> tuple[ImageProject, Image]:
        with self.db.read() as session:
            project = self.project(session, caller, project_ref, "compute.images.get")
            return project, self._named(session, project, name)

    def list_all(self, caller: Caller, project_ref: str) -> tuple[ImageProject, list[Image]]:
        with self.db.read() as session:
            project = self.project(session, caller, project_ref, "compute.images.list")
            rows = session.scalars(
                select(Image).where(Image.project_number == project.number).order_by(Image.name)
            ).all()
            return project, list(rows)

    def from_family(
        self, caller: Caller, project_ref: str, family: str
    ) -> tuple[ImageProject, Image]:
        with self.db.read() as session:
            project = self.project(session, caller, project_ref, "compute.images.getFromFamily")
            return project, self._newest_in_family(session, project, family)

    def resolve(self, session: Session, caller: Caller, caller_project: str, ref: str) -> Image:
        """An instance's ``sourceImage``: ``projects/P/global/images/NAME``,
        ``.../images/family/FAMILY``, ``.../zones/ZONE/imageFamilyViews/FAMILY`` (as
        gcloud names a family, ``-`` for any zone), or the same without ``projects/P/``
        (the caller's project), as a partial or full URL."""
        path = ref.split("/compute/v1/", 1)[-1].strip("/")
        parts = path.split("/")
        if parts[0] == "projects" and len(parts) > 2:
            project_ref, parts = parts[1], parts[2:]
        else:
            project_ref = caller_project
        family = _family_of(parts)
        if family is not None:
            project = self.project(session, caller, project_ref, "compute.images.useReadOnly")
            return self._newest_in_family(session, project, family)
        if parts[:2] != ["global", "images"] or len(parts) != 3:
            raise InvalidArgument(f"Invalid value for field 'sourceImage': '{ref}'.")
        project = self.project(session, caller, project_ref, "compute.images.useReadOnly")
        return self._named(session, project, parts[2])

    # -- writes ----------------------------------------------------------------------------

    def insert(
        self,
        caller: Caller,
        project_ref: str,
        body: dict[str, Any],
        target_link: str,
    ) -> tuple[ImageProject, Operation]:
        """An image from a root filesystem tarball in Cloud Storage (``rawDisk.source``);
        the image library imports it and finishes the Operation."""
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise RequiredField("Required field 'resource.name' not specified")
        source = (body.get("rawDisk") or {}).get("source")
        if not isinstance(source, str) or not source:
            raise RequiredField(
                "Required field 'resource.rawDisk.source' not specified: Nimbus imports "
                "images from a root filesystem tarball in Cloud Storage."
            )
        bucket, object_name = storage_location(source)
        _, stored = self.objects.get(caller, bucket, object_name)
        labels = validate_labels(body.get("labels"))
        with self.db.write() as session:
            project = self.project(session, caller, project_ref, "compute.images.create")
            image = self.create_row(
                session,
                project,
                name=name,
                family=body.get("family") or None,
                description=str(body.get("description") or ""),
                source=STORE,
                labels=labels,
            )
            image.raw_source = f"{bucket}/{object_name}#{stored.generation}"
            operation = self.operations.record_for_number(
                session,
                project.number,
                scope=states.GLOBAL,
                location="",
                operation_type="insert",
                target_link=target_link,
                target_id=str(image.id),
                user=caller.email,
            )
            return project, operation

    def deprecate(
        self,
        caller: Caller,
        project_ref: str,
        name: str,
        status: dict[str, Any],
        target_link: str,
    ) -> tuple[ImageProject, Operation]:
        state = status.get("state", "ACTIVE")
        if state not in _DEPRECATION_STATES:
            raise InvalidArgument(f"Invalid value for field 'state': '{state}'.")
        with self.db.write() as session:
            project = self.project(session, caller, project_ref, "compute.images.deprecate")
            image = self._named(session, project, name)
            image.deprecated = None if state == "ACTIVE" else {**status, "state": state}
            return project, self._done(session, project, image, "deprecate", target_link, caller)

    def set_labels(
        self,
        caller: Caller,
        project_ref: str,
        name: str,
        labels: dict[str, str],
        fingerprint: str | None,
        target_link: str,
    ) -> tuple[ImageProject, Operation]:
        clean = validate_labels(labels)
        with self.db.write() as session:
            project = self.project(session, caller, project_ref, "compute.images.setLabels")
            image = self._named(session, project, name)
            relabel(image, clean, fingerprint)
            return project, self._done(session, project, image, "setLabels", target_link, caller)

    def delete(
        self, caller: Caller, project_ref: str, name: str, target_link: str
    ) -> tuple[ImageProject, Operation]:
        with self.db.write() as session:
            project = self.project(session, caller, project_ref, "compute.images.delete")
            image = self._named(session, project, name)
            session.delete(image)
            return project, self._done(session, project, image, "delete", target_link, caller)

    def create_row(
        self,
        session: Session,
        project: ImageProject,
        *,
        name: str,
        family: str | None,
        description: str,
        source: str,
        labels: dict[str, str],
        status: str = PENDING,
    ) -> Image:
        check_name(name)
        if family is not None:
            check_name(family, "resource.family")
        taken = session.scalars(
            select(Image.id).where(Image.project_number == project.number, Image.name == name)
        ).first()
        if taken is not None:
            raise AlreadyExists(
                f"The resource 'projects/{project.project_id}/global/images/{name}' already exists"
            )
        image = Image(
            id=new_numeric_id(),
            project_number=project.number,
            name=name,
            family=family,
            description=description,
            status=status,
            source=source,
            labels=labels,
            label_fingerprint=fingerprint_of(labels),
            creation_time=self.clock.now(),
        )
        session.add(image)
        session.flush()
        return image

    def ensure_builtin(self) -> Image:
        """The ``debian-12`` image row in ``debian-cloud`` (PENDING until built)."""
        project = ImageProject(DEBIAN_PROJECT, PUBLIC_PROJECTS[DEBIAN_PROJECT], public=True)
        with self.db.write() as session:
            found = session.scalars(select(Image).where(Image.source == BUILTIN_DEBIAN)).first()
            if found is not None:
                return found
            day = self.clock.now().strftime("%Y%m%d")
            return self.create_row(
                session,
                project,
                name=f"debian-12-bookworm-v{day}",
                family=DEBIAN_FAMILY,
                description="Debian, Debian GNU/Linux, 12 (bookworm), amd64, built from "
                "Debian's packages by Nimbus",
                source=BUILTIN_DEBIAN,
                labels={},
            )

    def mark(self, image_id: int, status: str, size: int = 0, failure: str | None = None) -> None:
        with self.db.write() as session:
            image = session.get(Image, image_id)
            if image is not None:
                image.status = status
                image.archive_size_bytes = size or image.archive_size_bytes
                image.failure = failure

    # -- helpers ---------------------------------------------------------------------------

    def project(self, session: Session, caller: Caller, ref: str, permission: str) -> ImageProject:
        if ref in PUBLIC_PROJECTS:
            verb = permission.rsplit(".", 1)[-1]
            if not caller.authenticated or verb not in (
                "get",
                "list",
                "getFromFamily",
                "useReadOnly",
            ):
                raise PermissionDenied(f"Required '{permission}' permission for 'projects/{ref}'")
            return ImageProject(ref, PUBLIC_PROJECTS[ref], public=True)
        found = hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
        return ImageProject(found.project_id, found.number)

    def _named(self, session: Session, project: ImageProject, name: str) -> Image:
        image = session.scalars(
            select(Image).where(Image.project_number == project.number, Image.name == name)
        ).first()
        if image is None:
            raise NotFound(
                f"The resource 'projects/{project.project_id}/global/images/{name}' was not found"
            )
        return image

    def _newest_in_family(self, session: Session, project: ImageProject, family: str) -> Image:
        rows = session.scalars(
            select(Image)
            .where(Image.project_number == project.number, Image.family == family)
            .order_by(Image.creation_time.desc())
        ).all()
        usable = [r for r in rows if not r.deprecated or r.deprecated.get("state") == "ACTIVE"]
        if usable:
            return usable[0]
        families = sorted(
            {
                f
                for f in session.scalars(
                    select(Image.family).where(Image.project_number == project.number)
                )
                if f
            }
        )
        listed = ", ".join(families) if families else "none"
        raise NotFound(
            f"The resource 'projects/{project.project_id}/global/images/family/{family}' was "
            f"not found. Image families in project {project.project_id}: {listed}."
        )

    def _done(
        self,
        session: Session,
        project: ImageProject,
        image: Image,
        verb: str,
        target_link: str,
        caller: Caller,
    ) -> Operation:
        return self.operations.record_for_number(
            session,
            project.number,
            scope=states.GLOBAL,
            location="",
            operation_type=verb,
            target_link=target_link,
            target_id=str(image.id),
            user=caller.email,
            done=True,
        )
