"""What a bucket's own state asks of an IAM policy set on it, beyond IAM's own checks."""

from __future__ import annotations

from nimbus.core.errors import InvalidArgument, PreconditionFailed
from nimbus.services.storage.acl import refuse_public
from nimbus.store.models import Bucket
from nimbus.wire.iam import Policy

CONDITIONS_VERSION = 3


def check_bucket_policy(bucket: Bucket, policy: Policy) -> None:
    """Public members lapse under public access prevention, and conditions need uniform
    bucket-level access and a version 3 policy, as on Cloud Storage."""
    bindings = policy.bindings or []
    refuse_public(bucket, (member for binding in bindings for member in binding.members))
    if not any(binding.condition is not None for binding in bindings):
        return
    if not bucket.uniform_access:
        raise PreconditionFailed(
            "IAM conditions are only supported on buckets with uniform bucket-level access. "
            "Please enable uniform bucket-level access on this bucket to use IAM conditions."
        )
    if (policy.version or 1) < CONDITIONS_VERSION:
        raise InvalidArgument("The policy version must be at least 3 for a policy with conditions.")
