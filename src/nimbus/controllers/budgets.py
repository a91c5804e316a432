"""The budget watcher: evaluates every budget every few seconds in the lead process, so
alerts are recorded (and their webhooks called) soon after spend crosses a threshold."""

from __future__ import annotations

import logging

from nimbus.controllers.repeating import RepeatingPass
from nimbus.services.billing.budget_alerts import BudgetAlerts

log = logging.getLogger("nimbus.billing.budgets")
PERIOD_SECONDS = 5.0


def budget_watcher(
    alerts: BudgetAlerts, *, period_seconds: float = PERIOD_SECONDS
) -> RepeatingPass:
    return RepeatingPass("budgets", alerts.run_once, period_seconds, log)
