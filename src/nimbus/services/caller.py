"""Who is calling, as the API layer established it."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_USERS = "allUsers"
ALL_AUTHENTICATED_USERS = "allAuthenticatedUsers"


@dataclass(frozen=True)
class Caller:
    """An authenticated principal (``user:…``, ``serviceAccount:…``) or the anonymous public.

    ``scopes`` are the OAuth scopes of the credential used; the empty set means
    unrestricted (the owner acting anonymously, or a self-signed JWT for one API).
    """

    principal: str
    authenticated: bool = True
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def members(self) -> frozenset[str]:
        """The policy members this caller matches."""
        if not self.authenticated:
            return frozenset({ALL_USERS, self.principal})
        return frozenset({self.principal, ALL_USERS, ALL_AUTHENTICATED_USERS})

    @property
    def email(self) -> str:
        return self.principal.split(":", 1)[-1]


ANONYMOUS = Caller(principal=ALL_USERS, authenticated=False)
