"""Google-signed ID tokens, as the metadata server's ``identity`` endpoint hands out: RS256
JWTs about a service account for an audience, signed by a key of this Nimbus whose public
half is served as a JWKS (``/oauth2/v3/certs``) and as PEM certificates
(``/oauth2/v1/certs``), where google-auth's ``verify_token(..., certs_url=...)`` reads it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from nimbus.core.clock import Clock
from nimbus.services.iam.keys_crypto import new_key_material, public_key_of
from nimbus.store.db import Database
from nimbus.store.models import ServiceAccount, Setting

SIGNING_KEY_SETTING = "id-token-signing-key"
ISSUER = "https://accounts.google.com"
LIFETIME = dt.timedelta(hours=1)


class IdTokens:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._key: dict[str, str] | None = None

    def issue(self, account: ServiceAccount, audience: str, full: bool) -> str:
        key = self._signing_key()
        now = self.clock.now()
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": audience,
            "azp": account.unique_id,
            "sub": account.unique_id,
            "iat": int(now.timestamp()),
            "exp": int((now + LIFETIME).timestamp()),
        }
        if full:
            claims |= {"email": account.email, "email_verified": True}
        return jwt.encode(
            claims, key["private_key_pem"], algorithm="RS256", headers={"kid": key["kid"]}
        )

    def jwks(self) -> dict[str, Any]:
        key = self._signing_key()
        public = public_key_of(key["certificate_pem"])
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        return {"keys": [{**jwk, "kid": key["kid"], "alg": "RS256", "use": "sig"}]}

    def certificates(self) -> dict[str, str]:
        key = self._signing_key()
        return {key["kid"]: key["certificate_pem"]}

    def _signing_key(self) -> dict[str, str]:
        """Made once per Nimbus and kept in the store, so that every replica signs and
        verifies with the same key."""
        if self._key is not None:
            return self._key
        with self.db.write() as session:
            row = session.get(Setting, SIGNING_KEY_SETTING)
            if row is None:
                material = new_key_material("nimbus id tokens", self.clock.now())
                public = public_key_of(material.certificate_pem).public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                value = {
                    "kid": hashlib.sha256(public).hexdigest()[:40],
                    "private_key_pem": material.private_key_pem,
                    "certificate_pem": material.certificate_pem,
                }
                row = Setting(key=SIGNING_KEY_SETTING, value=value)
                session.add(row)
            self._key = dict(row.value)
        return self._key
