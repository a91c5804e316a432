"""Credentials files, and the store of them the CLI keeps for each account.

Two kinds, as Google writes them: ``service_account`` key files and ``authorized_user``
files (a refresh token for a person). The store keeps one file per account under
``<config>/credentials/``, readable by its owner only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.cli.failures import CliError
from nimbus.cli.files import read_json_object, write_json

SERVICE_ACCOUNT = "service_account"
AUTHORIZED_USER = "authorized_user"
_REQUIRED = {
    SERVICE_ACCOUNT: ("client_email", "private_key", "private_key_id"),
    AUTHORIZED_USER: ("client_id", "client_secret", "refresh_token"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


@dataclass(frozen=True)
class KeyFile:
    """The parsed content of a credentials file."""

    info: dict[str, Any]

    @classmethod
    def parse(cls, info: dict[str, Any], source: str) -> KeyFile:
        kind = info.get("type")
        if kind not in _REQUIRED:
            raise CliError(
                f"The credentials in [{source}] are of type [{kind}]; expected "
                f"[{SERVICE_ACCOUNT}] or [{AUTHORIZED_USER}]."
            )
        missing = [field for field in _REQUIRED[kind] if not info.get(field)]
        if missing:
            raise CliError(f"The credentials in [{source}] lack {', '.join(missing)}.")
        return cls(info)

    @classmethod
    def read(cls, path: Path) -> KeyFile:
        return cls.parse(read_json_object(path, "credentials file"), str(path))

    @property
    def type(self) -> str:
        return str(self.info["type"])

    @property
    def account(self) -> str:
        field = "client_email" if self.type == SERVICE_ACCOUNT else "account"
        return str(self.info.get(field) or "")


class CredentialStore:
    def __init__(self, config_dir: Path) -> None:
        self.directory = config_dir / "credentials"

    def path(self, account: str) -> Path:
        return self.directory / f"{_UNSAFE.sub('_', account)}.json"

    def save(self, account: str, key: KeyFile) -> None:
        write_json(self.path(account), {**key.info, "account": account})

    def load(self, account: str) -> KeyFile | None:
        path = self.path(account)
        if not path.exists():
            return None
        return KeyFile.read(path)

    def accounts(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                key = KeyFile.read(path)
            except CliError:
                continue
            found.append(key.info.get("account") or key.account)
        return sorted(found)

    def remove(self, account: str) -> bool:
        path = self.path(account)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
