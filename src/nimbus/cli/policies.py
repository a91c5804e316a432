"""IAM policies as gcloud edits them: read, change one binding, write back with the etag.

A concurrent writer makes the write fail with 409 ABORTED (a stale etag); the edit is
then made again on a fresh read, a few times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nimbus.cli.client import Api, ApiError
from nimbus.cli.failures import CliError

if TYPE_CHECKING:
    from nimbus.wire.iam import Policy

ATTEMPTS = 5
POLICY_VERSION = 3


def read(api: Api, resource: str) -> Policy:
    """``resource`` is a path such as ``/v1/projects/P``."""
    body = {"options": {"requestedPolicyVersion": POLICY_VERSION}}
    from nimbus.wire.iam import Policy

    return Policy.model_validate(api.post(f"{resource}:getIamPolicy", body))


def write(api: Api, resource: str, policy: Policy) -> Policy:
    fields = ["bindings", "etag"] + (["auditConfigs"] if policy.audit_configs else [])
    body = {"policy": policy.dump(), "updateMask": ",".join(fields)}
    from nimbus.wire.iam import Policy

    return Policy.model_validate(api.post(f"{resource}:setIamPolicy", body))


Change = Callable[["Policy"], "Policy"]
Reader = Callable[[Api, str], "Policy"]
Writer = Callable[[Api, str, "Policy"], "Policy"]


def update(
    api: Api,
    resource: str,
    change: Change,
    *,
    reader: Reader = read,
    writer: Writer = write,
) -> Policy:
    """Read, change and write back; ``reader`` and ``writer`` serve APIs with their own
    policy methods (Cloud Storage's ``/b/B/iam``)."""
    for attempt in range(ATTEMPTS):
        try:
            return writer(api, resource, change(reader(api, resource)))
        except ApiError as exc:
            if exc.code != 409 or attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def adding(member: str, role: str) -> Callable[[Policy], Policy]:
    def change(policy: Policy) -> Policy:
        bindings = list(policy.bindings or [])
        for binding in bindings:
            if binding.role == role and binding.condition is None:
                if member not in binding.members:
                    binding.members.append(member)
                break
        else:
            from nimbus.wire.iam import Binding

            bindings.append(Binding(role=role, members=[member]))
        return policy.model_copy(update={"bindings": bindings})

    return change


def removing(member: str, role: str) -> Callable[[Policy], Policy]:
    def change(policy: Policy) -> Policy:
        bindings = []
        found = False
        for binding in policy.bindings or []:
            if binding.role == role and binding.condition is None and member in binding.members:
                found = True
                binding.members.remove(member)
            if binding.members:
                bindings.append(binding)
        if not found:
            raise CliError(
                "Policy binding with the specified principal, role, and condition not found!"
            )
        return policy.model_copy(update={"bindings": bindings})

    return change


def from_file(path: Path) -> Policy:
    """A policy from a JSON or YAML file, as ``get-iam-policy`` prints it."""
    import yaml

    try:
        data: Any = yaml.safe_load(path.expanduser().read_text())
    except OSError as exc:
        raise CliError(f"Unable to read policy file [{path}]: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise CliError(f"Policy file [{path}] is not valid JSON or YAML.") from exc
    if isinstance(data, dict) and isinstance(data.get("policy"), dict):
        data = data["policy"]
    try:
        from nimbus.wire.iam import Policy

        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "policy"
        raise CliError(
            f"Policy file [{path}] is not a valid policy: {where}: {first['msg']}."
        ) from exc
