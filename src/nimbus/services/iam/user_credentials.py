"""``authorized_user`` credentials for people: refresh tokens minted by an administrator.

Nimbus has no browser sign-in; an administrator (the owner) mints a refresh token for
``user:EMAIL``, and google-auth's ``Credentials.from_authorized_user_info`` redeems it.
"""

from __future__ import annotations

from typing import Any

from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.principals import validate_member
from nimbus.services.iam.tokens import CLOUD_PLATFORM, Tokens
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Setting

CLI_CLIENT_SETTING = "cli_oauth_client"


class UserCredentials:
    def __init__(self, db: Database, authorizer: Authorizer, tokens: Tokens) -> None:
        self.db = db
        self.authorizer = authorizer
        self.tokens = tokens

    def mint(
        self, caller: Caller, email: str, scopes: list[str] | None, base_url: str
    ) -> dict[str, Any]:
        member = validate_member(f"user:{email}")
        with self.db.write() as session:
            org = hierarchy.organization(session)
            self.authorizer.check(
                session, caller, "nimbus.users.mintCredentials", hierarchy.org_target(org)
            )
            client = session.get(Setting, CLI_CLIENT_SETTING)
            if client is None:
                raise InvalidArgument("This Nimbus has no OAuth client for users.")
            scope = " ".join(scopes or [CLOUD_PLATFORM])
            refresh = self.tokens.mint_refresh_token(
                session, member, client.value["client_id"], scope
            )
            return {
                "type": "authorized_user",
                "client_id": client.value["client_id"],
                "client_secret": client.value["client_secret"],
                "refresh_token": refresh,
                "token_uri": f"{base_url}/token",
                "account": email,
                "universe_domain": "googleapis.com",
            }
