"""The resource hierarchy: one organization, its projects, and server-wide settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class Setting(Base):
    """Server-wide facts fixed at first start (the organization, the owner...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonValue)


class Organization(Base):
    __tablename__ = "organizations"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(200))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Project(Base):
    __tablename__ = "projects"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[str] = mapped_column(String(30), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    parent: Mapped[str] = mapped_column(String(100))
    lifecycle_state: Mapped[str] = mapped_column(String(32), index=True)
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    etag: Mapped[str] = mapped_column(String(40))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    delete_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ProjectService(Base):
    """A Google API's state in a project (Service Usage: enabled or disabled)."""

    __tablename__ = "project_services"

    project_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    service: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
