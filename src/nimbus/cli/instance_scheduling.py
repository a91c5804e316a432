"""The ``scheduling`` and ``guestAccelerators`` of an ``instances.insert`` body, from
gcloud's flags (``--preemptible``, ``--provisioning-model``, ``--accelerator``...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbus.cli.dict_args import dict_arg
from nimbus.cli.failures import CliError

PROVISIONING_MODELS = ("SPOT", "STANDARD")
TERMINATION_ACTIONS = ("DELETE", "STOP")
MAINTENANCE_POLICIES = ("MIGRATE", "TERMINATE")


@dataclass(frozen=True)
class SchedulingFlags:
    preemptible: bool = False
    provisioning_model: str | None = None
    termination_action: str | None = None
    maintenance_policy: str | None = None
    restart_on_failure: bool | None = None


def scheduling(flags: SchedulingFlags) -> dict[str, Any]:
    model = _choice(flags.provisioning_model, "--provisioning-model", PROVISIONING_MODELS)
    body: dict[str, Any] = {"preemptible": flags.preemptible}
    if model:
        body["provisioningModel"] = model
    policy = _choice(flags.maintenance_policy, "--maintenance-policy", MAINTENANCE_POLICIES)
    if policy:
        body["onHostMaintenance"] = policy
    action = _choice(flags.termination_action, "--instance-termination-action",
                     TERMINATION_ACTIONS)  # fmt: skip
    if action:
        body["instanceTerminationAction"] = action
    if flags.restart_on_failure is not None:
        body["automaticRestart"] = flags.restart_on_failure
    elif flags.preemptible or model == "SPOT":
        # Google takes such instances back; they never restart on their own.
        body["automaticRestart"] = False
    return body


def guest_accelerators(spec: str | None, zone: str) -> list[dict[str, Any]]:
    """``--accelerator type=T,count=N`` as ``guestAccelerators``."""
    if spec is None:
        return []
    pairs = dict_arg(spec, "--accelerator", ("count", "type"))
    kind = pairs.get("type")
    if not kind:
        raise CliError("argument --accelerator: Key [type] required in dict arg but not provided")
    count = pairs.get("count", "1")
    if not count.isdigit() or int(count) < 1:
        raise CliError(
            f"argument --accelerator: count must be a positive integer; received: {count}"
        )
    link = kind if "/" in kind else f"zones/{zone}/acceleratorTypes/{kind}"
    return [{"acceleratorType": link, "acceleratorCount": int(count)}]


def _choice(value: str | None, flag: str, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value.upper() not in choices:
        raise CliError(
            f"argument {flag}: Invalid choice: '{value}'. Valid choices are [{', '.join(choices)}]."
        )
    return value.upper()
