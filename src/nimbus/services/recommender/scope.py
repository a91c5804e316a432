"""What every finder looks at: one project, at one moment, with the price catalog."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nimbus.core.errors import NimbusError
from nimbus.services.recommender.findings import Prices
from nimbus.store.models import Project

log = logging.getLogger("nimbus.recommender")


@dataclass(frozen=True)
class Scope:
    session: Session
    project: Project
    now: dt.datetime
    prices: Prices

    @property
    def project_id(self) -> str:
        return self.project.project_id


def priced(estimate: Callable[..., Decimal], *args: Any) -> Decimal | None:
    """A catalog estimate, or None where the catalog has no price (a finding without a
    price is left out rather than shown with a wrong saving)."""
    try:
        return estimate(*args)
    except NimbusError as exc:
        log.debug("no price: %s", exc.message)
        return None
