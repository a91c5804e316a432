"""Lifecycle configuration files, in the JSON gsutil and gcloud take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nimbus.cli.failures import CliError
from nimbus.cli.files import read_json_object


def read(path: Path) -> dict[str, Any]:
    """``{"rule": [...]}`` or ``{"lifecycle": {"rule": [...]}}``, as the API's lifecycle."""
    data = read_json_object(path, "lifecycle file")
    inner = data.get("lifecycle")
    if isinstance(inner, dict):
        data = inner
    rules = data.get("rule")
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise CliError(
            f'The lifecycle file [{path}] must hold {{"rule": [...]}} or '
            '{"lifecycle": {"rule": [...]}}.'
        )
    return {"rule": rules}
