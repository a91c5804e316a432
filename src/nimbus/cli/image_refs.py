"""Image references from gcloud's ``--image``, ``--image-family`` and ``--image-project``
(or the ``image``, ``image-family`` and ``image-project`` keys of ``--create-disk``)."""

from __future__ import annotations

from nimbus.cli.failures import CliError

PUBLIC_IMAGES = "debian-cloud"


def image_ref(
    project: str,
    image: str | None,
    family: str | None,
    image_project: str | None,
    *,
    within: str | None = None,
) -> str | None:
    """A ``sourceImage`` reference, or None when neither image nor family is given.

    An image without an image project is the user's ``project``'s; a family without
    one is looked up among the public images, where the usual families live.
    ``within`` names the flag whose keys these are, for errors (``--create-disk``)."""
    names = ("image", "image-family", "image-project")
    shown = [f"[{n}]" if within else f"--{n}" for n in names]
    flag = within or "--image"
    if image and family:
        raise CliError(f"argument {flag}: At most one of {shown[0]} | {shown[1]} may be specified.")
    shown = [name if within else f"[{name}]" for name in shown]
    if image and "/" in image:
        return image
    if image:
        return f"projects/{image_project or project}/global/images/{image}"
    if family:
        return f"projects/{image_project or PUBLIC_IMAGES}/global/images/family/{family}"
    if image_project:
        raise CliError(
            f"argument {flag}: Must specify either {shown[0]} or {shown[1]} when specifying "
            f"{shown[2]}."
        )
    return None
