"""A bucket's IAM policy, at Cloud Storage's own ``/b/BUCKET/iam`` methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nimbus.cli.client import Api
from nimbus.cli.policies import POLICY_VERSION
from nimbus.cli.storage.urls import bucket_path

if TYPE_CHECKING:
    from nimbus.wire.iam import Policy


def read(api: Api, bucket: str) -> Policy:
    params = {"optionsRequestedPolicyVersion": POLICY_VERSION}
    from nimbus.wire.iam import Policy

    return Policy.model_validate(api.get(f"{bucket_path(bucket)}/iam", params))


def write(api: Api, bucket: str, policy: Policy) -> Policy:
    from nimbus.wire.iam import Policy

    return Policy.model_validate(api.put(f"{bucket_path(bucket)}/iam", policy.dump()))
