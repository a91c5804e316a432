"""The Recommender API's recommendations: list, get, and the user's marks on them.

Every read first refreshes the project's recommendations from the store (findings are
cheap to compute and always current), so the state a user set survives while the waste
itself comes and goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import FailedPrecondition, InvalidArgument, NotFound
from nimbus.core.filters import compile_filter
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.recommender import records, states
from nimbus.services.recommender.findings import Finding, Prices
from nimbus.services.recommender.recommenders import (
    ALL,
    GET,
    LIST,
    UPDATE,
    Recommender,
    chosen,
    findings,
)
from nimbus.services.recommender.scope import Scope
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project, RecommendationRecord

_METADATA_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_METADATA_VALUE = re.compile(r"^[a-zA-Z0-9_./-]{0,255}$")


@dataclass(frozen=True)
class Parent:
    """``projects/P/locations/L/recommenders/R`` (``-`` for every L or R, in lists)."""

    project: str
    location: str
    recommender: str


class Recommendations:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        clock: Clock,
        prices: Callable[[], Prices],
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock
        self._prices = prices

    def list_recommendations(
        self, caller: Caller, parent: Parent, filter_text: str | None, page: PageRequest
    ) -> Page[dict[str, Any]]:
        _check_location(parent.location)
        matches = compile_filter(filter_text)
        project, allowed = self._refreshed(caller, parent, LIST)
        with self.db.read() as session:
            query = select(RecommendationRecord).where(
                RecommendationRecord.project_number == project.number,
                RecommendationRecord.recommender.in_([r.id for r in allowed]),
            )
            if parent.location != ALL:
                query = query.where(RecommendationRecord.location == parent.location)
            bodies = [records.render(record) for record in session.scalars(query)]
        shown = sorted((b for b in bodies if matches(_filterable(b))), key=lambda b: b["name"])
        return paginate(shown, [b["name"] for b in shown], page)

    def get(self, caller: Caller, parent: Parent, recommendation_id: str) -> dict[str, Any]:
        project, _ = self._refreshed(caller, _single(parent), GET)
        with self.db.read() as session:
            return records.render(_record(session, project, parent, recommendation_id))

    def mark(
        self,
        caller: Caller,
        parent: Parent,
        recommendation_id: str,
        state: str,
        etag: str | None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Move a recommendation to ``state`` (CLAIMED, SUCCEEDED, FAILED, DISMISSED),
        as the user says, if ``etag`` is its current one."""
        if metadata is not None:
            _check_metadata(metadata)
        if etag is None and state != states.DISMISSED:
            raise InvalidArgument("Request field 'etag' is required.")
        project, _ = self._refreshed(caller, _single(parent), UPDATE)
        with self.db.write() as session:
            record = _record(session, project, parent, recommendation_id, for_update=True)
            if etag is not None and etag.strip('"') != records.etag(record).strip('"'):
                raise FailedPrecondition(
                    f"The etag '{etag}' does not match the recommendation's current etag "
                    f"{records.etag(record)}: read it again."
                )
            if record.state not in states.ALLOWED_FROM[state]:
                raise FailedPrecondition(
                    f"A recommendation in state {record.state} cannot be marked {state}."
                )
            record.state = state
            if metadata is not None:
                record.state_metadata = dict(metadata)
            record.state_time = self.clock.now()
            session.flush()
            return records.render(record)

    def findings(self, session: Session, project: Project) -> list[Finding]:
        scope = Scope(session, project, self.clock.now(), self._prices())
        return findings(scope)

    def _refreshed(
        self, caller: Caller, parent: Parent, verb: str
    ) -> tuple[Project, list[Recommender]]:
        """The project and the recommenders the caller may use with ``verb``, once the
        project's recommendations are refreshed."""
        wanted = chosen(parent.recommender)
        with self.db.read() as session:
            project, allowed = self._authorized(session, caller, parent.project, wanted, verb)
            found = self.findings(session, project)
        with self.db.write() as session:
            records.refresh(session, project.number, found, self.clock.now())
        return project, allowed

    def _authorized(
        self, session: Session, caller: Caller, ref: str, wanted: list[Recommender], verb: str
    ) -> tuple[Project, list[Recommender]]:
        project = hierarchy.find_project(session, ref)
        active = project is not None and project.lifecycle_state == hierarchy.ACTIVE
        target = (
            hierarchy.project_target(project)
            if project is not None and active
            else hierarchy.missing_project_target(session, ref)
        )
        allowed = [
            r
            for r in wanted
            if self.authorizer.permitted(session, caller, r.permissions(verb), target)
        ]
        if not allowed:
            self.authorizer.check(session, caller, wanted[0].permissions(verb)[0], target)
        if project is None or not active:
            raise NotFound(f"The resource 'projects/{ref}' was not found")
        return project, allowed


def _filterable(body: dict[str, Any]) -> dict[str, Any]:
    """Filters name the state as ``stateInfo.state`` or ``state_info.state``."""
    return {**body, "state_info": body["stateInfo"]}


def _check_location(location: str) -> None:
    if location in (ALL, "global") or location in catalog.ZONES or location in catalog.REGIONS:
        return
    raise InvalidArgument(f"Invalid location: '{location}'.")


def _single(parent: Parent) -> Parent:
    if ALL in (parent.location, parent.recommender):
        raise InvalidArgument("A recommendation is named by its own location and recommender.")
    _check_location(parent.location)
    return parent


def _record(
    session: Session,
    project: Project,
    parent: Parent,
    recommendation_id: str,
    *,
    for_update: bool = False,
) -> RecommendationRecord:
    query = select(RecommendationRecord).where(
        RecommendationRecord.id == recommendation_id,
        RecommendationRecord.project_number == project.number,
        RecommendationRecord.recommender == parent.recommender,
        RecommendationRecord.location == parent.location,
    )
    record = session.scalars(query.with_for_update() if for_update else query).first()
    if record is None:
        raise NotFound(
            f"Recommendation 'projects/{parent.project}/locations/{parent.location}/recommenders/"
            f"{parent.recommender}/recommendations/{recommendation_id}' was not found."
        )
    return record


def _check_metadata(metadata: dict[str, str]) -> None:
    for key, value in metadata.items():
        if not isinstance(value, str) or not _METADATA_KEY.match(key):
            raise InvalidArgument(f"Invalid stateMetadata key: '{key}'.")
        if not _METADATA_VALUE.match(value):
            raise InvalidArgument(f"Invalid stateMetadata value for '{key}': '{value}'.")
