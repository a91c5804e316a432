"""Fixtures the CLI's end-to-end tests share."""

from __future__ import annotations

import pytest

from tests.conftest import unique_id
from tests.e2e.expect import Cli, ok


@pytest.fixture
def bucket(cli: Cli, project: str) -> str:
    """A fresh bucket, made as a user makes one, as ``gs://NAME``."""
    url = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {url} --project {project}")
    return url
