"""The owner of an assembled cloud, for unit tests that call its services directly."""

from __future__ import annotations

from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.resourcemanager import hierarchy


def owner_of(cloud: Cloud) -> Caller:
    """The first member of the organization's policy: the owner made at first start."""
    with cloud.db.read() as session:
        key = hierarchy.org_key(hierarchy.organization(session).number)
        policy = cloud.policies.read(session, key)
    return Caller(principal=policy.bindings[0].members[0])
