"""Billing accounts, which projects they pay for, budgets and the alerts budgets raised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class BillingAccount(Base):
    __tablename__ = "billing_accounts"

    # Google's form: "012345-6789AB-CDEF01".
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    # "billingAccounts/ID" of the account above a subaccount, else "".
    master_billing_account: Mapped[str] = mapped_column(String(40), default="")
    currency_code: Mapped[str] = mapped_column(String(3), default="USD")
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ProjectBilling(Base):
    """A project's billing link, once one was set. A project without a row pays through
    the default account; a row with no account is a project unlinked on purpose."""

    __tablename__ = "project_billing"

    project_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    billing_account_id: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Budget(Base):
    """A budget in Google's Budget API shape; the JSON columns hold the normalized wire
    fields (projects by number, enums by name)."""

    __tablename__ = "budgets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    billing_account_id: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(60), default="")
    budget_filter: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    amount: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    threshold_rules: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    notifications_rule: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    etag: Mapped[str] = mapped_column(String(40))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class BudgetAlert(Base):
    """A threshold a budget's spend crossed, once per period: the unique key is what keeps
    several evaluating processes from alerting twice."""

    __tablename__ = "budget_alerts"
    __table_args__ = (
        UniqueConstraint(
            "budget_id",
            "period_start",
            "threshold_percent",
            "spend_basis",
            name="uq_budget_alerts_once",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    budget_id: Mapped[str] = mapped_column(String(36), index=True)
    period_start: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    threshold_percent: Mapped[float] = mapped_column(Float)
    # CURRENT_SPEND or FORECASTED_SPEND.
    spend_basis: Mapped[str] = mapped_column(String(20))
    # Decimal amounts as text: exact on every backend.
    cost_amount: Mapped[str] = mapped_column(String(40))
    budget_amount: Mapped[str] = mapped_column(String(40))
    alert_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The budget notification as it is (or would be) sent to the webhook.
    notification: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    # NONE (no webhook), PENDING, DELIVERED or FAILED (out of attempts).
    delivery: Mapped[str] = mapped_column(String(12), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A sender's lease, so that two processes never post the same alert at once.
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
