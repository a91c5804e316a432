"""Cloud Storage's background passes, run by the lead process: lifecycle rules, the
hard delete of soft-deleted generations past their time, and the end of resumable
sessions past their week (an abandoned session only holds disk space meanwhile)."""

from __future__ import annotations

import logging

from nimbus.controllers.repeating import RepeatingPass
from nimbus.services.storage.hard_deletes import HardDeletes
from nimbus.services.storage.lifecycle import Lifecycle
from nimbus.services.storage.uploads import Uploads

log = logging.getLogger("nimbus.storage")
LIFECYCLE_SECONDS = 60.0
HARD_DELETE_SECONDS = 60.0
UPLOAD_EXPIRY_SECONDS = 3600.0


def storage_sweeps(
    lifecycle: Lifecycle, hard_deletes: HardDeletes, uploads: Uploads
) -> list[RepeatingPass]:
    return [
        RepeatingPass("storage-lifecycle", lifecycle.run_once, LIFECYCLE_SECONDS, log),
        RepeatingPass("storage-hard-deletes", hard_deletes.run_once, HARD_DELETE_SECONDS, log),
        RepeatingPass("upload-expiry", uploads.expire, UPLOAD_EXPIRY_SECONDS, log),
    ]
