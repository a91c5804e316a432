"""The guest agent's part of the image, as ``nimbus.guest.install`` describes it."""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.images.recipe import ImageFile


@dataclass(frozen=True)
class GuestPayload:
    files: tuple[ImageFile, ...]
    units: tuple[str, ...]


def load_guest_payload() -> GuestPayload:
    # Imported here so that the image store and recipe work without the guest package.
    from nimbus.guest.install import GUEST_UNITS, guest_files

    files = tuple(ImageFile(f.path, f.content, f.mode) for f in guest_files())
    return GuestPayload(files=files, units=tuple(GUEST_UNITS))
