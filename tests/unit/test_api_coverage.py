from __future__ import annotations

from pathlib import Path

from nimbus.api.coverage import render

DOC = Path(__file__).parents[2] / "docs" / "api-coverage.md"


def test_coverage_document_is_current() -> None:
    assert DOC.read_text() == render(), "run: python -m nimbus.api.coverage > docs/api-coverage.md"
