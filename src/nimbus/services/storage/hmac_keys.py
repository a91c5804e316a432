"""HMAC keys: an access id and a secret for a service account, as Cloud Storage's.

They sign V4 requests with ``GOOG4-HMAC-SHA256`` (and let S3-era tools in). To verify
such a signature the secret itself is needed, so, unlike a service-account private
key, Nimbus keeps it; the caller sees it once, at creation, and it is erased when the
key is deleted. A key goes ACTIVE ⇄ INACTIVE; only an INACTIVE key may be deleted, and
a deleted one stays listed (``showDeletedKeys``) as DELETED, as on Google.
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import FailedPrecondition, InvalidArgument, NotFound, PreconditionFailed
from nimbus.core.fingerprints import new_etag
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import HmacKey, Project, ServiceAccount

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
DELETED = "DELETED"
SETTABLE_STATES = (ACTIVE, INACTIVE)
# Google allows ten keys (active or inactive) per service account.
MAX_KEYS_PER_ACCOUNT = 10
ACCESS_ID_PREFIX = "GOOG1E"
_ACCESS_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_access_id() -> str:
    """``GOOG1E`` and 55 uppercase letters and digits: 61 characters, like Google's."""
    return ACCESS_ID_PREFIX + "".join(secrets.choice(_ACCESS_ID_ALPHABET) for _ in range(55))


def new_hmac_secret() -> str:
    """30 random bytes in base64: the 40 characters Google's secrets have."""
    return base64.b64encode(secrets.token_bytes(30)).decode()


@dataclass(frozen=True)
class CreatedHmacKey:
    project: Project
    key: HmacKey
    secret: str


@dataclass(frozen=True)
class SigningSecret:
    """What a ``GOOG4-HMAC-SHA256`` signature is checked with, and who it acts as."""

    service_account_email: str
    secret: str


class HmacKeys:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def create(self, caller: Caller, project_ref: str, email: str) -> CreatedHmacKey:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "storage.hmacKeys.create")
            if _account(session, email) is None:
                raise NotFound(f"Service account {email} does not exist.")
            count = session.scalar(
                select(func.count())
                .select_from(HmacKey)
                .where(HmacKey.service_account_email == email, HmacKey.state != DELETED)
            )
            if (count or 0) >= MAX_KEYS_PER_ACCOUNT:
                raise FailedPrecondition(
                    f"Service account {email} already has {MAX_KEYS_PER_ACCOUNT} HMAC keys, "
                    "the maximum."
                )
            now = self.clock.now()
            secret = new_hmac_secret()
            key = HmacKey(
                access_id=new_access_id(),
                project_number=project.number,
                service_account_email=email,
                secret=secret,
                state=ACTIVE,
                etag=new_etag(),
                time_created=now,
                updated=now,
            )
            session.add(key)
            session.flush()
            return CreatedHmacKey(project=project, key=key, secret=secret)

    def list_in_project(
        self,
        caller: Caller,
        project_ref: str,
        email: str | None,
        show_deleted: bool,
        page: PageRequest,
    ) -> tuple[Project, Page[HmacKey]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "storage.hmacKeys.list")
            query = select(HmacKey).where(
                HmacKey.project_number == project.number, HmacKey.access_id > (page.after or "")
            )
            if email:
                query = query.where(HmacKey.service_account_email == email)
            if not show_deleted:
                query = query.where(HmacKey.state != DELETED)
            query = query.order_by(HmacKey.access_id).limit(page.size + 1)
            rows = list(session.scalars(query).all())
            return project, paginate(rows, [k.access_id for k in rows], PageRequest(page.size))

    def get(self, caller: Caller, project_ref: str, access_id: str) -> tuple[Project, HmacKey]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "storage.hmacKeys.get")
            return project, _key(session, project, access_id)

    def update(
        self,
        caller: Caller,
        project_ref: str,
        access_id: str,
        state: str | None,
        etag: str | None,
    ) -> tuple[Project, HmacKey]:
        """Set the state (ACTIVE or INACTIVE); an ``etag``, when given, must be current."""
        if state is None or state not in SETTABLE_STATES:
            raise InvalidArgument(f"Invalid state '{state}': an HMAC key is ACTIVE or INACTIVE.")
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "storage.hmacKeys.update")
            key = _key(session, project, access_id, for_update=True)
            if etag and etag != key.etag:
                raise PreconditionFailed("The etag given is not the HMAC key's current etag.")
            if key.state == DELETED:
                raise FailedPrecondition("A deleted HMAC key cannot be updated.")
            if key.state != state:
                key.state = state
                key.etag = new_etag()
                key.updated = self.clock.now()
            session.flush()
            return project, key

    def delete(self, caller: Caller, project_ref: str, access_id: str) -> None:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "storage.hmacKeys.delete")
            key = _key(session, project, access_id, for_update=True)
            if key.state == DELETED:
                raise NotFound(f"HMAC key {access_id} does not exist.")
            if key.state != INACTIVE:
                raise FailedPrecondition(f"Cannot delete keys in '{key.state}' state.")
            key.state = DELETED
            key.secret = ""
            key.etag = new_etag()
            key.updated = self.clock.now()

    def signing_secret(self, access_id: str) -> SigningSecret | None:
        """The secret of an ACTIVE key whose service account exists and is enabled.

        No permission check: holding the secret is the credential. Re-read on every
        request, so deactivating a key or disabling its account takes effect at once.
        """
        with self.db.read() as session:
            key = session.get(HmacKey, access_id)
            if key is None or key.state != ACTIVE or not key.secret:
                return None
            account = _account(session, key.service_account_email)
            if account is None or account.disabled:
                return None
            return SigningSecret(key.service_account_email, key.secret)

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)


def _account(session: Session, email: str) -> ServiceAccount | None:
    return session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).first()


def _key(
    session: Session, project: Project, access_id: str, *, for_update: bool = False
) -> HmacKey:
    query = select(HmacKey).where(
        HmacKey.access_id == access_id, HmacKey.project_number == project.number
    )
    if for_update:
        query = query.with_for_update()
    key = session.scalars(query).first()
    if key is None:
        raise NotFound(f"HMAC key {access_id} does not exist.")
    return key
