"""``nimbus storage rsync`` as a user runs it, like ``gcloud storage rsync``: a tree up
to a prefix and back, only what changed copied again, removals, dry runs, the top
level alone, exclusions, bucket to bucket, and one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e

MTIME = "goog-reserved-file-mtime"


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def objects(cli: Cli, url: str) -> dict[str, dict[str, object]]:
    """Each object under ``url`` by name, as the API gives it."""
    listed = json.loads(ok(cli, f"storage objects list {url} --raw --format json").stdout)
    return {str(item["name"]): item for item in listed}


def generations(cli: Cli, url: str) -> dict[str, object]:
    return {name: item["generation"] for name, item in objects(cli, url).items()}


def make_tree(root: Path, contents: dict[str, bytes]) -> None:
    for name, data in contents.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def test_a_tree_up_to_a_prefix_and_back_then_only_changes(
    cli: Cli, bucket: str, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, {"a.txt": b"alpha", "sub/b.txt": b"bravo", "sub/deep/c.bin": os.urandom(3000)})
    (tree / "sub" / "empty").mkdir()
    up = ok(cli, f"storage rsync -r {tree} {bucket}/backup")
    assert f"Copying file://{tree / 'sub/b.txt'} to {bucket}/backup/sub/b.txt" in up.stderr
    assert up.stderr.splitlines()[-1] == (
        "Synchronized: 3 items copied, 0 removed, 0 already up to date."
    )
    stored = objects(cli, f"{bucket}/backup/")
    assert sorted(stored) == ["backup/a.txt", "backup/sub/b.txt", "backup/sub/deep/c.bin"]
    mtime = str(int((tree / "a.txt").stat().st_mtime))
    assert stored["backup/a.txt"]["metadata"] == {MTIME: mtime}

    back = tmp_path / "back"
    ok(cli, f"storage rsync -r {bucket}/backup {back}")
    assert files_under(back) == files_under(tree)
    assert int((back / "a.txt").stat().st_mtime) == int(mtime)  # from the object's record

    before = generations(cli, f"{bucket}/backup/")
    again = ok(cli, f"storage rsync -r {tree} {bucket}/backup")
    assert "Copying" not in again.stderr and "0 items copied" in again.stderr
    assert generations(cli, f"{bucket}/backup/") == before

    (tree / "a.txt").write_bytes(b"ALPHA")  # same size, new bytes, a later mtime
    later = int(mtime) + 60
    os.utime(tree / "a.txt", (later, later))
    changed = ok(cli, f"storage rsync -r {tree} {bucket}/backup")
    assert "Synchronized: 1 item copied, 0 removed, 2 already up to date." in changed.stderr
    after = generations(cli, f"{bucket}/backup/")
    assert after["backup/a.txt"] != before["backup/a.txt"]
    assert after["backup/sub/b.txt"] == before["backup/sub/b.txt"]
    assert ok(cli, f"storage cat {bucket}/backup/a.txt").stdout == "ALPHA"

    ok(cli, f"storage cp {tree / 'a.txt'} {bucket}/backup/extra.txt")
    (tree / "sub" / "b.txt").write_bytes(b"bravo, longer")
    snapshot = generations(cli, f"{bucket}/backup/")
    delete = "--delete-unmatched-destination-objects"
    planned = ok(cli, f"storage rsync -r {delete} --dry-run {tree} {bucket}/backup")
    assert planned.stderr.splitlines() == [
        f"Would copy file://{tree / 'sub/b.txt'} to {bucket}/backup/sub/b.txt",
        f"Would remove {bucket}/backup/extra.txt",
    ]
    assert generations(cli, f"{bucket}/backup/") == snapshot

    synced = ok(cli, f"storage rsync -r {delete} {tree} {bucket}/backup")
    assert f"Removing {bucket}/backup/extra.txt..." in synced.stderr
    assert sorted(objects(cli, f"{bucket}/backup/")) == sorted(stored)
    assert ok(cli, f"storage cat {bucket}/backup/sub/b.txt").stdout == "bravo, longer"


def test_top_level_exclusions_and_bucket_to_bucket(
    cli: Cli, bucket: str, project: str, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, {"top.txt": b"top", "run.log": b"log", "sub/deep.txt": b"deep"})
    flat = ok(cli, f"storage rsync {tree} {bucket}/flat")  # no -r: sub/ stays behind
    assert sorted(objects(cli, f"{bucket}/flat/")) == ["flat/run.log", "flat/top.txt"]
    assert "2 items copied" in flat.stderr

    ok(cli, f"storage rsync -r -x '.*\\.log$,nothing' {tree} {bucket}/all")
    assert sorted(objects(cli, f"{bucket}/all/")) == ["all/sub/deep.txt", "all/top.txt"]
    ok(cli, f"storage cp {tree / 'run.log'} {bucket}/all/kept.log")
    excluded = ok(
        cli,
        f"storage rsync -r -x '.*\\.log$' --delete-unmatched-destination-objects {tree} "
        f"{bucket}/all",
    )
    assert "Removing" not in excluded.stderr  # an excluded name is not removed either
    assert "all/kept.log" in objects(cli, f"{bucket}/all/")

    other = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {other} --project {project}")
    across = ok(cli, f"storage rsync -r {bucket}/all {other}")
    assert f"Copying {bucket}/all/sub/deep.txt to {other}/sub/deep.txt" in across.stderr
    copied = objects(cli, other)
    assert sorted(copied) == ["kept.log", "sub/deep.txt", "top.txt"]
    originals = objects(cli, f"{bucket}/all/")
    assert copied["top.txt"]["crc32c"] == originals["all/top.txt"]["crc32c"]
    assert copied["top.txt"]["metadata"] == originals["all/top.txt"]["metadata"]
    assert "0 items copied" in ok(cli, f"storage rsync -r {bucket}/all {other}").stderr

    (tree / "run.log").unlink()
    (tree / "top.txt").write_bytes(b"TOP")  # same size, an older mtime
    os.utime(tree / "top.txt", (1_000_000_000, 1_000_000_000))
    kept = ok(cli, f"storage rsync -r -n {tree} {bucket}/all")
    assert "0 items copied" in kept.stderr
    newer = ok(cli, f"storage rsync -r -u {tree} {bucket}/all")  # the object's mtime is newer
    assert "0 items copied" in newer.stderr
    sums = ok(cli, f"storage rsync -r --checksums-only {tree} {bucket}/all")
    assert "1 item copied" in sums.stderr
    assert ok(cli, f"storage cat {bucket}/all/top.txt").stdout == "TOP"
    os.utime(tree / "top.txt", (2_000_000_000, 2_000_000_000))  # only the mtime changes
    assert (
        "0 items copied" in ok(cli, f"storage rsync -r --checksums-only {tree} {bucket}/all").stderr
    )


def test_errors_are_one_line_and_change_nothing(cli: Cli, bucket: str, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, {"one.txt": b"1"})
    missing = nimbus(cli, f"storage rsync -r {tmp_path / 'nope'} {bucket}")
    assert "does not exist" in failed_in_one_line(missing, "storage.rsync")
    no_bucket = nimbus(cli, f"storage rsync -r {tree} gs://{unique_id('gone')}")
    assert "not found" in failed_in_one_line(no_bucket, "storage.rsync")
    no_prefix = nimbus(cli, f"storage rsync -r {bucket}/nothing-here {tmp_path / 'out'}")
    assert "matched no objects" in failed_in_one_line(no_prefix, "storage.rsync")
    wildcard = nimbus(cli, f"storage rsync '{tree}/*' {bucket}")
    assert "wildcards" in failed_in_one_line(wildcard, "storage.rsync")
    assert objects(cli, bucket) == {} and not (tmp_path / "out").exists()


def test_continue_on_error_copies_the_rest_and_fails_at_the_end(
    cli: Cli, bucket: str, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    make_tree(tree, {"a.txt": b"a", "b.txt": b"b"})
    ok(cli, f"storage rsync {tree} {bucket}")
    out = tmp_path / "out"
    make_tree(out, {"a.txt/in-the-way": b"x", "stale.txt": b"old"})  # a.txt cannot be written
    failed = nimbus(cli, f"storage rsync -c --delete-unmatched-destination-objects {bucket} {out}")
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert f"Unable to write [{out / 'a.txt'}]" in failed.stderr.splitlines()[-1]
    assert (out / "b.txt").read_bytes() == b"b"
    assert not (out / "stale.txt").exists()  # removals go on after the failed copy


def test_between_two_directories(cli: Cli, tmp_path: Path) -> None:
    tree, copy = tmp_path / "tree", tmp_path / "copy"
    make_tree(tree, {"a.txt": b"a", "sub/b.txt": b"bb"})
    make_tree(copy, {"stale.txt": b"old"})
    ok(cli, f"storage rsync -r --delete-unmatched-destination-objects {tree} {copy}")
    assert files_under(copy) == files_under(tree)
    assert (copy / "a.txt").stat().st_mtime == (tree / "a.txt").stat().st_mtime
    assert "0 items copied" in ok(cli, f"storage rsync -r {tree} {copy}").stderr
