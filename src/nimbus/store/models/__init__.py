"""Every table, imported here so that Alembic and the app see one metadata."""

from nimbus.store.base import Base
from nimbus.store.models.billing import BillingAccount, Budget, BudgetAlert, ProjectBilling
from nimbus.store.models.compute import (
    ComputeProject,
    GuestAttribute,
    Image,
    Instance,
    Network,
    Subnetwork,
)
from nimbus.store.models.disks import Disk, DiskAttachment, Snapshot
from nimbus.store.models.epochs import StoreEpoch
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
from nimbus.store.models.quotas import QuotaPreference
from nimbus.store.models.recommender import (
    RecommendationRecord,
    UtilizationCursor,
    UtilizationHour,
)
from nimbus.store.models.resourcemanager import Organization, Project, ProjectService, Setting
from nimbus.store.models.storage import (
    Bucket,
    BucketState,
    GenerationState,
    HmacKey,
    ManagedFolder,
    MultipartPart,
    MultipartUpload,
    ResumableUpload,
    SoftDeletedBucket,
    SoftDeletedBucketObject,
    StorageByteChange,
    StorageOperationCount,
    StorageRemoval,
    StoredObject,
)
from nimbus.store.models.usage import UsageInterval

__all__ = [
    "AccessToken",
    "Base",
    "BillingAccount",
    "Bucket",
    "BucketState",
    "Budget",
    "BudgetAlert",
    "ComputeProject",
    "CustomRole",
    "Disk",
    "DiskAttachment",
    "Firewall",
    "GenerationState",
    "GuestAttribute",
    "HmacKey",
    "IamPolicy",
    "Image",
    "Instance",
    "ManagedFolder",
    "MultipartPart",
    "MultipartUpload",
    "Network",
    "OAuthClient",
    "Operation",
    "Organization",
    "Project",
    "ProjectBilling",
    "ProjectService",
    "QuotaPreference",
    "RecommendationRecord",
    "RefreshToken",
    "ResumableUpload",
    "ServiceAccount",
    "ServiceAccountKey",
    "Setting",
    "Snapshot",
    "SoftDeletedBucket",
    "SoftDeletedBucketObject",
    "StorageByteChange",
    "StorageOperationCount",
    "StorageRemoval",
    "StoreEpoch",
    "StoredObject",
    "Subnetwork",
    "UsageInterval",
    "UtilizationCursor",
    "UtilizationHour",
]
