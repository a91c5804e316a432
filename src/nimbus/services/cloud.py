"""One Nimbus: its store, clock and services, wired together once.

The API app is built from a ``Cloud`` (no module-level singletons), so two clouds can
live in one process, as the tests do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from nimbus.blobs import BlobStore
from nimbus.controllers.budgets import budget_watcher
from nimbus.controllers.disks import DiskController
from nimbus.controllers.firewalls import FirewallController, FirewallHost
from nimbus.controllers.host import ComputeHost, assemble_host
from nimbus.controllers.images import ImageLibrary
from nimbus.controllers.instances import InstanceController
from nimbus.controllers.repeating import RepeatingPass
from nimbus.controllers.storage_sweeps import storage_sweeps
from nimbus.controllers.utilization import UtilizationSampler
from nimbus.core.clock import Clock, SystemClock, WorldClock
from nimbus.images.store import ImageStore
from nimbus.services.billing.accounts import BillingAccounts
from nimbus.services.billing.budget_alerts import BudgetAlerts
from nimbus.services.billing.budgets import Budgets
from nimbus.services.billing.catalog import PriceCatalog
from nimbus.services.billing.metering import Metering
from nimbus.services.compute.capacity import HostCapacity
from nimbus.services.compute.disks import Disks
from nimbus.services.compute.firewalls import Firewalls
from nimbus.services.compute.images import Images
from nimbus.services.compute.instances import Instances
from nimbus.services.compute.metadata_server import MetadataService
from nimbus.services.compute.networks import Networks
from nimbus.services.compute.projects import ComputeProjects
from nimbus.services.compute.quota_infos import QuotaInfos
from nimbus.services.compute.quota_preferences import QuotaPreferences
from nimbus.services.compute.quotas import QuotaReader
from nimbus.services.compute.subnetworks import Subnetworks
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.catalog import RoleCatalog, load_catalog
from nimbus.services.iam.id_tokens import IdTokens
from nimbus.services.iam.keys import Keys
from nimbus.services.iam.policies import Policies
from nimbus.services.iam.roles import Roles
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.services.iam.tokens import Tokens
from nimbus.services.iam.user_credentials import UserCredentials
from nimbus.services.locations.service import Locations
from nimbus.services.operations.service import Operations
from nimbus.services.recommender.service import Recommendations
from nimbus.services.resourcemanager.organizations import Organizations
from nimbus.services.resourcemanager.projects import Projects
from nimbus.services.resourcemanager.service_usage import ServiceUsage
from nimbus.services.storage.bucket_restore import SoftDeletedBuckets
from nimbus.services.storage.buckets import Buckets
from nimbus.services.storage.composition import Composition
from nimbus.services.storage.hard_deletes import HardDeletes
from nimbus.services.storage.hmac_keys import HmacKeys
from nimbus.services.storage.lifecycle import Lifecycle
from nimbus.services.storage.managed_folders import ManagedFolders
from nimbus.services.storage.objects import Objects
from nimbus.services.storage.post_policy import PostPolicies
from nimbus.services.storage.quick_reads import QuickObjectReads
from nimbus.services.storage.restore import Restores
from nimbus.services.storage.signatures import SignedUrls
from nimbus.services.storage.uploads import Uploads
from nimbus.services.storage.usage import StorageUsage
from nimbus.services.storage.xml_multipart import MultipartUploads
from nimbus.settings import ServerSettings
from nimbus.store.db import Database
from nimbus.store.models import MultipartPart, StoredObject


def world_clock(settings: ServerSettings) -> Clock:
    """The advanceable clock where test controls are on, else the system's."""
    if settings.test_controls:
        return WorldClock(settings.data_dir / "clock-offset")
    return SystemClock()


