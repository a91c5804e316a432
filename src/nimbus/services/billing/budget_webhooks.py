"""Delivery of budget alerts to a budget's ``notificationsRule.webhookUrl`` (a Nimbus
field): an HTTP POST of Google's Pub/Sub budget notification as the JSON body, with the
message's attributes as headers (``Budget-Billing-Account-Id``, ``Budget-Id``,
``Budget-Schema-Version``).

Each alert is sent once: a sender first claims it for a while (a lease in the store),
so two processes never post it together; a 2xx answer marks it delivered. A failed
post is tried again at later passes, ``MAX_ATTEMPTS`` times in all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from nimbus.core.clock import Clock, SystemClock
from nimbus.store.db import Database
from nimbus.store.models import Budget, BudgetAlert

log = logging.getLogger("nimbus.billing.webhooks")

DELIVERY_NONE = "NONE"
DELIVERY_PENDING = "PENDING"
DELIVERY_DONE = "DELIVERED"
DELIVERY_FAILED = "FAILED"
MAX_ATTEMPTS = 5
LEASE = dt.timedelta(seconds=60)
TIMEOUT_SECONDS = 5.0

Post = Callable[[str, Mapping[str, Any], Mapping[str, str]], None]


def post_json(url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> None:
    """POST ``body`` as JSON; any answer but a 2xx is a failure."""
    response = httpx.post(url, json=dict(body), headers=dict(headers), timeout=TIMEOUT_SECONDS)
    response.raise_for_status()


@dataclass(frozen=True)
class Claimed:
    alert_id: int
    url: str
    body: dict[str, Any]
    headers: dict[str, str]


class WebhookSender:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        post: Post = post_json,
        *,
        lease_clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.post = post
        # Leases keep real time: the world's clock may be advanced by days meanwhile.
        self.lease_clock = lease_clock or SystemClock()

    def deliver_pending(self) -> int:
        """Try every pending alert once; the number delivered."""
        with self.db.read() as session:
            pending = list(
                session.scalars(
                    select(BudgetAlert.id)
                    .where(BudgetAlert.delivery == DELIVERY_PENDING)
                    .order_by(BudgetAlert.id)
                )
            )
        delivered = 0
        for alert_id in pending:
            claimed = self._claim(alert_id)
            if claimed is not None and self._send(claimed):
                delivered += 1
        return delivered

    def _claim(self, alert_id: int) -> Claimed | None:
        now = self.lease_clock.now()
        with self.db.write() as session:
            alert = session.get(BudgetAlert, alert_id)
            if alert is None or alert.delivery != DELIVERY_PENDING:
                return None
            if alert.claimed_until is not None and alert.claimed_until > now:
                return None  # another sender has it
            budget = session.get(Budget, alert.budget_id)
            url = budget.notifications_rule.get("webhookUrl") if budget is not None else None
            if budget is None or not url:
                alert.delivery = DELIVERY_NONE  # nowhere to send it any more
                return None
            alert.claimed_until = now + LEASE
            headers = {
                "Budget-Billing-Account-Id": budget.billing_account_id,
                "Budget-Id": budget.id,
                "Budget-Schema-Version": "1.0",
            }
            return Claimed(alert.id, str(url), dict(alert.notification), headers)

    def _send(self, claimed: Claimed) -> bool:
        error = ""
        try:
            self.post(claimed.url, claimed.body, claimed.headers)
        except Exception as exc:  # whatever went wrong, the alert was not delivered
            error = f"{type(exc).__name__}: {exc}"
            log.warning("budget alert %s to %s failed: %s", claimed.alert_id, claimed.url, error)
        with self.db.write() as session:
            alert = session.get(BudgetAlert, claimed.alert_id)
            if alert is None:
                return False
            alert.claimed_until = None
            alert.attempts += 1
            if not error:
                alert.delivery = DELIVERY_DONE
                alert.delivered_time = self.clock.now()
                alert.last_error = ""
                return True
            alert.last_error = error[:1000]
            if alert.attempts >= MAX_ATTEMPTS:
                alert.delivery = DELIVERY_FAILED
            return False
