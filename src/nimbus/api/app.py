"""The app factory: one ASGI app per Cloud, with each Google API at its real path."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from nimbus import __version__
from nimbus.api import errors, health, testing
from nimbus.api.billing.accounts import router as billing_accounts_router
from nimbus.api.billing.budgets import router as billing_budgets_router
from nimbus.api.billing.catalog import router as billing_catalog_router
from nimbus.api.billing.costs import router as billing_costs_router
from nimbus.api.compute.disks import router as compute_disks_router
from nimbus.api.compute.firewalls import router as compute_firewalls_router
from nimbus.api.compute.images import router as compute_images_router
from nimbus.api.compute.instances import router as compute_instances_router
from nimbus.api.compute.networks import router as compute_networks_router
from nimbus.api.compute.routes import router as compute_router
from nimbus.api.iam.routes import router as iam_router
from nimbus.api.oauth2.routes import router as oauth2_router
from nimbus.api.partial_responses import PartialResponses
from nimbus.api.quotas.routes import router as quotas_router
from nimbus.api.recommender.routes import router as recommender_router
from nimbus.api.resourcemanager.routes_organizations import router as organizations_router
from nimbus.api.resourcemanager.routes_service_usage import router as service_usage_router
from nimbus.api.resourcemanager.routes_v1 import router as resourcemanager_v1_router
from nimbus.api.resourcemanager.routes_v3 import router as resourcemanager_v3_router
from nimbus.api.storage import xml
from nimbus.api.storage.batch import router as storage_batch_router
from nimbus.api.storage.buckets import router as storage_buckets_router
from nimbus.api.storage.fast_deletes import FastDeletes
from nimbus.api.storage.fast_reads import FastObjectReads
from nimbus.api.storage.fast_uploads import FastUploads
from nimbus.api.storage.hmac_keys import router as storage_hmac_keys_router
from nimbus.api.storage.kept_reads import KeptReads, KeptReplays
from nimbus.api.storage.managed_folders import router as storage_managed_folders_router
from nimbus.api.storage.objects import router as storage_objects_router
from nimbus.api.storage.rendered_objects import RenderedObjects
from nimbus.api.storage.uploads import router as storage_uploads_router
from nimbus.services.cloud import Cloud


class _App(FastAPI):
    """FastAPI, with kept answers replayed in front of all its layers."""

    kept_reads: KeptReads | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.kept_reads is None else KeptReplays(stack, self.kept_reads)


def create_app(cloud: Cloud) -> FastAPI:
    app = _App(
        title="Nimbus",
        version=__version__,
        docs_url="/nimbus/docs",
        redoc_url=None,
        openapi_url="/nimbus/openapi.json",
        # OpenTelemetry is not wired in; asking the providers costs every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.cloud = cloud
    errors.install(app)
    app.kept_reads = _kept_reads(cloud)
    if cloud.quick_object_reads is not None:
        app.state.rendered_objects = RenderedObjects(cloud.quick_object_reads)
    app.add_middleware(FastObjectReads, kept=app.kept_reads)
    app.add_middleware(FastUploads)
    app.add_middleware(FastDeletes)
    app.add_middleware(PartialResponses)
    # Routes are matched in order, a few microseconds each: the storage data path, the
    # most frequent by far, goes first. Its paths share no prefix with the others.
    routers = [
        storage_objects_router,
        storage_uploads_router,
        storage_buckets_router,
        storage_hmac_keys_router,
        storage_managed_folders_router,
        storage_batch_router,
        health.router,
        oauth2_router,
        iam_router,
        organizations_router,
        service_usage_router,
        resourcemanager_v1_router,
        resourcemanager_v3_router,
        compute_router,
        compute_instances_router,
        compute_images_router,
        compute_disks_router,
        compute_networks_router,
        compute_firewalls_router,
        quotas_router,
        billing_catalog_router,
        billing_costs_router,
        billing_accounts_router,
        billing_budgets_router,
        recommender_router,
    ]
    if cloud.settings.test_controls:
        routers.append(testing.router)
    for router in routers:
        app.include_router(router)
    # gcloud starts resumable uploads at /resumable/upload/storage/v1/..., which Cloud
    # Storage serves as /upload/storage/v1/...: the same routes, under both paths.
    app.include_router(storage_uploads_router, prefix="/resumable")
    # Last: the XML API's /{bucket}/{object} paths, which step aside for every route above.
    xml.install(app, routers)
    return app


def _kept_reads(cloud: Cloud) -> KeptReads | None:
    """Repeated small reads are replayed on the embedded store, which marks its versions."""
    snapshots = cloud.db.snapshots
    if snapshots is None:
        return None
    return KeptReads(snapshots, cloud.tokens.clock, cloud.storage_usage)
