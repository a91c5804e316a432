"""The CLI's own error: printed as one line, with a non-zero exit."""

from __future__ import annotations


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Unreachable(CliError):
    """Nothing answers at the endpoint: most often, no ``nimbus up`` is running."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f"No Nimbus answers at {endpoint}. Start one with `nimbus up`, "
            "or point NIMBUS_ENDPOINT (or `nimbus config set endpoint URL`) at a running one."
        )
