"""Persistent state: SQLAlchemy models, migrations and the unit of work."""

from nimbus.store.db import Database

__all__ = ["Database"]
