"""The bill: usage records priced at the catalog's list prices, per project, SKU,
location and hour.

Everything is computed from records written in the same transactions as the changes
they measure (usage intervals, byte changes, removals) or flushed every few seconds
(operation counts), so a bill is the same before and after a restart, and time the
server was down is billed like any other: the instances ran on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument
from nimbus.services.billing.account_rows import account_of_project
from nimbus.services.billing.catalog import PriceCatalog
from nimbus.services.billing.charges import Charges, CostLine, Metered
from nimbus.services.billing.compute_meter import meter_compute
from nimbus.services.billing.storage_meter import meter_storage
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project

COSTS_PERMISSION = "billing.resourceCosts.get"
RECENT_WINDOWS = 16

_Window = tuple[dt.datetime, dt.datetime]


class Metering:
    def __init__(
        self, db: Database, catalog: PriceCatalog, clock: Clock, authorizer: Authorizer
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.clock = clock
        self.authorizer = authorizer
        self._lock = threading.Lock()
        self._windows: OrderedDict[_Window, tuple[set[int], dict[tuple[int, str], Decimal]]] = (
            OrderedDict()
        )

    def project_costs(
        self,
        caller: Caller,
        project_ref: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
    ) -> list[CostLine]:
        """A project's cost lines from ``start`` (default: the project's creation) to
        ``end`` (default: now), for callers allowed to see its costs."""
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, COSTS_PERMISSION
            )
            window = self._window(start or project.create_time, end)
            return self._lines(session, [project.number], window, hourly=True)

    def cost_lines(
        self,
        project_numbers: Collection[int] | None,
        start: dt.datetime,
        end: dt.datetime,
        *,
        hourly: bool = True,
    ) -> list[CostLine]:
        """Cost lines per SKU and hour (or, not ``hourly``, per SKU for the window)."""
        with self.db.read() as session:
            return self._lines(session, project_numbers, self._window(start, end), hourly)

    def total_cost(
        self,
        project_numbers: Collection[int],
        service_ids: Collection[str] | None,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Decimal:
        """What those projects spent on those services (None: all) in [start, end)."""
        wanted = set(project_numbers)
        return sum(
            (
                cost
                for (project, service), cost in self._window_costs(wanted, start, end).items()
                if project in wanted and (service_ids is None or service in service_ids)
            ),
            Decimal(0),
        )

    def _window_costs(
        self, projects: set[int], start: dt.datetime, end: dt.datetime
    ) -> dict[tuple[int, str], Decimal]:
        """Cost per project and service in one window, each project metered once per
        window: a budget pass asks for many budgets over the same period, up to the same
        moment. Only recent windows are kept, and a window ending now is never asked
        again once the clock has moved on."""
        with self._lock:
            covered, table = self._windows.pop((start, end), (set(), {}))
            missing = projects - covered
            if missing:
                for line in self.cost_lines(missing, start, end, hourly=False):
                    key = (line.project_number, line.service_id)
                    table[key] = table.get(key, Decimal(0)) + line.cost
            self._windows[(start, end)] = (covered | projects, table)
            while len(self._windows) > RECENT_WINDOWS:
                self._windows.popitem(last=False)
            return table

    def _window(
        self, start: dt.datetime, end: dt.datetime | None
    ) -> tuple[dt.datetime, dt.datetime]:
        end = end or self.clock.now()
        if end <= start:
            raise InvalidArgument("The end of the period must come after its start.")
        return start, end

    def _lines(
        self,
        session: Session,
        project_numbers: Collection[int] | None,
        window: tuple[dt.datetime, dt.datetime],
        hourly: bool = True,
    ) -> list[CostLine]:
        charges = Charges()
        metered = Metered(session, self.catalog, charges, project_numbers, window, hourly)
        meter_compute(metered)
        meter_storage(metered)
        query = select(Project.number, Project.project_id)
        if project_numbers is not None:
            query = query.where(Project.number.in_(list(project_numbers)))
        project_ids = {number: project_id for number, project_id in session.execute(query)}
        services = {service.service_id: service.display_name for service in self.catalog.services()}
        accounts = {
            number: account_of_project(session, number) or "" for number in charges.projects()
        }
        return charges.lines(project_ids, services, accounts)
