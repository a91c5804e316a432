"""Access tokens: minted through google-auth, cached per account so calls reuse them.

The cache is ``<config>/access_tokens/<account>.json`` (mode 0600), holding the token,
its expiry and the endpoint that minted it; a token is reused until a minute before it
expires, and only against that endpoint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbus.cli.credentials import SERVICE_ACCOUNT, KeyFile
from nimbus.cli.failures import CliError, Unreachable
from nimbus.cli.files import read_json_object, write_json

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
MARGIN = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Identity:
    """Who the CLI acts as: an account and the credentials that prove it."""

    account: str
    key: KeyFile


@dataclass(frozen=True)
class AccessToken:
    token: str
    expiry: dt.datetime


class TokenCache:
    def __init__(self, config_dir: Path) -> None:
        self.directory = config_dir / "access_tokens"

    def _path(self, account: str) -> Path:
        return self.directory / f"{account.replace('/', '_')}.json"

    def get(self, account: str, endpoint: str) -> AccessToken | None:
        path = self._path(account)
        if not path.exists():
            return None
        try:
            entry = read_json_object(path, "token cache")
            expiry = dt.datetime.fromisoformat(str(entry["expiry"]))
            token = str(entry["token"])
        except (CliError, KeyError, ValueError):
            return None
        if entry.get("endpoint") != endpoint or expiry - MARGIN <= _now():
            return None
        return AccessToken(token, expiry)

    def put(self, account: str, endpoint: str, token: AccessToken) -> None:
        entry = {"endpoint": endpoint, "token": token.token, "expiry": token.expiry.isoformat()}
        write_json(self._path(account), entry)

    def drop(self, account: str) -> None:
        self._path(account).unlink(missing_ok=True)


class TokenSource:
    """The access token for one identity against one endpoint, minted at most when due."""

    def __init__(self, identity: Identity, endpoint: str, cache: TokenCache) -> None:
        self.identity = identity
        self.endpoint = endpoint
        self.cache = cache

    def token(self, *, fresh: bool = False) -> str:
        if not fresh:
            cached = self.cache.get(self.identity.account, self.endpoint)
            if cached is not None:
                return cached.token
        minted = mint(self.identity.key, self.endpoint)
        self.cache.put(self.identity.account, self.endpoint, minted)
        return minted.token


def mint(key: KeyFile, endpoint: str) -> AccessToken:
    """A new access token from the endpoint's token URL (whatever the file says)."""
    import google.auth.exceptions
    import google.auth.transport.requests

    info = {**key.info, "token_uri": f"{endpoint}/token"}
    try:
        credentials = _credentials(info)
        credentials.refresh(google.auth.transport.requests.Request())
    except google.auth.exceptions.TransportError as exc:
        raise Unreachable(endpoint) from exc
    except google.auth.exceptions.RefreshError as exc:
        raise CliError(
            f"There was a problem refreshing the credentials of [{key.account}]: {_reason(exc)}"
        ) from exc
    except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        raise CliError(f"The credentials of [{key.account}] are not usable: {exc}") from exc
    expiry = credentials.expiry or _now() + dt.timedelta(minutes=5)
    return AccessToken(str(credentials.token), expiry.replace(tzinfo=dt.UTC))


def _credentials(info: dict[str, Any]) -> Any:
    """google-auth credentials (untyped, hence ``Any``) for a parsed credentials file."""
    if info["type"] == SERVICE_ACCOUNT:
        from google.oauth2 import service_account

        factory = service_account.Credentials.from_service_account_info
        return factory(info, scopes=[CLOUD_PLATFORM])  # type: ignore[no-untyped-call]
    from google.oauth2 import credentials

    # from_authorized_user_info always points at Google's token URL; ours is put back.
    user = credentials.Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
    return user.with_token_uri(info["token_uri"])


def _reason(exc: Exception) -> str:
    first = exc.args[0] if exc.args else exc
    return str(first).rstrip(".") + "."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
