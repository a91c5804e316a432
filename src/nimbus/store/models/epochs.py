"""Change counters that caches check (see ``store/epochs``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base


class StoreEpoch(Base):
    __tablename__ = "store_epochs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
