"""OAuth 2.0: the token endpoint's grants, and checking bearer tokens on every call.

Grants accepted, as Google's token endpoint does:

- JWT bearer (RFC 7523): an assertion signed with a service-account key, exactly as
  google-auth builds it (``aud`` is Google's token URI or this server's).
- Refresh token: for ``authorized_user`` credentials minted by an administrator.

Bearer tokens on API calls are either access tokens issued here (opaque; only their
SHA-256 is stored) or self-signed JWTs (google-auth's "JWT access"), verified against
the account's key. Every check re-reads the account and key, so disabling an account
or deleting a key stops its tokens at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import jwt
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import Unauthenticated
from nimbus.core.ids import new_secret
from nimbus.services.caller import Caller
from nimbus.services.iam.keys_crypto import public_key_of
from nimbus.store.db import Database
from nimbus.store.models import (
    AccessToken,
    OAuthClient,
    RefreshToken,
    ServiceAccount,
    ServiceAccountKey,
)
from nimbus.store.snapshots import Snapshot

TOKEN_LIFETIME = dt.timedelta(hours=1)
EXPIRED_KEPT = dt.timedelta(days=1)
# Clocks drift; Google tolerates a few minutes of skew on assertions.
SKEW = dt.timedelta(minutes=5)
GOOGLE_TOKEN_AUDIENCES = frozenset(
    {
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/oauth2/v4/token",
        "https://accounts.google.com/o/oauth2/token",
    }
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


# Built once: statement construction costs more than the query on the hot path.
_TOKEN_LOOKUP = (
    select(
        AccessToken.principal,
        AccessToken.scopes,
        AccessToken.expire_time,
        AccessToken.service_account_id,
        AccessToken.key_id,
        AccessToken.refresh_token_hash,
        ServiceAccount.unique_id.label("account"),
        ServiceAccount.disabled.label("account_disabled"),
        ServiceAccountKey.key_id.label("key"),
        ServiceAccountKey.disabled.label("key_disabled"),
        RefreshToken.revoked,
    )
    .outerjoin(ServiceAccount, ServiceAccount.unique_id == AccessToken.service_account_id)
    .outerjoin(ServiceAccountKey, ServiceAccountKey.key_id == AccessToken.key_id)
    .outerjoin(RefreshToken, RefreshToken.token_hash == AccessToken.refresh_token_hash)
    .where(AccessToken.token_hash == bindparam("digest"))
)


class OAuthError(Exception):
    """An RFC 6749 error from the token endpoint (``{"error", "error_description"}``)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        snapshots = db.snapshots
        self._quick_lookup = snapshots.prepare(_TOKEN_LOOKUP, stable=True) if snapshots else None

    # -- the token endpoint ------------------------------------------------------------

    def grant_jwt_bearer(self, assertion: str, audiences: Collection[str]) -> IssuedToken:
        with self.db.write() as session:
            try:
                account, key, claims = self._verify_signed_jwt(session, assertion)
            except Unauthenticated as exc:
                raise OAuthError("invalid_grant", exc.message) from exc
            if claims.get("aud") not in audiences:
                raise OAuthError("invalid_grant", "Invalid JWT: the audience is not this server.")
            if claims.get("sub") not in (None, account.email):
                raise OAuthError(
                    "unauthorized_client",
                    "Client is unauthorized to retrieve access tokens using this method, "
                    "or client not authorized for any of the scopes requested.",
                )
            scope = str(claims.get("scope") or "").strip()
            if not scope:
                raise OAuthError(
                    "invalid_scope", "Invalid OAuth scope or ID token audience provided."
                )
            return self._issue(
                session,
                principal=f"serviceAccount:{account.email}",
                scope=scope,
                service_account_id=account.unique_id,
                key_id=key.key_id,
            )

    def grant_refresh_token(
        self, refresh_token: str, client_id: str, client_secret: str, scope: str | None
    ) -> IssuedToken:
        with self.db.write() as session:
            client = session.get(OAuthClient, client_id)
            if client is None or not hmac.compare_digest(
                client.secret_hash, token_hash(client_secret)
            ):
                raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
            row = session.get(RefreshToken, token_hash(refresh_token))
            if row is None or row.revoked or row.client_id != client_id:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            granted = set(row.scopes.split())
            asked = set((scope or row.scopes).split())
            if not asked <= granted:
                raise OAuthError("invalid_scope", "The requested scope exceeds the granted one.")
            return self._issue(
                session,
                principal=row.principal,
                scope=" ".join(sorted(asked)),
                refresh_token_hash=row.token_hash,
            )

    def mint_refresh_token(
        self, session: Session, principal: str, client_id: str, scopes: str
    ) -> str:
        token = "1//" + new_secret(48)
        session.add(
            RefreshToken(
                token_hash=token_hash(token),
                principal=principal,
                client_id=client_id,
                scopes=scopes,
                revoked=False,
                create_time=self.clock.now(),
            )
        )
        return token

    def issue_for_account(
        self, session: Session, account: ServiceAccount, scope: str
    ) -> IssuedToken:
        """A token for an account acting through Nimbus itself (an instance's metadata
        server), not through one of its keys."""
        return self._issue(
            session,
            principal=f"serviceAccount:{account.email}",
            scope=scope,
            service_account_id=account.unique_id,
        )

    def revoke(self, token: str) -> None:
        with self.db.write() as session:
            digest = token_hash(token)
            refresh = session.get(RefreshToken, digest)
            if refresh is not None:
                refresh.revoked = True
            access = session.get(AccessToken, digest)
            if access is not None:
                session.delete(access)

    def _issue(
        self,
        session: Session,
        *,
        principal: str,
        scope: str,
        service_account_id: str | None = None,
        key_id: str | None = None,
        refresh_token_hash: str | None = None,
    ) -> IssuedToken:
        token = "ya29." + new_secret(48)
        now = self.clock.now()
        # Expired tokens are kept a day (for "expired" rather than "invalid" errors).
        session.execute(delete(AccessToken).where(AccessToken.expire_time < now - EXPIRED_KEPT))
        session.add(
            AccessToken(
                token_hash=token_hash(token),
                principal=principal,
                service_account_id=service_account_id,
                key_id=key_id,
                refresh_token_hash=refresh_token_hash,
                scopes=scope,
                issue_time=now,
                expire_time=now + TOKEN_LIFETIME,
            )
        )
        return IssuedToken(
            access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()), scope=scope
        )

    # -- bearer tokens on API calls ----------------------------------------------------

    def authenticate(self, bearer: str, jwt_audiences: Collection[str]) -> Caller:
        """The caller a bearer token stands for, or 401."""
        if self.db.snapshots is not None:
            with self.db.snapshots.read() as snapshot:
                caller = self.access_token_in(snapshot, bearer)
            if caller is not None:
                return caller
        with self.db.read() as session:
            if bearer.count(".") == 2 and bearer.startswith("eyJ"):
                return self._self_signed(session, bearer, jwt_audiences)
            return self._access_token(session, bearer)

    def access_token_in(self, snapshot: Snapshot, bearer: str) -> Caller | None:
        """``authenticate`` on the embedded store's short path, for access tokens that
        are valid; None for anything else (``authenticate`` then answers)."""
        grant = self.access_grant_in(snapshot, bearer)
        return None if grant is None else grant[0]

    def access_grant_in(self, snapshot: Snapshot, bearer: str) -> tuple[Caller, dt.datetime] | None:
        """``access_token_in``, with the moment the token expires: until then, only a
        change in the store (a revocation, a disabled key) can end its validity."""
        if self._quick_lookup is None or bearer.count(".") == 2:
            return None
        row = snapshot.first(self._quick_lookup, digest=token_hash(bearer))
        try:
            if row is None:
                return None
            return self._caller_of(SimpleNamespace(**row)), row["expire_time"]
        except Unauthenticated:
            return None

    def _access_token(self, session: Session, bearer: str) -> Caller:
        """One query: the token with its account, key and grant (all checked each call)."""
        return self._caller_of(
            session.execute(_TOKEN_LOOKUP, {"digest": token_hash(bearer)}).first()
        )

    def _caller_of(self, row: Any) -> Caller:
        """The caller of a looked-up access token, or 401 unless all it rests on holds."""
        if row is None:
            raise Unauthenticated("Invalid Credentials: the access token is not valid.")
        if row.expire_time <= self.clock.now():
            raise Unauthenticated("Invalid Credentials: the access token has expired.")
        if row.service_account_id is not None:
            if row.account is None:
                raise Unauthenticated("Invalid Credentials: the service account was deleted.")
            if row.account_disabled:
                raise Unauthenticated("Invalid Credentials: the service account is disabled.")
        if row.key_id is not None and (row.key is None or row.key_disabled):
            raise Unauthenticated(
                "Invalid Credentials: the service account key was deleted or disabled."
            )
        if row.refresh_token_hash is not None and (row.revoked is None or row.revoked):
            raise Unauthenticated("Invalid Credentials: the grant was revoked.")
        return Caller(principal=row.principal, scopes=frozenset(row.scopes.split()))

    def _self_signed(self, session: Session, bearer: str, audiences: Collection[str]) -> Caller:
        account, _key, claims = self._verify_signed_jwt(session, bearer)
        if claims.get("sub", account.email) != account.email:
            raise Unauthenticated("Invalid Credentials: the JWT subject is not its issuer.")
        scope = str(claims.get("scope") or "")
        audience = claims.get("aud")
        if not scope and not _api_audience(audience, audiences):
            raise Unauthenticated("Invalid Credentials: the JWT audience is not this server.")
        scopes = frozenset(scope.split()) if scope else frozenset({CLOUD_PLATFORM})
        return Caller(principal=f"serviceAccount:{account.email}", scopes=scopes)

    def _verify_signed_jwt(
        self, session: Session, token: str
    ) -> tuple[ServiceAccount, ServiceAccountKey, dict[str, Any]]:
        """Check a JWT signed by a service-account key: signature, issuer, lifetime."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Invalid JWT: the token is malformed.") from exc
        key = session.get(ServiceAccountKey, str(header.get("kid", "")))
        account = session.get(ServiceAccount, key.service_account_id) if key else None
        if key is None or account is None or account.email != unverified.get("iss"):
            raise Unauthenticated("Invalid JWT Signature: no such key for this issuer.")
        _require_usable(account, key, check_key=True)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public_key_of(key.certificate_pem),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Invalid JWT Signature.") from exc
        self._check_lifetime(claims)
        return account, key, claims

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        try:
            issued = dt.datetime.fromtimestamp(int(claims["iat"]), dt.UTC)
            expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise Unauthenticated("Invalid JWT: iat and exp are required.") from exc
        now = self.clock.now()
        if expires - issued > TOKEN_LIFETIME or issued > now + SKEW or expires < now - SKEW:
            raise Unauthenticated(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim."
            )


def _require_usable(
    account: ServiceAccount | None, key: ServiceAccountKey | None, *, check_key: bool
) -> None:
    if account is None:
        raise Unauthenticated("Invalid Credentials: the service account was deleted.")
    if account.disabled:
        raise Unauthenticated(f"Invalid Credentials: service account {account.email} is disabled.")
    if check_key and (key is None or key.disabled):
        raise Unauthenticated(
            "Invalid Credentials: the service account key was deleted or disabled."
        )


def _api_audience(audience: object, accepted: Collection[str]) -> bool:
    """Self-signed JWTs name the API they are for: this server, or a googleapis host."""
    if not isinstance(audience, str):
        return False
    if audience.rstrip("/") in {a.rstrip("/") for a in accepted}:
        return True
    host = audience.removeprefix("https://").split("/", 1)[0]
    return audience.startswith("https://") and host.endswith(".googleapis.com")
