"""Cloud Quotas API ``quotaPreferences``: how an administrator sets a project's
Compute Engine limits.

Nimbus grants a preference at once (``grantedValue`` = ``preferredValue``, never
reconciling). A decrease passes Google's safety checks unless the request ignores
them; a limit may then sit below usage, which stops further growth. Callers need
``serviceusage.quotas.update`` to write and ``serviceusage.quotas.get`` to read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, NotFound, RequiredField
from nimbus.core.fingerprints import new_etag
from nimbus.core.ids import new_hex, new_numeric_id
from nimbus.services.caller import Caller
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute import quota_limits, quota_safety
from nimbus.services.compute import quota_preference_rows as rows
from nimbus.services.compute.quota_preference_rows import PreferenceFields
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project, QuotaPreference

READ = "serviceusage.quotas.get"
WRITE = "serviceusage.quotas.update"


@dataclass(frozen=True)
class Safety:
    ignored: frozenset[str] = frozenset()


class QuotaPreferences:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def get(self, caller: Caller, project_ref: str, preference_id: str) -> QuotaPreference:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, READ)
            return self._named(session, project, preference_id)

    def list_all(self, caller: Caller, project_ref: str) -> tuple[Project, list[QuotaPreference]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, READ)
            found = session.scalars(
                select(QuotaPreference)
                .where(QuotaPreference.project_number == project.number)
                .order_by(QuotaPreference.preference_id)
            )
            return project, list(found)

    def create(
        self,
        caller: Caller,
        project_ref: str,
        preference_id: str | None,
        fields: PreferenceFields,
        safety: Safety = Safety(),
    ) -> QuotaPreference:
        chosen = preference_id or str(uuid.uuid4())
        rows.check_id(chosen)
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, WRITE)
            if self._find(session, project, chosen) is not None:
                raise AlreadyExists(
                    f"Quota preference '{rows.name(project, chosen)}' already exists."
                )
            row = self._new(session, project, chosen, fields, safety)
            session.add(row)
            return row

    def update(
        self,
        caller: Caller,
        project_ref: str,
        preference_id: str,
        fields: PreferenceFields,
        *,
        mask: list[str] | None = None,
        allow_missing: bool = False,
        validate_only: bool = False,
        safety: Safety = Safety(),
    ) -> QuotaPreference:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, WRITE)
            row = self._find(session, project, preference_id)
            if row is None:
                if not allow_missing:
                    raise _missing(project, preference_id)
                rows.check_id(preference_id)
                created = self._new(session, project, preference_id, fields, safety)
                if not validate_only:
                    session.add(created)
                return created
            changed = rows.merged(row, fields, mask)
            quota = qc.quota_named(changed.service, changed.quota_id)
            if changed.preferred_value != row.preferred_value:
                quota_safety.check_decrease(
                    session,
                    project.number,
                    quota,
                    changed.dimensions,
                    changed.preferred_value,
                    safety.ignored,
                )
            if validate_only:
                return changed
            rows.apply(row, changed, rows.is_increase(changed.preferred_value, row.preferred_value))
            row.update_time = self.clock.now()
            return row

    # -- helpers ---------------------------------------------------------------------------

    def _new(
        self,
        session: Session,
        project: Project,
        preference_id: str,
        fields: PreferenceFields,
        safety: Safety,
    ) -> QuotaPreference:
        if fields.service is None:
            raise RequiredField("Field 'service' is required.")
        if fields.quota_id is None:
            raise RequiredField("Field 'quota_id' is required.")
        if fields.preferred_value is None:
            raise RequiredField("Field 'quota_config.preferred_value' is required.")
        quota = qc.quota_named(fields.service, fields.quota_id)
        dimensions = rows.checked_dimensions(quota, fields.dimensions or {})
        value = rows.checked_value(fields.preferred_value)
        key = quota_limits.dimension_key(dimensions)
        twin = session.scalars(
            select(QuotaPreference).where(
                QuotaPreference.project_number == project.number,
                QuotaPreference.service == qc.SERVICE,
                QuotaPreference.quota_id == quota.quota_id,
                QuotaPreference.dimension_key == key,
            )
        ).first()
        if twin is not None:
            raise AlreadyExists(
                f"Quota preference '{rows.name(project, twin.preference_id)}' already sets quota "
                f"'{quota.quota_id}' for these dimensions."
            )
        quota_safety.check_decrease(
            session, project.number, quota, dimensions, value, safety.ignored
        )
        increase = rows.is_increase(
            value, quota_safety.current_limit(session, project.number, quota, dimensions)
        )
        now = self.clock.now()
        return QuotaPreference(
            id=new_numeric_id(),
            project_number=project.number,
            preference_id=preference_id,
            service=qc.SERVICE,
            quota_id=quota.quota_id,
            dimensions=dimensions,
            dimension_key=key,
            preferred_value=value,
            granted_value=value,
            annotations=dict(fields.annotations or {}),
            justification=fields.justification or "",
            contact_email=fields.contact_email or "",
            trace_id=new_hex(16) if increase else "",
            etag=new_etag(),
            create_time=now,
            update_time=now,
        )

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)

    @staticmethod
    def _find(session: Session, project: Project, preference_id: str) -> QuotaPreference | None:
        return session.scalars(
            select(QuotaPreference).where(
                QuotaPreference.project_number == project.number,
                QuotaPreference.preference_id == preference_id,
            )
        ).first()

    def _named(self, session: Session, project: Project, preference_id: str) -> QuotaPreference:
        found = self._find(session, project, preference_id)
        if found is None:
            raise _missing(project, preference_id)
        return found


def _missing(project: Project, preference_id: str) -> NotFound:
    return NotFound(f"Quota preference '{rows.name(project, preference_id)}' not found.")
