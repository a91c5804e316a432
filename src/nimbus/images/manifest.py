"""What a built image holds: its packages and size, written beside it as JSON."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

DPKG_STATUS = "var/lib/dpkg/status"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    architecture: str

    @property
    def deb_name(self) -> str:
        """The file name apt gives this package's .deb in its archive."""
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.architecture}.deb"


@dataclass(frozen=True)
class Manifest:
    image: str
    digest: str
    build_seconds: float
    size_bytes: int
    packages: tuple[Package, ...]
    recipe: dict[str, object]

    def write(self, path: Path) -> None:
        document = asdict(self)
        document["packages"] = [asdict(package) for package in self.packages]
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def installed_packages(root: Path) -> tuple[Package, ...]:
    """The packages dpkg has installed in the tree, sorted by name."""
    packages = []
    for paragraph in (root / DPKG_STATUS).read_text().split("\n\n"):
        fields = _fields(paragraph)
        if fields.get("Status", "").endswith(" installed"):
            packages.append(Package(fields["Package"], fields["Version"], fields["Architecture"]))
    return tuple(sorted(packages, key=lambda package: package.name))


def tree_size(root: Path) -> int:
    """Bytes under ``root`` as ``du --apparent-size`` counts them, without directories:
    file contents (hard links once) and symlinks (their target's length)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, directories, files in os.walk(root):
        for name in [*files, *directories]:
            info = Path(directory, name).lstat()
            if stat.S_ISDIR(info.st_mode):
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_size
    return total


def _fields(paragraph: str) -> dict[str, str]:
    fields = {}
    for line in paragraph.splitlines():
        if line and not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields
