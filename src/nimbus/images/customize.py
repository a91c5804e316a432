"""Turning an installed package tree into the image: the recipe's files, groups and
units. Runs on the tree after mmdebstrap, nothing mounted, without starting anything.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from nimbus.images.errors import ImageBuildError
from nimbus.images.recipe import ImageFile, Recipe
from nimbus.images.rootpath import inside

SYSTEM_UNITS = "/etc/systemd/system"
GENERATORS = "/etc/systemd/system-generators"
VENDOR_UNITS = "/lib/systemd/system"


def customize(root: Path, recipe: Recipe) -> None:
    for pattern in recipe.removed:
        remove(root, pattern)
    for file in recipe.files:
        write_file(root, file)
    for group in recipe.groups:
        add_group(root, group)
    for unit in recipe.masked_units:
        mask_unit(root, unit)
    for generator in recipe.masked_generators:
        _mask(inside(root, GENERATORS) / generator)
    for wants_link in recipe.unwanted:
        # A /dev/null link in /etc overrides the vendor's link of the same name.
        _mask(inside(root, SYSTEM_UNITS) / wants_link)
    set_default_target(root, recipe.default_target)
    if recipe.enabled_units:
        chroot_run(root, "systemctl", "enable", *recipe.enabled_units)


def remove(root: Path, pattern: str) -> None:
    target = inside(root, pattern)
    for path in target.parent.glob(target.name):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def write_file(root: Path, file: ImageFile) -> None:
    target = inside(root, file.path)
    _make_directories(target.parent)
    if target.is_symlink():
        target.unlink()
    target.write_bytes(file.content)
    os.chown(target, 0, 0)
    target.chmod(file.mode)


def add_group(root: Path, group: str) -> None:
    lines = inside(root, "/etc/group").read_text().splitlines()
    if not any(line.split(":", 1)[0] == group for line in lines):
        chroot_run(root, "groupadd", "--system", group)


def mask_unit(root: Path, unit: str) -> None:
    units = inside(root, SYSTEM_UNITS)
    # Whatever enabled it (a .wants link) goes too, so nothing asks for a masked unit.
    # A template's instances (getty@tty1.service for getty@.service) go as well.
    linked = glob.escape(unit).replace("@.", "@*.")
    for kind in ("wants", "requires"):
        for wanted in units.glob(f"*.{kind}/{linked}"):
            wanted.unlink()
    _mask(units / unit)


def set_default_target(root: Path, target: str) -> None:
    link = inside(root, SYSTEM_UNITS) / "default.target"
    link.unlink(missing_ok=True)
    link.symlink_to(f"{VENDOR_UNITS}/{target}")


def chroot_run(root: Path, *argv: str) -> None:
    # SYSTEMD_OFFLINE: systemctl edits unit links instead of asking a running manager.
    environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_OFFLINE": "1"}
    result = subprocess.run(
        ["chroot", str(root), *argv],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
    )
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise ImageBuildError(f"{' '.join(argv)} failed in the image: {output}")


def _mask(link: Path) -> None:
    _make_directories(link.parent)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("/dev/null")


def _make_directories(directory: Path) -> None:
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for made in reversed(missing):
        made.mkdir()
        os.chown(made, 0, 0)
        made.chmod(0o755)
