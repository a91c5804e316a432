"""Fixtures shared by the tests of the network fabric on the real kernel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.net import Fabric
from tests.integration.test_net_fabric import leftovers


@pytest.fixture
def fabric(tmp_path: Path) -> Iterator[Fabric]:
    """A fabric of the test's own, torn down after it with nothing left behind."""
    fabric = Fabric(tmp_path / "net")
    try:
        yield fabric
    finally:
        fabric.teardown()
        assert leftovers(fabric.tag) == []