@dataclass
class Cloud:
    settings: ServerSettings
    db: Database
    clock: Clock
    catalog: RoleCatalog
    authorizer: Authorizer
    policies: Policies
    organizations: Organizations
    projects: Projects
    service_usage: ServiceUsage
    service_accounts: ServiceAccounts
    keys: Keys
    tokens: Tokens
    roles: Roles
    user_credentials: UserCredentials
    operations: Operations
    locations: Locations
    compute_projects: ComputeProjects
    compute_quotas: QuotaReader
    quota_preferences: QuotaPreferences
    quota_infos: QuotaInfos
    host: ComputeHost
    images: Images
    networks: Networks
    subnetworks: Subnetworks
    firewalls: Firewalls
    firewall_controller: FirewallController
    instances: Instances
    image_library: ImageLibrary
    instance_controller: InstanceController
    disks: Disks
    disk_controller: DiskController
    metadata: MetadataService
    id_tokens: IdTokens
    blobs: BlobStore
    storage_usage: StorageUsage
    buckets: Buckets
    managed_folders: ManagedFolders
    objects: Objects
    # Object reads without the ORM, on the embedded store only.
    quick_object_reads: QuickObjectReads | None
    uploads: Uploads
    # Lifecycle rules, hard deletes and expired upload sessions (lead process only).
    storage_sweeps: list[RepeatingPass]
    multipart_uploads: MultipartUploads
    composition: Composition
    lifecycle: Lifecycle
    object_restores: Restores
    soft_deleted_buckets: SoftDeletedBuckets
    hard_deletes: HardDeletes
    hmac_keys: HmacKeys
    signed_urls: SignedUrls
    post_policies: PostPolicies
    prices: PriceCatalog
    metering: Metering
    billing_accounts: BillingAccounts
    budgets: Budgets
    budget_alerts: BudgetAlerts
    budget_watcher: RepeatingPass
    utilization: UtilizationSampler
    recommendations: Recommendations
    # Clean-up of parts added after assembly (in-network servers), run by ``close``.
    on_close: list[Callable[[], None]] = dataclasses.field(default_factory=list)

    @classmethod
    def assemble(cls, settings: ServerSettings, clock: Clock | None = None) -> Cloud:
        # Two clocks: the world's (bills, lifecycle, preemption), which tests may advance,
        # and security's (token and key validity, signed URLs), which always runs true.
        security_clock: Clock = clock or SystemClock()
        clock = clock or world_clock(settings)
        db = Database(settings.db_url)
        catalog = load_catalog()
        authorizer = Authorizer(catalog, security_clock)
        policies = Policies(authorizer, clock)
        accounts = ServiceAccounts(db, authorizer, policies, security_clock)
        tokens = Tokens(db, security_clock)
        operations = Operations(db, authorizer, clock)
        blobs = BlobStore(settings.data_dir / "blobs")
        usage = StorageUsage(db, clock)
        quick_reads = (
            QuickObjectReads(db.snapshots, tokens, authorizer, usage) if db.snapshots else None
        )
        objects = Objects(db, authorizer, blobs, usage, clock, quick_reads)
        uploads = Uploads(db, blobs, objects, clock)
        lifecycle = Lifecycle(db, usage, clock, objects.release)
        hard_deletes = HardDeletes(db, usage, clock, objects.release)
        keys = Keys(db, accounts, security_clock)
        hmac_keys = HmacKeys(db, authorizer, security_clock)
        host = assemble_host(settings)
        id_tokens = IdTokens(db, security_clock)
        images = Images(db, authorizer, operations, objects, clock)
        library = ImageLibrary(
            images, ImageStore(settings.data_dir / "images"), blobs, operations, host.build_debian
        )
        disk_controller = DiskController(db, clock, operations, host.disks)
        controller = InstanceController(
            db,
            clock,
            operations,
            host.driver,
            library,
            host.networks,
            disks=host.disks,
            make_disk=disk_controller.make_disk,
            on_disks_released=disk_controller.wake,
            stop_timeout=settings.stop_timeout,
        )
        disk_controller.on_ready = controller.wake
        networks = host.networks
        firewall_controller = FirewallController(
            db, networks if isinstance(networks, FirewallHost) else None
        )

        def instances_changed() -> None:
            controller.wake()
            firewall_controller.wake()

        prices = PriceCatalog.load(settings.spot_discount)
        metering = Metering(db, prices, clock, authorizer)
        budget_alerts = BudgetAlerts(db, metering, clock)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            catalog=catalog,
            authorizer=authorizer,
            policies=policies,
            organizations=Organizations(db, authorizer, policies),
            projects=Projects(db, authorizer, policies, clock),
            service_usage=ServiceUsage(db, authorizer, clock),
            service_accounts=accounts,
            keys=keys,
            tokens=tokens,
            roles=Roles(db, authorizer, catalog, clock),
            user_credentials=UserCredentials(db, authorizer, tokens),
            operations=operations,
            locations=Locations(db, authorizer),
            compute_projects=ComputeProjects(db, authorizer, operations),
            compute_quotas=QuotaReader(db),
            quota_preferences=QuotaPreferences(db, authorizer, clock),
            quota_infos=QuotaInfos(db, authorizer),
            host=host,
            images=images,
            networks=Networks(db, authorizer, operations, clock),
            subnetworks=Subnetworks(db, authorizer, operations, clock),
            firewalls=Firewalls(db, authorizer, operations, clock, wake=firewall_controller.wake),
            firewall_controller=firewall_controller,
            instances=Instances(
                db,
                authorizer,
                operations,
                images,
                accounts,
                clock,
                external_pool=host.external_pool,
                driver=host.driver,
                capacity=HostCapacity.of_this_host(
                    settings.cpu_allocation_ratio, settings.ram_allocation_ratio
                ),
                wake=instances_changed,
            ),
            disks=Disks(db, authorizer, operations, images, clock, wake=disk_controller.wake),
            disk_controller=disk_controller,
            image_library=library,
            instance_controller=controller,
            metadata=MetadataService(db, tokens, id_tokens, security_clock),
            id_tokens=id_tokens,
            blobs=blobs,
            storage_usage=usage,
            buckets=Buckets(db, authorizer, policies, clock, usage, objects.release),
            managed_folders=ManagedFolders(db, authorizer, policies, clock),
            objects=objects,
            quick_object_reads=quick_reads,
            uploads=uploads,
            multipart_uploads=MultipartUploads(db, blobs, objects, clock),
            composition=Composition(objects, blobs),
            lifecycle=lifecycle,
            object_restores=Restores(objects, blobs),
            soft_deleted_buckets=SoftDeletedBuckets(db, authorizer, clock),
            hard_deletes=hard_deletes,
            storage_sweeps=storage_sweeps(lifecycle, hard_deletes, uploads),
            hmac_keys=hmac_keys,
            signed_urls=SignedUrls(keys, hmac_keys, security_clock),
            post_policies=PostPolicies(keys, hmac_keys, blobs, security_clock),
            prices=prices,
            metering=metering,
            billing_accounts=BillingAccounts(db, authorizer, policies, clock),
            budgets=Budgets(db, authorizer, clock),
            budget_alerts=budget_alerts,
            budget_watcher=budget_watcher(budget_alerts),
            utilization=UtilizationSampler(db, clock, host.driver, settings.utilization_interval),
            recommendations=Recommendations(
                db, authorizer, clock, lambda: PriceCatalog.load(settings.spot_discount)
            ),
        )

    def start(self) -> str:
        """Migrate the store and make sure the owner exists; return the owner's email."""
        from nimbus.services.bootstrap import ensure_owner

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db.migrate()
        owner = ensure_owner(
            self.db,
            self.service_accounts,
            self.keys,
            self.clock,
            self.settings.owner_key_path,
            self.settings.public_url,
        )
        # The built-in image is listed (PENDING) from the start; its build runs later.
        self.images.ensure_builtin()
        self.billing_accounts.ensure_default(owner)
        if self.settings.anonymous_principal == "owner":
            self.settings = dataclasses.replace(
                self.settings, anonymous_principal=f"serviceAccount:{owner}"
            )
        return owner

    def recover(self) -> None:
        """Before serving: drop writes that never finished, sweep unreferenced blobs."""
        self.blobs.clean_temporary()
        self.blobs.sweep(self._referenced_blobs, min_age=600)

    def serve_background(self, *, lead: bool = True) -> None:
        """Background work of a serving process (stopped by ``close``). Only the lead
        process of a server runs the controllers; every process flushes its usage."""
        self.storage_usage.start()
        if lead:
            for sweep in self.storage_sweeps:
                sweep.start()
            self.image_library.start()
            self.instance_controller.start()
            self.disk_controller.start()
            self.firewall_controller.start()
            self.utilization.start()
            self.budget_watcher.start()

    def _referenced_blobs(self, blob_ids: list[str]) -> set[str]:
        with self.db.read() as session:
            found = set(
                session.scalars(
                    select(StoredObject.blob_id).where(StoredObject.blob_id.in_(blob_ids))
                )
            )
            # Parts of multipart uploads in progress are blobs no object names yet.
            found.update(
                session.scalars(
                    select(MultipartPart.blob_id).where(MultipartPart.blob_id.in_(blob_ids))
                )
            )
            return {blob_id for blob_id in found if blob_id}

    def close(self) -> None:
        for step in self.on_close:
            step()
        self.budget_watcher.stop()
        self.utilization.stop()
        self.firewall_controller.stop()
        self.instance_controller.stop()
        self.disk_controller.stop()
        self.image_library.stop()
        for sweep in self.storage_sweeps:
            sweep.stop()
        self.storage_usage.stop()
        self.db.dispose()
