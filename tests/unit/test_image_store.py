"""The image store: tarballs in and out, and archives that try to escape their image."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import shutil
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from nimbus.images.store import ImageImportError, ImageStore

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="owners and device nodes need root")

Member = Callable[[tarfile.TarFile], None]


def regular(name: str, data: bytes = b"data", mode: int = 0o644, **fields: object) -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        for key, value in fields.items():
            setattr(info, key, value)
        tar.addfile(info, io.BytesIO(data))

    return add


def special(
    name: str, kind: bytes, linkname: str = "", mode: int = 0o755, **fields: object
) -> Member:
    def add(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.mode = kind, linkname, mode
        for key, value in fields.items():
            setattr(info, key, value)
        tar.addfile(info)

    return add


def make_tarball(path: Path, *members: Member) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for add in members:
            add(tar)
    return path


ROOTFS = (
    special(".", tarfile.DIRTYPE),
    special("etc", tarfile.DIRTYPE),
    regular("etc/hostname", b"image\n"),
    regular("etc/shadow", b"root:*:1::::::\n", mode=0o640, gid=42),
    special("usr", tarfile.DIRTYPE),
    special("usr/bin", tarfile.DIRTYPE),
    regular("usr/bin/sudo", b"\x7fELF", mode=0o4755),
    regular("usr/bin/ping", b"\x7fELF", mode=0o755,
            pax_headers={"SCHILY.xattr.user.nimbus": "cap_net_raw"}),
    special("usr/bin/ping4", tarfile.LNKTYPE, "usr/bin/ping"),
    special("bin", tarfile.SYMTYPE, "usr/bin"),
    # Absolute symlink targets are normal in a root filesystem: they mean the image's root.
    special("etc/alternatives", tarfile.DIRTYPE),
    special("etc/alternatives/pager", tarfile.SYMTYPE, "/usr/bin/less"),
    special("home", tarfile.DIRTYPE),
    special("home/ann", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1000),
    regular("home/ann/notes", b"hi", uid=1000, gid=1000),
    special("dev", tarfile.DIRTYPE),
    special("dev/null", tarfile.CHRTYPE, mode=0o666, devmajor=1, devminor=3),
    special("run", tarfile.DIRTYPE),
    special("run/initctl", tarfile.FIFOTYPE, mode=0o600),
)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images")


def leftovers(store: ImageStore) -> list[str]:
    return sorted(p.name for p in store.root.iterdir() if p.name.startswith("."))


def test_import_keeps_what_a_root_filesystem_needs(store: ImageStore, tmp_path: Path) -> None:
    size = store.import_tarball("img-1", make_tarball(tmp_path / "root.tar", *ROOTFS))

    root = store.path("img-1")
    assert store.exists("img-1") and root == store.root / "img-1" / "rootfs"
    # File contents, hard links once, and symlinks by their target's length (as du does).
    assert size == len(b"image\n") + 15 + 4 + 4 + 2 + len("/usr/bin/less") + len("usr/bin")
    assert (root / "etc/hostname").read_bytes() == b"image\n"
    shadow = (root / "etc/shadow").stat()
    assert (stat.S_IMODE(shadow.st_mode), shadow.st_uid, shadow.st_gid) == (0o640, 0, 42)
    assert stat.S_IMODE((root / "usr/bin/sudo").stat().st_mode) == 0o4755
    assert os.getxattr(root / "usr/bin/ping", "user.nimbus") == b"cap_net_raw"
    assert (root / "usr/bin/ping4").stat().st_ino == (root / "usr/bin/ping").stat().st_ino
    assert (root / "bin").readlink().as_posix() == "usr/bin"
    assert (root / "etc/alternatives/pager").readlink().as_posix() == "/usr/bin/less"
    home = (root / "home/ann").stat()
    assert (stat.S_IMODE(home.st_mode), home.st_uid, home.st_gid) == (0o700, 1000, 1000)
    assert (root / "home/ann/notes").stat().st_uid == 1000
    null = (root / "dev/null").stat()
    assert stat.S_ISCHR(null.st_mode) and os.major(null.st_rdev) == 1
    assert stat.S_ISFIFO((root / "run/initctl").stat().st_mode)
    assert leftovers(store) == []


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gz": gzip.compress,
    "xz": lzma.compress,
    "bz2": bz2.compress,
    "zst": lambda data: (
        subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
    ),
}


@pytest.mark.parametrize("compression", sorted(COMPRESSORS))
def test_compressed_tarballs(store: ImageStore, tmp_path: Path, compression: str) -> None:
    if compression == "zst" and not shutil.which("zstd"):
        pytest.skip("zstd is not installed")
    plain = make_tarball(tmp_path / "root.tar", *ROOTFS).read_bytes()
    packed = tmp_path / f"root.tar.{compression}"
    packed.write_bytes(COMPRESSORS[compression](plain))

    store.import_tarball("img", packed)

    assert (store.path("img") / "bin").readlink().as_posix() == "usr/bin"
    assert stat.S_IMODE((store.path("img") / "usr/bin/sudo").stat().st_mode) == 0o4755


def test_export_then_import_is_the_same_tree(store: ImageStore, tmp_path: Path) -> None:
    store.import_tarball("a", make_tarball(tmp_path / "root.tar", *ROOTFS))

    size = store.export_tarball("a", tmp_path / "a.tar.gz")
    store.import_tarball("b", tmp_path / "a.tar.gz")

    assert size == (tmp_path / "a.tar.gz").stat().st_size
    assert (tmp_path / "a.tar.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert describe(store.path("b")) == describe(store.path("a"))
    assert os.getxattr(store.path("b") / "usr/bin/ping", "user.nimbus") == b"cap_net_raw"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def describe(root: Path) -> dict[str, tuple[object, ...]]:
    tree: dict[str, tuple[object, ...]] = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        link = path.readlink().as_posix() if path.is_symlink() else None
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        tree[str(path.relative_to(root))] = (info.st_mode, info.st_uid, info.st_gid, link, content)
    return tree


# Each case: the members, given a directory outside the store that must stay empty.
HOSTILE: dict[str, Callable[[Path], list[Member]]] = {
    "absolute path": lambda outside: [regular(f"{outside}/escaped")],
    "dot-dot path": lambda _: [special("etc", tarfile.DIRTYPE), regular("etc/../../escaped")],
    "write through an absolute symlink": lambda outside: [
        special("evil", tarfile.SYMTYPE, str(outside)),
        regular("evil/escaped"),
    ],
    "write through a relative symlink": lambda outside: [
        special("a", tarfile.DIRTYPE),
        special("a/up", tarfile.SYMTYPE, "../" * 20),
        regular(f"a/up/{str(outside).lstrip('/')}/escaped"),
    ],
    "overwrite a symlink's target": lambda outside: [
        special("evil", tarfile.SYMTYPE, f"{outside}/escaped"),
        regular("evil", b"pwned"),
    ],
    "hard link to an absolute path": lambda _: [special("pw", tarfile.LNKTYPE, "/etc/passwd")],
    "hard link out with dot-dot": lambda _: [special("pw", tarfile.LNKTYPE, "../../etc/passwd")],
    "hard link through a symlink": lambda _: [
        special("etc", tarfile.SYMTYPE, "/etc"),
        special("pw", tarfile.LNKTYPE, "etc/passwd"),
    ],
    "device node outside /dev": lambda _: [
        special("disk", tarfile.BLKTYPE, devmajor=8, devminor=0)
    ],
    "device node in another dev directory": lambda _: [
        special("var", tarfile.DIRTYPE),
        special("var/dev", tarfile.DIRTYPE),
        special("var/dev/mem", tarfile.CHRTYPE, devmajor=1, devminor=1),
    ],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(store: ImageStore, tmp_path: Path, case: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    members = HOSTILE[case](outside)
    tarball = make_tarball(tmp_path / "evil.tar", regular("ok", b"fine"), *members)

    with pytest.raises(ImageImportError):
        store.import_tarball("evil", tarball)

    assert list(outside.iterdir()) == []
    assert not store.exists("evil") and not (store.root / "evil").exists()
    assert leftovers(store) == []


@pytest.mark.parametrize(
    "content", [b"", b"not a tarball at all" * 100, b"\x1f\x8b\x08\x00garbage", b"\x28\xb5\x2f\xfd"]
)
def test_unreadable_archives_are_refused(store: ImageStore, tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.tar").write_bytes(content)

    with pytest.raises(ImageImportError):
        store.import_tarball("bad", tmp_path / "bad.tar")

    assert not store.exists("bad") and leftovers(store) == []


def test_a_truncated_tarball_is_refused(store: ImageStore, tmp_path: Path) -> None:
    whole = make_tarball(tmp_path / "root.tar", *ROOTFS, regular("big", os.urandom(50_000)))
    packed = gzip.compress(whole.read_bytes())
    (tmp_path / "cut.tar.gz").write_bytes(packed[: len(packed) // 2])

    with pytest.raises(ImageImportError):
        store.import_tarball("cut", tmp_path / "cut.tar.gz")

    assert not store.exists("cut") and leftovers(store) == []


def test_an_existing_image_is_not_replaced(store: ImageStore, tmp_path: Path) -> None:
    store.import_tarball("img", make_tarball(tmp_path / "one.tar", regular("one")))

    with pytest.raises(FileExistsError):
        store.import_tarball("img", make_tarball(tmp_path / "two.tar", regular("two")))

    assert (store.path("img") / "one").exists() and leftovers(store) == []


def test_remove_is_idempotent(store: ImageStore, tmp_path: Path) -> None:
    store.import_tarball("img", make_tarball(tmp_path / "root.tar", *ROOTFS))

    store.remove("img")
    store.remove("img")
    store.remove("never-was")

    assert not store.exists("img") and list(store.root.iterdir()) == []


@pytest.mark.parametrize("image_id", ["", ".", "..", "../x", "a/b", ".hidden", "x" * 200])
def test_image_ids_cannot_name_other_paths(store: ImageStore, image_id: str) -> None:
    with pytest.raises(ValueError):
        store.path(image_id)
    with pytest.raises(ValueError):
        store.remove(image_id)


def test_exporting_a_missing_image_fails(store: ImageStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.export_tarball("nope", tmp_path / "out.tar.gz")
