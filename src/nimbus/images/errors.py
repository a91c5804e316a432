"""The errors of the image builder and the image store."""

from __future__ import annotations


class ImageError(Exception):
    """Base of the image errors; the message says what went wrong for a person."""


class ImageBuildError(ImageError):
    """Building an image failed (mmdebstrap, or customizing its result)."""


class ImageImportError(ImageError):
    """An image archive is unreadable or tries to write outside its image."""
