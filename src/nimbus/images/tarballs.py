"""Image tarballs: safe extraction of untrusted archives, and export.

Extraction keeps what a root filesystem needs (owners by number, modes with setuid,
symlinks, hard links, device nodes in /dev, extended attributes such as file
capabilities) and refuses anything that would land outside the destination: absolute
or ``..`` names, writes through a symlink, hard links to files outside. Members are
checked one by one as they are extracted, so a symlink made by an earlier member is
seen by the check of a later one.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import subprocess
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from nimbus.images.errors import ImageImportError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
XATTR_PREFIX = "SCHILY.xattr."
_BAD_ARCHIVE = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile)


def extract(archive: Path, destination: Path) -> None:
    """Extract ``archive`` (tar, optionally gzip, xz, bzip2 or zstd) into the existing
    empty directory ``destination``; ImageImportError if it is bad or hostile."""
    try:
        with _open(archive) as tar:
            _extract_all(tar, destination)
    except _BAD_ARCHIVE as error:
        raise ImageImportError(f"{archive.name} is not a readable tar archive: {error}") from error
    except OSError as error:
        # Members that contradict each other (a file where a directory must be, ...).
        raise ImageImportError(f"{archive.name} cannot be extracted: {error}") from error


def export(root: Path, destination: Path) -> None:
    """Write the tree ``root`` as a gzip tar with numeric owners and extended attributes."""
    result = subprocess.run(
        ["tar", "--create", "--gzip", f"--file={destination}", f"--directory={root}",
         "--numeric-owner", "--xattrs", "--xattrs-include=*", "--sparse", "."],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
    )  # fmt: skip
    if result.returncode != 0:
        raise OSError(f"tar failed exporting {root}: {result.stderr.strip()}")


@contextlib.contextmanager
def _open(archive: Path) -> Iterator[tarfile.TarFile]:
    with archive.open("rb") as raw:
        zstd = raw.read(len(ZSTD_MAGIC)) == ZSTD_MAGIC
    if not zstd:
        with tarfile.open(archive, "r:*") as tar:
            yield tar
        return
    # The standard library has no zstd: read the decompressor's output as a stream.
    with _zstd_output(archive) as process:
        assert process.stdout is not None
        try:
            # A damaged stream shows as a tar error; zstd's own status adds nothing.
            with tarfile.open(fileobj=process.stdout, mode="r|") as tar:
                yield tar
        finally:
            process.kill()


def _zstd_output(archive: Path) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            ["zstd", "--decompress", "--stdout", "--quiet", str(archive)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError as error:
        raise ImageImportError("zstd archives need the zstd program on the host") from error


def _extract_all(tar: tarfile.TarFile, destination: Path) -> None:
    root = destination.resolve()
    attributes: list[tuple[Path, dict[str, bytes]]] = []

    def checked(member: tarfile.TarInfo, _: str) -> tarfile.TarInfo:
        check_member(member, root)
        if (member.isfile() or member.isdir()) and (xattrs := _xattrs(member)):
            attributes.append((root / member.name, xattrs))
        return member

    tar.extractall(root, numeric_owner=True, filter=checked)
    # After every chown: changing a file's owner clears its capabilities.
    for path, xattrs in attributes:
        for key, value in xattrs.items():
            os.setxattr(path, key, value, follow_symlinks=False)


def check_member(member: tarfile.TarInfo, root: Path) -> None:
    """Refuse a member that would write outside ``root`` or is not a plain file,
    directory, link, FIFO, or device node under /dev."""
    name = _relative(member.name, member.name)
    if member.ischr() or member.isblk():
        if name.parts[:1] != ("dev",):
            raise ImageImportError(f"{member.name}: device node outside /dev")
    elif not any(is_kind() for is_kind in (member.isfile, member.isdir, member.issym,
                                           member.islnk, member.isfifo)):  # fmt: skip
        raise ImageImportError(f"{member.name}: unsupported member type")
    target = root / name
    # A symlink's own target may point anywhere: it is resolved inside the image.
    _within(root, target.parent if member.issym() else target, member.name)
    if member.islnk():
        _within(root, root / _relative(member.linkname, member.name), member.name)


def _relative(name: str, member: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute():
        raise ImageImportError(f"{member}: absolute path")
    if ".." in path.parts:
        raise ImageImportError(f"{member}: path leaves the image")
    return path


def _within(root: Path, path: Path, member: str) -> None:
    # Resolves the symlinks earlier members made, as extraction would follow them.
    if not Path(os.path.realpath(path)).is_relative_to(root):
        raise ImageImportError(f"{member}: path leaves the image through a symlink")


def _xattrs(member: tarfile.TarInfo) -> dict[str, bytes]:
    return {
        key.removeprefix(XATTR_PREFIX): value.encode("utf-8", "surrogateescape")
        for key, value in member.pax_headers.items()
        if key.startswith(XATTR_PREFIX)
    }
