"""The firewall controller: keeps the VPC firewall of every instance attached on this host
in step with the store (rules, tags, service accounts, the instances of each network).

Services ``wake`` it after a change, so a rule takes effect within a pass; a slow
safety pass catches anything a wake missed (another replica's writes, a restart). A
pass reads the rules and members of the networks concerned in two queries, skips
networks whose digest did not move, and calls ``set_firewall`` only for instances whose
compiled firewall differs from what it last applied.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from nimbus.controllers.repeating import RepeatingPass
from nimbus.net.errors import InstanceNotFound
from nimbus.net.firewall import InstanceFirewall
from nimbus.services.compute.firewall_policy import Member, load_policies
from nimbus.store.db import Database
from nimbus.store.models import Instance

log = logging.getLogger("nimbus.controllers.firewalls")
SAFETY_SECONDS = 1.0


@runtime_checkable
class FirewallHost(Protocol):
    """What the controller needs from this host's instance networks."""

    def attached(self) -> list[str]:
        """The keys of the instances attached here."""

    def set_firewall(self, instance_key: str, firewall: InstanceFirewall) -> None: ...

    def on_attach(self, apply: Callable[[str], None]) -> None:
        """Have ``apply(instance_key)`` called right after each attach, before boot."""


class FirewallController:
    def __init__(
        self, db: Database, host: FirewallHost | None, *, safety_seconds: float = SAFETY_SECONDS
    ) -> None:
        self.db = db
        self.host = host
        self.safety_seconds = safety_seconds
        self._applied: dict[str, InstanceFirewall] = {}
        self._digests: dict[int, str] = {}
        self._lock = threading.Lock()
        self._passes = RepeatingPass("firewalls", self.reconcile, safety_seconds, log)
        if host is not None:
            host.on_attach(self.apply)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self.host is not None:
            self._passes.start()

    def stop(self) -> None:
        self._passes.stop(timeout=10)

    def wake(self) -> None:
        self._passes.wake()

    # -- work ------------------------------------------------------------------------------

    def apply(self, instance_key: str) -> None:
        """Apply one instance's firewall now (at attach, before it boots)."""
        assert self.host is not None
        with self.db.read() as session:
            instance = session.get(Instance, int(instance_key))
            if instance is None:
                return
            policy = load_policies(session, [instance.network_id])[instance.network_id]
            firewall = policy.firewall_for(Member.of(instance))
        with self._lock:
            self.host.set_firewall(instance_key, firewall)
            self._applied[instance_key] = firewall

    def reconcile(self) -> int:
        """One pass over the instances attached here; the number of firewalls applied."""
        if self.host is None:
            return 0
        keys = {key for key in self.host.attached() if key.isdigit()}
        with self.db.read() as session:
            located = session.execute(
                select(Instance.id, Instance.network_id).where(
                    Instance.id.in_([int(key) for key in keys])
                )
            ).all()
            policies = load_policies(session, {network_id for _, network_id in located})
        applied = 0
        with self._lock:
            for key in set(self._applied) - keys:
                del self._applied[key]
            for instance_id, network_id in located:
                key, policy = str(instance_id), policies[network_id]
                member = policy.members.get(instance_id)
                settled = self._digests.get(network_id) == policy.digest
                if member is None or (settled and key in self._applied):
                    continue  # being deleted, or nothing new for it
                firewall = policy.firewall_for(member)
                if self._applied.get(key) != firewall and self._set(key, firewall):
                    applied += 1
            self._digests = {network_id: p.digest for network_id, p in policies.items()}
        return applied

    def _set(self, key: str, firewall: InstanceFirewall) -> bool:
        assert self.host is not None
        try:
            self.host.set_firewall(key, firewall)
        except InstanceNotFound:
            return False  # detached meanwhile
        except Exception:
            log.exception("instance %s: applying its firewall failed", key)
            return False
        self._applied[key] = firewall
        return True
