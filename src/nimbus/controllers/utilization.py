"""The utilization sampler: every few seconds of real time, the CPU and memory of each
running instance as its driver reports them, stored against the world clock for the
recommender (see ``nimbus.services.recommender.utilization``)."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import select

from nimbus.controllers.repeating import RepeatingPass
from nimbus.core.clock import Clock
from nimbus.runtime.driver import Driver, DriverError
from nimbus.services.compute import instance_states as st
from nimbus.services.recommender import utilization
from nimbus.services.recommender.thresholds import UTILIZATION_RETENTION
from nimbus.store.db import Database
from nimbus.store.models import Instance

log = logging.getLogger("nimbus.controllers.utilization")


class UtilizationSampler:
    def __init__(self, db: Database, clock: Clock, driver: Driver, interval: float) -> None:
        self.db = db
        self.clock = clock
        self.driver = driver
        self.interval = interval
        # One pass at a time: a pass reads each instance's cursor, then moves it.
        self._pass = threading.Lock()
        self._passes = RepeatingPass("utilization", self.sample_once, interval, log)

    def start(self) -> None:
        if self.driver.capabilities.stats:
            self._passes.start()

    def stop(self) -> None:
        self._passes.stop(timeout=10)

    def sample_once(self) -> int:
        """Read every running instance now; the number of instances read."""
        with self._pass:
            with self.db.read() as session:
                running = session.execute(
                    select(Instance.id, Instance.project_number, Instance.last_start_time).where(
                        Instance.status == st.RUNNING
                    )
                ).all()
                every_instance = set(session.scalars(select(Instance.id)))
            readings = [
                reading
                for instance_id, project, booted in running
                if (reading := self._read(instance_id, project, booted)) is not None
            ]
            keep_since = self.clock.now() - UTILIZATION_RETENTION
            with self.db.write() as session:
                for reading in readings:
                    utilization.record(session, reading, keep_since)
                utilization.prune(session, keep_since, every_instance)
            return len(readings)

    def _read(
        self, instance_id: int, project_number: int, booted: dt.datetime | None
    ) -> utilization.Reading | None:
        try:
            stats = self.driver.stats(str(instance_id))
        except DriverError:  # gone, or stopped, since the store was read
            return None
        return utilization.Reading(
            instance_id=instance_id,
            project_number=project_number,
            at=self.clock.now(),
            cpu_seconds=stats.cpu_seconds,
            memory_bytes=stats.memory_bytes,
            booted_at=booted,
        )
