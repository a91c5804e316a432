"""``nimbus storage du``, and ``storage ls``'s -j, -e, --readable-sizes, --soft-deleted
and --exhaustive, as a user runs them: the lines gcloud storage prints, byte for byte,
and one-line errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e

# What each test bucket holds: name -> size.
TREE = {
    "top.txt": 5,
    "dir/a.txt": 10,
    "dir/b.bak": 20,
    "dir/sub/c.txt": 2048,
}


def du_row(size: int | str, url: str) -> str:
    """A du line: the size in a 13-wide column, then the URL."""
    return f"{size:<13}{url}"


def lines(text: str) -> list[str]:
    return text.splitlines()


def fill(cli: Cli, bucket: str, tmp_path: Path, tree: dict[str, int]) -> None:
    for name, size in tree.items():
        local = tmp_path / unique_id("file")
        local.write_bytes(b"x" * size)
        ok(cli, f"storage cp {local} {bucket}/{name}")


def described(cli: Cli, url: str) -> dict[str, Any]:
    return dict(json.loads(ok(cli, f"storage objects describe {url} --raw --format json").stdout))


def long_row(size: str, item: dict[str, Any], url: str, extra: str = "") -> str:
    created = str(item["timeCreated"])[:19] + "Z"
    return f"{size:>10}  {created:>20}  {url}{extra}"


@pytest.fixture
def filled(cli: Cli, bucket: str, tmp_path: Path) -> str:
    fill(cli, bucket, tmp_path, TREE)
    return bucket


def test_du_lists_objects_then_each_prefix_total(cli: Cli, filled: str) -> None:
    b = filled
    assert lines(ok(cli, f"storage du {b}").stdout) == [
        f"5            {b}/top.txt",
        f"10           {b}/dir/a.txt",
        f"20           {b}/dir/b.bak",
        f"2048         {b}/dir/sub/c.txt",
        f"2048         {b}/dir/sub/",
        f"2078         {b}/dir/",
    ]
    # A prefix named without its slash still ends with the prefix's own total.
    assert lines(ok(cli, f"storage du {b}/dir/sub").stdout) == [
        du_row(2048, f"{b}/dir/sub/c.txt"),
        du_row(2048, f"{b}/dir/sub/"),
    ]
    assert ok(cli, f"storage du {b}/top.txt").stdout == du_row(5, f"{b}/top.txt") + "\n"


def test_du_summarize_total_and_readable_sizes(cli: Cli, filled: str, project: str) -> None:
    b = filled
    assert ok(cli, f"storage du -s {b}").stdout == du_row(2083, b) + "\n"
    assert ok(cli, f"storage du -s {b}/").stdout == du_row(2083, b) + "\n"
    assert lines(ok(cli, f"storage du -s -c {b}/dir {b}/top.txt").stdout) == [
        du_row(2078, f"{b}/dir"),
        du_row(5, f"{b}/top.txt"),
        du_row(2083, "total"),
    ]
    assert lines(ok(cli, f"storage du -c -r {b}/dir").stdout) == [
        du_row("10.00B", f"{b}/dir/a.txt"),
        du_row("20.00B", f"{b}/dir/b.bak"),
        du_row("2.00kiB", f"{b}/dir/sub/c.txt"),
        du_row("2.00kiB", f"{b}/dir/sub/"),
        du_row("2.03kiB", f"{b}/dir/"),
        du_row("2.03kiB", "total"),
    ]
    # No URL: every bucket of the project, each closed by its own total line.
    everything = ok(cli, f"storage du --project {project}").stdout
    assert lines(everything)[-2:] == [du_row(2078, f"{b}/dir/"), du_row(2083, b)]
    assert ok(cli, f"storage du -s -c --project {project}").stdout == (
        du_row(2083, b) + "\n" + du_row(2083, "total") + "\n"
    )


def test_du_exclusions_and_zero_terminator(cli: Cli, filled: str, tmp_path: Path) -> None:
    b = filled
    assert lines(ok(cli, f"storage du -e '*.bak' -e '*/sub/' {b}").stdout) == [
        du_row(5, f"{b}/top.txt"),
        du_row(10, f"{b}/dir/a.txt"),
        du_row(10, f"{b}/dir/"),
    ]
    patterns = tmp_path / "patterns.txt"
    patterns.write_text("*.bak\n*/top.txt\n")
    assert ok(cli, f"storage du -s -X {patterns} {b}").stdout == du_row(2058, b) + "\n"
    from_stdin = ok(cli, f"storage du -s -X - {b}", input="*.txt\n").stdout
    assert from_stdin == du_row(20, b) + "\n"
    zero = ok(cli, f"storage du -0 -c {b}/dir/sub").stdout
    assert (
        zero
        == "\0".join(
            [
                du_row(2048, f"{b}/dir/sub/c.txt"),
                du_row(2048, f"{b}/dir/sub/"),
                du_row(2048, "total"),
            ]
        )
        + "\0"
    )


def test_du_all_versions_name_each_generation(cli: Cli, bucket: str, tmp_path: Path) -> None:
    ok(cli, f"storage buckets update {bucket} --versioning")
    fill(cli, bucket, tmp_path, {"note.txt": 3})
    fill(cli, bucket, tmp_path, {"note.txt": 7})
    versions = lines(ok(cli, f"storage ls -a {bucket}/note.txt").stdout)
    assert lines(ok(cli, f"storage du -a {bucket}").stdout) == [
        du_row(3, versions[0]),
        du_row(7, versions[1]),
    ]
    assert ok(cli, f"storage du {bucket}").stdout == du_row(7, f"{bucket}/note.txt") + "\n"
    assert ok(cli, f"storage du -a -s {bucket}").stdout == du_row(10, bucket) + "\n"


def test_du_errors_are_one_line(cli: Cli, filled: str) -> None:
    b = filled
    nothing = nimbus(cli, f"storage du {b}/nope")
    assert failed_in_one_line(nothing, "storage.du").endswith(
        "One or more URLs matched no objects."
    )
    assert nothing.stdout == ""
    # What came before the URL that matched nothing is printed already.
    partly = nimbus(cli, f"storage du {b}/top.txt {b}/nope")
    assert partly.stdout == du_row(5, f"{b}/top.txt") + "\n"
    assert "matched no objects" in failed_in_one_line(partly, "storage.du")
    all_excluded = nimbus(cli, f"storage du -e '*.txt' {b}/top.txt")
    assert "matched no objects" in failed_in_one_line(all_excluded, "storage.du")
    local = failed_in_one_line(nimbus(cli, "storage du ./here"), "storage.du")
    assert local.endswith(
        "Du only works for valid cloud URLs. file://./here is an invalid cloud URL."
    )
    missing = nimbus(cli, f"storage du gs://{unique_id('gone')}/x")
    assert failed_in_one_line(missing, "storage.du").endswith("not found: 404.")


def test_ls_json_lists_objects_prefixes_and_buckets(cli: Cli, filled: str, project: str) -> None:
    b = filled
    listed = ok(cli, f"storage ls -j {b}/dir").stdout
    assert listed.startswith('[\n{\n  "url": ') and listed.endswith("\n}\n]\n")
    a_txt, b_bak, sub = json.loads(listed)
    assert sub == {"url": f"{b}/dir/sub/", "type": "prefix"}
    assert list(a_txt) == ["url", "type", "metadata"]
    assert a_txt["type"] == "cloud_object"
    meta = a_txt["metadata"]
    assert a_txt["url"] == f"{b}/dir/a.txt#{meta['generation']}"  # always the generation
    assert list(meta) == sorted(meta)  # field order, as gcloud's client writes them
    assert meta["size"] == "10" and meta["name"] == "dir/a.txt"
    assert meta["timeCreated"].endswith("+00:00")  # times as Python's isoformat
    assert meta["acl"] and meta["owner"]  # the full resource
    assert b_bak["url"].startswith(f"{b}/dir/b.bak#")

    # One JSON list per URL; a URL listing nothing prints an empty line.
    empty = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {empty} --project {project}")
    two = ok(cli, f"storage ls -j {empty} {b}/top.txt").stdout
    assert two.startswith("\n[\n{\n") and len(json.loads(two[1:])) == 1
    headed = json.loads(ok(cli, f"storage ls -j -r {empty}").stdout)
    assert headed == [{"url": f"{empty}/", "type": "unknown"}]

    buckets = json.loads(ok(cli, f"storage ls -j -b {b}").stdout)
    assert [(x["url"], x["type"]) for x in buckets] == [(f"{b}/", "cloud_bucket")]
    assert buckets[0]["metadata"]["name"] == b.removeprefix("gs://")
    assert "acl" not in buckets[0]["metadata"]  # an empty list is left out
    every = json.loads(ok(cli, f"storage ls -j --project {project}").stdout)
    assert sorted(x["url"] for x in every) == sorted([f"{b}/", f"{empty}/"])


def test_ls_long_rows_with_etags_and_readable_sizes(cli: Cli, filled: str) -> None:
    b = filled
    a_txt, c_txt = described(cli, f"{b}/dir/a.txt"), described(cli, f"{b}/dir/sub/c.txt")
    b_bak = described(cli, f"{b}/dir/b.bak")
    prefix = " " * 34 + f"{b}/dir/sub/"  # a prefix's row: its URL in the URL column
    assert lines(ok(cli, f"storage ls -l -e {b}/dir").stdout) == [
        long_row("10", a_txt, f"{b}/dir/a.txt", f"  etag={a_txt['etag']}"),
        long_row("20", b_bak, f"{b}/dir/b.bak", f"  etag={b_bak['etag']}"),
        prefix,
        "TOTAL: 2 objects, 30 bytes (30.00B)",
    ]
    assert lines(ok(cli, f"storage ls -l --readable-sizes {b}/dir/sub").stdout) == [
        long_row("2.00kiB", c_txt, f"{b}/dir/sub/c.txt"),
        "TOTAL: 1 objects, 2048 bytes (2.00kiB)",
    ]
    # Neither changes a short listing; --exhaustive changes nothing at all.
    short = ok(cli, f"storage ls {b}").stdout
    assert ok(cli, f"storage ls -e --readable-sizes --exhaustive {b}").stdout == short
    assert short == f"{b}/top.txt\n{b}/dir/\n"


def test_ls_soft_deleted_objects_and_buckets(cli: Cli, filled: str, project: str) -> None:
    b = filled
    gone = described(cli, f"{b}/top.txt")
    ok(cli, f"storage rm {b}/top.txt")
    url = f"{b}/top.txt#{gone['generation']}"
    assert ok(cli, f"storage ls --soft-deleted {b}").stdout == f"{url}\n"
    assert lines(ok(cli, f"storage ls --soft-deleted -l -e {b}/top.txt").stdout) == [
        long_row("5", gone, url, f"  metageneration=1  etag={gone['etag']}"),
        "TOTAL: 1 objects, 5 bytes (5.00B)",
    ]
    full = lines(ok(cli, f"storage ls --soft-deleted -L {b}").stdout)
    assert full[0] == f"{url}:"
    assert [row.split(":")[0].strip() for row in full[1:5]] == [
        "Creation Time",
        "Update Time",
        "Soft Delete Time",
        "Hard Delete Time",
    ]
    warned = ok(cli, f"storage ls --soft-deleted -a {b}")
    assert warned.stdout == f"{url}\n"
    assert warned.stderr == (
        "WARNING: The --all-versions flag has no effect when used with the --soft-deleted"
        " flag. When --soft-deleted is used, all soft-deleted versions of the resource are"
        " returned.\n"
    )
    live = nimbus(cli, f"storage ls --soft-deleted {b}/dir/a.txt")
    assert "matched no objects" in failed_in_one_line(live, "storage.ls")

    removed = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {removed} --project {project}")
    ok(cli, f"storage buckets delete {removed}")
    assert (
        ok(cli, f"storage ls -b --soft-deleted {removed} --project {project}").stdout
        == f"{removed}/\n"
    )
    listed = ok(cli, f"storage ls -b --soft-deleted --project {project}").stdout
    assert listed == f"{removed}/\n"
    not_deleted = nimbus(cli, f"storage ls -b --soft-deleted {b} --project {project}")
    assert failed_in_one_line(not_deleted, "storage.ls").endswith(
        "One or more URLs matched no objects."
    )


def test_ls_styles_exclude_one_another(cli: Cli, filled: str) -> None:
    both = nimbus(cli, f"storage ls -l -j {filled}")
    assert both.returncode == 2
    assert failed_in_one_line(both, "storage.ls").endswith(
        "argument --json: At most one of --full | --json | --long can be specified."
    )
    assert "argument --full:" in failed_in_one_line(
        nimbus(cli, f"storage ls -L -l {filled}"), "storage.ls"
    )


def json_section(title: str, value: object) -> list[str]:
    """An ``ls -L`` field shown as JSON: its title, then the JSON indented under it."""
    dumped = json.dumps(value, indent=2).splitlines()
    return [f"  {title}:", *(f"  {line}" for line in dumped)]


def test_ls_full_object_block_ends_with_its_acl(cli: Cli, filled: str) -> None:
    b = filled
    item = described(cli, f"{b}/top.txt")
    acl = [{"entity": e["entity"], "role": e["role"]} for e in item["acl"]]
    assert [e["role"] for e in acl] == ["OWNER", "OWNER", "READER", "OWNER"]
    block = lines(ok(cli, f"storage ls -L {b}/top.txt").stdout)
    assert block[0] == f"{b}/top.txt:"
    tail = [
        f"  Generation:                  {item['generation']}",
        "  Metageneration:              1",
        *json_section("ACL", acl),
        "TOTAL: 1 objects, 5 bytes (5.00B)",
    ]
    assert block[-len(tail) :] == tail
    # objects describe reads the same full projection, and names the generation.
    shown = json.loads(ok(cli, f"storage objects describe {b}/top.txt --format json").stdout)
    assert shown["acl"] == acl
    assert shown["storage_url"] == f"{b}/top.txt#{item['generation']}"


def test_ls_full_bucket_block_as_gcloud_prints_it(cli: Cli, bucket: str) -> None:
    ok(cli, f"storage buckets update {bucket} --update-labels env=test")
    raw = json.loads(ok(cli, f"storage buckets describe {bucket} --raw --format json").stdout)
    created, updated = (str(raw[key])[:19] + "Z" for key in ("timeCreated", "updated"))
    # A time inside a setting is Python's ISO form of it, as gcloud prints it there.
    effective = dt.datetime.fromisoformat(raw["softDeletePolicy"]["effectiveTime"])
    assert lines(ok(cli, f"storage ls -L -b {bucket}").stdout) == [
        f"{bucket}/:",
        "  Storage Class:               STANDARD",
        "  Location Type:               multi-region",
        "  Location Constraint:         US",
        "  Versioning Enabled:          None",
        "  Logging Configuration:       None",
        "  Website Configuration:       None",
        "  CORS Configuration:          []",
        "  Lifecycle Configuration:     None",
        "  Requester Pays Enabled:      None",
        *json_section("Labels", {"env": "test"}),
        "  Default KMS Key:             None",
        f"  Time Created:                {created}",
        f"  Time Updated:                {updated}",
        f"  Generation:                  {raw['generation']}",
        "  Metageneration:              2",
        "  Bucket Policy Only Enabled:  False",
        "  Public Access Prevention:    inherited",
        "  RPO:                         DEFAULT",
        *json_section(
            "Soft Delete Policy",
            {"effectiveTime": effective.isoformat(), "retentionDurationSeconds": "604800"},
        ),
        "  ACL:                         []",
    ]


def test_bucket_wildcards_expand_in_ls_and_du(cli: Cli, project: str, tmp_path: Path) -> None:
    stem = unique_id("wild")
    first, second, other = f"gs://{stem}-a", f"gs://{stem}-b", f"gs://{stem}x"
    for url in (first, second, other):
        ok(cli, f"storage buckets create {url} --project {project}")
    fill(cli, first, tmp_path, {"one.txt": 3, "dir/two.txt": 4})
    fill(cli, second, tmp_path, {"three.txt": 5})
    at = f"--project {project}"

    # Each matching bucket is listed under its heading, as several containers are.
    assert lines(ok(cli, f"storage ls gs://{stem}-* {at}").stdout) == [
        f"{first}/:",
        f"{first}/one.txt",
        f"{first}/dir/",
        "",
        f"{second}/:",
        f"{second}/three.txt",
    ]
    # One matching bucket is listed as if named; an object pattern spans the buckets.
    assert lines(ok(cli, f"storage ls gs://{stem}-[a] {at}").stdout) == [
        f"{first}/one.txt",
        f"{first}/dir/",
    ]
    assert lines(ok(cli, f"storage ls gs://{stem}-[b] {at}").stdout) == [f"{second}/three.txt"]
    assert lines(ok(cli, f"storage ls gs://{stem}-*/*.txt {at}").stdout) == [
        f"{first}/one.txt",
        f"{second}/three.txt",
    ]
    assert lines(ok(cli, f"storage ls -b gs://{stem}* {at}").stdout) == [
        f"{first}/",
        f"{second}/",
        f"{other}/",
    ]
    # du: the buckets' contents as a named bucket's, without bucket totals.
    assert lines(ok(cli, f"storage du -c gs://{stem}-* {at}").stdout) == [
        du_row(3, f"{first}/one.txt"),
        du_row(4, f"{first}/dir/two.txt"),
        du_row(4, f"{first}/dir/"),
        du_row(5, f"{second}/three.txt"),
        du_row(12, "total"),
    ]
    assert ok(cli, f"storage du -s gs://{stem}-* {at}").stdout == du_row(12, f"gs://{stem}-*\n")

    for command in ("ls", "du", "ls -b"):
        nothing = nimbus(cli, f"storage {command} gs://{stem}-none-* {at}")
        name = "storage." + command.split()[0]
        assert failed_in_one_line(nothing, name).endswith("One or more URLs matched no objects.")
    # Commands that name one bucket still refuse a pattern.
    refused = nimbus(cli, f"storage buckets describe gs://{stem}-*")
    assert "Invalid bucket name in URL" in failed_in_one_line(refused, "storage.buckets.describe")
