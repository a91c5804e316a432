"""Service-account keys: Google JSON key files whose private half Nimbus never keeps."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import FailedPrecondition, InvalidArgument, NotFound
from nimbus.core.ids import new_hex
from nimbus.services.caller import Caller
from nimbus.services.iam.keys_crypto import NEVER, new_key_material
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.store.db import Database
from nimbus.store.models import Project, ServiceAccount, ServiceAccountKey

MAX_KEYS_PER_ACCOUNT = 10
_KEY_ALGORITHMS = (None, "KEY_ALG_UNSPECIFIED", "KEY_ALG_RSA_2048")
_PRIVATE_TYPES = (None, "TYPE_UNSPECIFIED", "TYPE_GOOGLE_CREDENTIALS_FILE")


@dataclass(frozen=True)
class CreatedKey:
    key: ServiceAccountKey
    account: ServiceAccount
    project: Project
    key_file: dict[str, str]

    @property
    def private_key_data(self) -> str:
        return base64.b64encode(json.dumps(self.key_file, indent=2).encode()).decode()


def key_file_for(
    project: Project, account: ServiceAccount, key_id: str, private_key_pem: str, base_url: str
) -> dict[str, str]:
    """The credentials file google-auth loads, pointing its token_uri at this Nimbus."""
    return {
        "type": "service_account",
        "project_id": project.project_id,
        "private_key_id": key_id,
        "private_key": private_key_pem,
        "client_email": account.email,
        "client_id": account.unique_id,
        "auth_uri": f"{base_url}/o/oauth2/auth",
        "token_uri": f"{base_url}/token",
        "auth_provider_x509_cert_url": f"{base_url}/oauth2/v1/certs",
        "client_x509_cert_url": f"{base_url}/service_accounts/v1/metadata/x509/{account.email}",
        "universe_domain": "googleapis.com",
    }


class Keys:
    def __init__(self, db: Database, accounts: ServiceAccounts, clock: Clock) -> None:
        self.db = db
        self.accounts = accounts
        self.clock = clock

    def create(
        self,
        caller: Caller,
        account_name: str,
        base_url: str,
        key_algorithm: str | None = None,
        private_key_type: str | None = None,
    ) -> CreatedKey:
        if key_algorithm not in _KEY_ALGORITHMS:
            raise InvalidArgument(f"Unsupported key algorithm '{key_algorithm}'.")
        if private_key_type not in _PRIVATE_TYPES:
            raise InvalidArgument(f"Unsupported private key type '{private_key_type}'.")
        with self.db.write() as session:
            project, account = self.accounts.resolve(
                session, caller, account_name, "iam.serviceAccountKeys.create"
            )
            count = len(self._keys_of(session, account))
            if count >= MAX_KEYS_PER_ACCOUNT:
                raise FailedPrecondition(
                    f"Service account {account.email} already has {count} keys, the maximum."
                )
            return self.insert(session, project, account, base_url)

    def insert(
        self, session: Session, project: Project, account: ServiceAccount, base_url: str
    ) -> CreatedKey:
        """Make a key with no permission check (bootstrap)."""
        now = self.clock.now()
        material = new_key_material(account.email, now)
        key = ServiceAccountKey(
            key_id=new_hex(20),
            service_account_id=account.unique_id,
            certificate_pem=material.certificate_pem,
            key_algorithm="KEY_ALG_RSA_2048",
            key_origin="GOOGLE_PROVIDED",
            key_type="USER_MANAGED",
            disabled=False,
            valid_after=now,
            valid_before=NEVER,
        )
        session.add(key)
        session.flush()
        key_file = key_file_for(project, account, key.key_id, material.private_key_pem, base_url)
        return CreatedKey(key=key, account=account, project=project, key_file=key_file)

    def list_for_account(
        self, caller: Caller, account_name: str
    ) -> tuple[Project, ServiceAccount, list[ServiceAccountKey]]:
        with self.db.read() as session:
            project, account = self.accounts.resolve(
                session, caller, account_name, "iam.serviceAccountKeys.list"
            )
            return project, account, self._keys_of(session, account)

    def get(
        self, caller: Caller, key_name: str
    ) -> tuple[Project, ServiceAccount, ServiceAccountKey]:
        with self.db.read() as session:
            return self._resolve(session, caller, key_name, "iam.serviceAccountKeys.get")

    def delete(self, caller: Caller, key_name: str) -> None:
        with self.db.write() as session:
            _, _, key = self._resolve(session, caller, key_name, "iam.serviceAccountKeys.delete")
            session.delete(key)

    def set_disabled(self, caller: Caller, key_name: str, disabled: bool) -> None:
        verb = "disable" if disabled else "enable"
        with self.db.write() as session:
            _, _, key = self._resolve(session, caller, key_name, f"iam.serviceAccountKeys.{verb}")
            key.disabled = disabled

    def public_certificates(self, email: str) -> dict[str, str]:
        """``{key_id: certificate}`` of an account's enabled keys (public, as on Google)."""
        with self.db.read() as session:
            account = session.scalars(
                select(ServiceAccount).where(ServiceAccount.email == email)
            ).first()
            if account is None:
                raise NotFound(f"Service account {email} does not exist.")
            return {k.key_id: k.certificate_pem for k in self._keys_of(session, account)}

    def signing_certificates(self, email: str) -> list[str]:
        """Certificates that may verify a signature made as ``email`` right now: the
        enabled, currently valid keys of an enabled account (none if it has gone).

        Unlike ``public_certificates`` (every key, as Google publishes them), this
        leaves out disabled keys and accounts, so disabling either stops what they
        signed (V4 signed URLs) at once.
        """
        now = self.clock.now()
        with self.db.read() as session:
            account = session.scalars(
                select(ServiceAccount).where(ServiceAccount.email == email)
            ).first()
            if account is None or account.disabled:
                return []
            return [
                key.certificate_pem
                for key in self._keys_of(session, account)
                if not key.disabled and key.valid_after <= now < key.valid_before
            ]

    def _resolve(
        self, session: Session, caller: Caller, key_name: str, permission: str
    ) -> tuple[Project, ServiceAccount, ServiceAccountKey]:
        account_name, sep, key_id = key_name.rpartition("/keys/")
        if not sep or not key_id:
            raise InvalidArgument(f"Invalid key name: '{key_name}'.")
        project, account = self.accounts.resolve(session, caller, account_name, permission)
        key = session.get(ServiceAccountKey, key_id)
        if key is None or key.service_account_id != account.unique_id:
            raise NotFound(f"Service account key {key_id} does not exist.")
        return project, account, key

    @staticmethod
    def _keys_of(session: Session, account: ServiceAccount) -> list[ServiceAccountKey]:
        return list(
            session.scalars(
                select(ServiceAccountKey)
                .where(ServiceAccountKey.service_account_id == account.unique_id)
                .order_by(ServiceAccountKey.valid_after)
            ).all()
        )
