"""Operation statuses and the transitions between them."""

PENDING = "PENDING"
RUNNING = "RUNNING"
DONE = "DONE"

ALLOWED = {PENDING: (RUNNING, DONE), RUNNING: (DONE,), DONE: ()}

GLOBAL = "global"
REGION = "region"
ZONE = "zone"
