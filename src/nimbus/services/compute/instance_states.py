"""Instance statuses, what each action may start from, and what the user can ask for.

``status`` is what Nimbus reports (Google's values); ``desired`` is what the user last
asked for. Controllers move the first toward the second.
"""

from __future__ import annotations

PROVISIONING = "PROVISIONING"
STAGING = "STAGING"
RUNNING = "RUNNING"
STOPPING = "STOPPING"
TERMINATED = "TERMINATED"
SUSPENDING = "SUSPENDING"
SUSPENDED = "SUSPENDED"

# What the user wants.
WANT_RUNNING = "RUNNING"
WANT_TERMINATED = "TERMINATED"
SUSPENDING = "SUSPENDING"
SUSPENDED = "SUSPENDED"
WANT_DELETED = "DELETED"
WANT_SUSPENDED = "SUSPENDED"

BOOTING = (PROVISIONING, STAGING)
# Google accepts a start of a running instance and a stop of a stopped one (no-ops).
ALLOW_START = (TERMINATED, STOPPING, RUNNING, *BOOTING)
ALLOW_STOP = (*BOOTING, RUNNING, STOPPING, TERMINATED, SUSPENDING, SUSPENDED)
ALLOW_RESET = (RUNNING,)
ALLOW_SUSPEND = (RUNNING, SUSPENDING, SUSPENDED)
ALLOW_RESUME = (SUSPENDED, SUSPENDING, RUNNING)
