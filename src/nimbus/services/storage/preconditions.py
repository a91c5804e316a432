"""Generation and metageneration preconditions (``ifGenerationMatch=0`` and friends)."""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.core.errors import NimbusError, PreconditionFailed


class NotModified(NimbusError):
    """A read whose ``...NotMatch`` condition failed: 304, no body."""

    code = 304
    status = "NOT_MODIFIED"
    reason = "notModified"


@dataclass(frozen=True)
class Preconditions:
    if_generation_match: int | None = None
    if_generation_not_match: int | None = None
    if_metageneration_match: int | None = None
    if_metageneration_not_match: int | None = None

    def check(
        self, generation: int | None, metageneration: int | None, *, read: bool = False
    ) -> None:
        """Raise 412 (or 304 on a read's ``NotMatch``) unless every condition holds.

        ``generation`` is None when no live object exists.
        """
        failed = PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold."
        )
        if self.if_generation_match is not None:
            current = generation if generation is not None else 0
            if current != self.if_generation_match:
                raise failed
        if self.if_metageneration_match is not None and (
            metageneration is None or metageneration != self.if_metageneration_match
        ):
            raise failed
        not_match = NotModified("Not modified.") if read else failed
        if self.if_generation_not_match is not None:
            current = generation if generation is not None else 0
            if current == self.if_generation_not_match:
                raise not_match
        if self.if_metageneration_not_match is not None and (
            metageneration is not None and metageneration == self.if_metageneration_not_match
        ):
            raise not_match

    @property
    def empty(self) -> bool:
        return self == Preconditions()
