"""A recommendation's states and the moves Google allows between them."""

from __future__ import annotations

ACTIVE = "ACTIVE"
CLAIMED = "CLAIMED"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
DISMISSED = "DISMISSED"

# Google refreshes the content of these; the others are frozen by the user's claim.
CONTENT_REFRESHED = (ACTIVE, DISMISSED)
_ACTED_ON = (ACTIVE, CLAIMED, SUCCEEDED, FAILED)
# The states each mark may start from.
ALLOWED_FROM = {
    CLAIMED: _ACTED_ON,
    SUCCEEDED: _ACTED_ON,
    FAILED: _ACTED_ON,
    DISMISSED: (ACTIVE,),
}
