"""Every table, imported here so that Alembic and the app see one metadata."""

from nimbus.store.base import Base
from nimbus.store.models.compute import ComputeProject
from nimbus.store.models.iam import (
    AccessToken,
    CustomRole,
    IamPolicy,
    OAuthClient,
    RefreshToken,
    ServiceAccount,
    ServiceAccountKey,
)
from nimbus.store.models.operations import Operation
from nimbus.store.models.resourcemanager import Organization, Project, Setting

__all__ = [
    "AccessToken",
    "Base",
    "ComputeProject",
    "CustomRole",
    "IamPolicy",
    "OAuthClient",
    "Operation",
    "Organization",
    "Project",
    "RefreshToken",
    "ServiceAccount",
    "ServiceAccountKey",
    "Setting",
]
