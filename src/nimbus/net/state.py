"""What the fabric keeps on disk: its identity (fabric.json) and one record per
attached instance, each written whole (temporary file, then rename)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from nimbus.net.model import Attachment
from nimbus.net.names import check_id


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


@dataclass(frozen=True)
class Identity:
    """The tag in every kernel name of the fabric, and its external range."""

    tag: str
    external_network: IPv4Network


def load_identity(path: Path, choose: Callable[[], Identity]) -> Identity:
    """Read ``path``; on first use, persist what ``choose`` picks (re-used as-is after)."""
    if path.exists():
        data = json.loads(path.read_text())
        return Identity(data["tag"], IPv4Network(data["external_network"]))
    identity = choose()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, {"tag": identity.tag, "external_network": str(identity.external_network)})
    return identity


class Attachments:
    """One JSON file per attached instance, the fabric's memory of what it plugged."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def _path(self, instance_id: str) -> Path:
        return self._directory / f"{check_id(instance_id)}.json"

    def get(self, instance_id: str) -> Attachment | None:
        path = self._path(instance_id)
        if not path.exists():
            return None
        return Attachment.from_json(json.loads(path.read_text()))

    def put(self, attachment: Attachment) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        _write_json(self._path(attachment.instance_id), attachment.to_json())

    def delete(self, instance_id: str) -> None:
        self._path(instance_id).unlink(missing_ok=True)

    def all(self) -> list[Attachment]:
        if not self._directory.is_dir():
            return []
        return [
            Attachment.from_json(json.loads(path.read_text()))
            for path in sorted(self._directory.glob("*.json"))
        ]

    def on_network(self, network_id: str) -> list[Attachment]:
        return [record for record in self.all() if record.network_id == network_id]
