"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.services.cloud import Cloud
from nimbus.settings import ServerSettings


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    """A started cloud on the embedded store and the fake runtime, in ``tmp_path``.
    A test module needing other settings defines its own ``cloud``."""
    built = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"))
    built.start()
    yield built
    built.close()
