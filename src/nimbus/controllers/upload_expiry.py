"""The upload sweeper: ends resumable sessions past their week and frees their bytes,
in the lead process, hourly (an abandoned session only holds disk space meanwhile)."""

from __future__ import annotations

import logging

from nimbus.controllers.repeating import RepeatingPass
from nimbus.services.storage.uploads import Uploads

log = logging.getLogger("nimbus.storage.uploads")
PERIOD_SECONDS = 3600.0


def upload_sweeper(uploads: Uploads, *, period_seconds: float = PERIOD_SECONDS) -> RepeatingPass:
    return RepeatingPass("upload-expiry", uploads.expire, period_seconds, log)
