"""Base classes for wire shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Wire(BaseModel):
    """A response shape (extra fields from a newer server are ignored)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class WireRequest(Wire):
    """A request body: unknown fields are an error, as on Google's APIs."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
