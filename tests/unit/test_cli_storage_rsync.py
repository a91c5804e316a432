"""rsync's pure parts: gcloud's rule for what changed, exclusions, and the plan."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from nimbus.cli.failures import CliError
from nimbus.cli.storage.checksums import Crc32c
from nimbus.cli.storage.endpoints import LocalFile
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.sync_compare import Rules, should_copy
from nimbus.cli.storage.sync_plan import exclusions, sync_plan
from nimbus.cli.storage.sync_roots import CloudRoot, LocalRoot, root_of
from nimbus.cli.storage.urls import CloudUrl

MTIME = 1_700_000_000


def a_file(tmp_path: Path, data: bytes, mtime: int = MTIME) -> LocalFile:
    path = tmp_path / "f"
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return LocalFile(path)


def an_object(
    data: bytes, mtime: int | None = MTIME, *, crc32c: bool = True, md5: bool = True
) -> Entry:
    crc = Crc32c()
    crc.update(data)
    resource: dict[str, object] = {"name": "o", "generation": "1", "size": str(len(data))}
    if crc32c:
        resource["crc32c"] = crc.b64()
    if md5:
        resource["md5Hash"] = base64.b64encode(hashlib.md5(data).digest()).decode()
    if mtime is not None:
        resource["metadata"] = {"goog-reserved-file-mtime": str(mtime)}
    return Entry("b", "o", resource)


def test_sizes_then_mtimes_then_checksums(tmp_path: Path) -> None:
    plain = Rules()
    same = a_file(tmp_path, b"abc")
    assert not should_copy(same, an_object(b"abc"), plain)
    assert should_copy(same, an_object(b"abcd"), plain)  # sizes differ
    assert should_copy(same, an_object(b"abc", MTIME + 1), plain)  # same bytes, other mtime
    assert not should_copy(same, an_object(b"xyz"), plain)  # equal mtimes are trusted
    assert should_copy(same, an_object(b"xyz"), Rules(checksums_only=True))
    assert not should_copy(same, an_object(b"abc", MTIME + 1), Rules(checksums_only=True))
    assert should_copy(same, an_object(b"xyz", None), plain)  # no mtime: checksums decide
    assert not should_copy(same, an_object(b"abc", None, crc32c=False), plain)  # MD5 then
    assert should_copy(same, an_object(b"abc", None, crc32c=False, md5=False), plain)


def test_a_newer_destination_is_kept_with_u(tmp_path: Path) -> None:
    older = a_file(tmp_path, b"abc", MTIME - 10)
    assert should_copy(older, an_object(b"abcd"), Rules())
    assert not should_copy(older, an_object(b"abcd"), Rules(skip_if_dest_newer=True))


def test_roots_and_exclusions() -> None:
    assert root_of("gs://bkt/dir") == CloudRoot("bkt", "dir/")
    assert root_of("gs://bkt/") == CloudRoot("bkt", "")
    assert root_of("here") == LocalRoot(Path("here"))
    with pytest.raises(CliError, match="wildcards"):
        root_of("gs://bkt/*.txt")
    with pytest.raises(CliError, match="outside"):
        LocalRoot(Path("/d")).target("../escape")
    excluded = exclusions([r".*\.log$,tmp/", "cache"])
    assert [n for n in ("a.log", "tmp/x", "x/tmp/y", "cache/z", "a.txt") if excluded(n)] == [
        "a.log",
        "tmp/x",
        "cache/z",
    ]
    with pytest.raises(CliError, match="not a regex"):
        exclusions(["("])


def test_the_plan_copies_removes_and_counts(tmp_path: Path) -> None:
    kept = a_file(tmp_path, b"abc")
    source = {"kept": kept, "new": kept, "skip.log": kept}
    destination = {"kept": an_object(b"abc"), "extra": an_object(b"x"), "old.log": an_object(b"")}
    root = CloudRoot("b", "p/")
    planned = sync_plan(
        source,
        destination,
        root,
        rules=Rules(),
        excluded=exclusions([r".*\.log$"]),
        no_clobber=False,
        delete_unmatched=True,
    )
    assert [job.target for job in planned.copies] == [CloudUrl("b", "p/new")]
    assert planned.removals == [destination["extra"]]
    assert planned.unchanged == 1
