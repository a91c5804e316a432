"""Every table, imported here so that Alembic and the app see one metadata."""

from nimbus.store.base import Base
from nimbus.store.models.compute import (
    ComputeProject,
    GuestAttribute,
    Image,
    Instance,
    Network,
    Subnetwork,
)
from nimbus.store.models.disks import Disk, DiskAttachment, Snapshot
from nimbus.store.models.firewalls import Firewall
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
from nimbus.store.models.resourcemanager import Organization, Project, ProjectService, Setting
from nimbus.store.models.storage import (
    Bucket,
    HmacKey,
    ResumableUpload,
    StorageByteChange,
    StorageOperationCount,
    StoredObject,
)
from nimbus.store.models.usage import UsageInterval

__all__ = [
    "AccessToken",
    "Base",
    "Bucket",
    "ComputeProject",
    "CustomRole",
    "Disk",
    "DiskAttachment",
    "Firewall",
    "GuestAttribute",
    "HmacKey",
    "IamPolicy",
    "Image",
    "Instance",
    "Network",
    "OAuthClient",
    "Operation",
    "Organization",
    "Project",
    "ProjectService",
    "RefreshToken",
    "ResumableUpload",
    "ServiceAccount",
    "ServiceAccountKey",
    "Setting",
    "Snapshot",
    "StorageByteChange",
    "StorageOperationCount",
    "StoredObject",
    "Subnetwork",
    "UsageInterval",
]
