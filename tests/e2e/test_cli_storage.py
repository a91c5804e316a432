"""``nimbus storage`` as a user runs it: buckets, copies both ways, listings, removal,
metadata, public access through IAM, and signed URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import google.auth.transport.requests
import httpx
import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok
from tests.servers import NimbusServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def bucket(
    server: NimbusServer, owner: google.auth.transport.requests.AuthorizedSession, project: str
) -> str:
    """A fresh bucket (made through the API, not the CLI), as ``gs://NAME``."""
    name = unique_id("bkt")
    answer = owner.post(
        f"{server.url}/storage/v1/b", params={"project": project}, json={"name": name}
    )
    assert answer.status_code == 200, answer.text
    return f"gs://{name}"


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_bucket_create_list_describe_update_delete(cli: Cli, project: str, tmp_path: Path) -> None:
    url = f"gs://{unique_id('bkt')}"
    created = ok(
        cli,
        f"storage buckets create {url} --project {project} --location EU "
        "--default-storage-class nearline --uniform-bucket-level-access",
    )
    assert created.stderr.strip() == f"Creating {url}/..."
    listed = ok(cli, f"storage buckets list --project {project} --format=value(storage_url)")
    assert f"{url}/" in listed.stdout.splitlines()

    shown = yaml.safe_load(ok(cli, f"storage buckets describe {url}").stdout)
    assert shown["location"] == "EU" and shown["default_storage_class"] == "NEARLINE"
    assert shown["uniform_bucket_level_access"] is True and "versioning_enabled" not in shown

    ok(cli, f"storage buckets update {url} --versioning --update-labels env=dev,team=a")
    lifecycle = tmp_path / "lifecycle.json"
    rule = {"action": {"type": "Delete"}, "condition": {"age": 30}}
    lifecycle.write_text(json.dumps({"lifecycle": {"rule": [rule]}}))
    updated = ok(
        cli,
        f"storage buckets update {url} --lifecycle-file {lifecycle} --remove-labels team "
        "--format json",
    )
    after = json.loads(updated.stdout)
    assert after["versioning_enabled"] is True
    assert after["labels"] == {"env": "dev"}
    assert after["lifecycle_config"] == {"rule": [rule]}

    ok(cli, f"storage buckets update {url} --no-versioning --clear-lifecycle")
    raw = json.loads(ok(cli, f"storage buckets describe {url} --raw --format json").stdout)
    assert "lifecycle" not in raw and not raw.get("versioning", {}).get("enabled")

    assert ok(cli, f"storage buckets delete {url}").stderr.strip() == f"Removing {url}/..."
    missing = nimbus(cli, f"storage buckets describe {url}")
    assert "NOT_FOUND" in failed_in_one_line(missing, "storage.buckets.describe")


def test_copy_small_and_large_files_up_and_back(cli: Cli, bucket: str, tmp_path: Path) -> None:
    up = tmp_path / "up"
    up.mkdir()
    (up / "small.txt").write_text("small and simple\n")
    (up / "large.bin").write_bytes(os.urandom(20 * 1024 * 1024 + 12345))  # resumable, 3 chunks
    copied = ok(cli, f"storage cp {up / 'small.txt'} {up / 'large.bin'} {bucket}/in/")
    assert f"Copying file://{up / 'large.bin'} to {bucket}/in/large.bin" in copied.stderr

    described = ok(cli, f"storage objects describe {bucket}/in/large.bin --format json")
    assert json.loads(described.stdout)["size"] == 20 * 1024 * 1024 + 12345

    down = tmp_path / "down"
    ok(cli, f"storage cp '{bucket}/in/*' {down}/")
    assert files_under(down) == files_under(up)
    assert not [p for p in down.iterdir() if p.name.startswith(".")]  # no temporary left


def test_recursive_copy_of_a_directory_tree(cli: Cli, bucket: str, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "sub" / "empty").mkdir()
    contents = {"one.txt": b"1", "sub/two.txt": b"22", "sub/deeper/three.bin": os.urandom(3000)}
    for name, data in contents.items():
        (tree / name).write_bytes(data)
    ok(cli, f"storage cp -r {tree} {bucket}")

    listed = ok(cli, f"storage ls -r {bucket}").stdout.splitlines()
    assert listed == [
        f"{bucket}/:",
        "",
        f"{bucket}/tree/:",
        f"{bucket}/tree/one.txt",
        "",
        f"{bucket}/tree/sub/:",
        f"{bucket}/tree/sub/two.txt",
        "",
        f"{bucket}/tree/sub/deeper/:",
        f"{bucket}/tree/sub/deeper/three.bin",
    ]
    assert ok(cli, f"storage ls {bucket}").stdout == f"{bucket}/tree/\n"

    back = tmp_path / "back"
    ok(cli, f"storage cp -r {bucket}/tree {back}")  # a new name: the contents go under it
    assert files_under(back) == contents


def test_stdin_stdout_and_cat(cli: Cli, bucket: str) -> None:
    text = "line one\nline two\n"
    ok(cli, f"storage cp - {bucket}/piped.txt", input=text)
    assert ok(cli, f"storage cp {bucket}/piped.txt -").stdout == text
    assert ok(cli, f"storage cat {bucket}/piped.txt").stdout == text
    assert ok(cli, f"storage cat -r 5-7 {bucket}/piped.txt").stdout == "one"


def test_ls_long_versions_mv_and_rm_with_wildcards(cli: Cli, bucket: str, tmp_path: Path) -> None:
    ok(cli, f"storage buckets update {bucket} --versioning")
    note = tmp_path / "note.txt"
    note.write_text("first")
    ok(cli, f"storage cp {note} {bucket}/note.txt")
    note.write_text("second!")
    logs = []
    for index in range(3):
        log = tmp_path / f"run{index}.log"
        log.write_text("log" * index)
        logs.append(str(log))
    ok(cli, f"storage cp {note} {' '.join(logs)} {bucket}")

    long = ok(cli, f"storage ls -l {bucket}").stdout.splitlines()
    rows = [line.split() for line in long[:-1]]
    names = ("note.txt", "run0.log", "run1.log", "run2.log")
    assert [row[2] for row in rows] == [f"{bucket}/{name}" for name in names]
    assert rows[0][0] == "7" and rows[0][1].endswith("Z")
    assert long[-1] == "TOTAL: 4 objects, 16 bytes (16.00B)"

    versions = ok(cli, f"storage ls -a {bucket}/note.txt").stdout.split()
    assert len(versions) == 2 and all(v.startswith(f"{bucket}/note.txt#") for v in versions)

    moved = ok(cli, f"storage mv {bucket}/note.txt {bucket}/kept/note.txt")
    assert f"Removing {bucket}/note.txt..." in moved.stderr
    removed = ok(cli, f"storage rm '{bucket}/*.log'")
    assert sorted(removed.stderr.splitlines()) == [
        f"Removing {bucket}/run{index}.log..." for index in range(3)
    ]
    assert ok(cli, f"storage ls {bucket}").stdout == f"{bucket}/kept/\n"
    assert ok(cli, f"storage cat {bucket}/kept/note.txt").stdout == "second!"

    gone = ok(cli, f"storage rm -r {bucket}")  # every version of everything, then the bucket
    assert gone.stderr.splitlines()[-1] == f"Removing {bucket}/..."
    assert "not found" in failed_in_one_line(nimbus(cli, f"storage ls {bucket}"), "storage.ls")


def test_objects_describe_and_update(cli: Cli, bucket: str, tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<h1>hi</h1>")
    ok(cli, f"storage cp {page} {bucket}/site/index.html")
    shown = yaml.safe_load(ok(cli, f"storage objects describe {bucket}/site/index.html").stdout)
    assert shown["content_type"] == "text/html" and shown["size"] == 11
    # As gcloud: the URL names the generation read, and the fields end with the ACL.
    generation = shown["generation"]
    assert shown["storage_url"] == f"{bucket}/site/index.html#{generation}"
    assert shown["crc32c_hash"]
    owners = [e for e in shown["acl"] if str(e["entity"]).startswith("project-owners-")]
    assert owners == [{"entity": owners[0]["entity"], "role": "OWNER"}]

    ok(
        cli,
        f"storage objects update {bucket}/site/index.html --content-type text/plain "
        "--cache-control no-cache --update-custom-metadata owner=ci,stage=test "
        "--custom-time 2024-01-02T03:04:05Z",
    )
    updated = ok(
        cli,
        f"storage objects update {bucket}/site/index.html --remove-custom-metadata stage "
        "--format json",
    )
    after = json.loads(updated.stdout)
    assert after["content_type"] == "text/plain" and after["cache_control"] == "no-cache"
    mtime = str(int(page.stat().st_mtime))  # recorded by cp, as gcloud records it
    assert after["custom_fields"] == {"goog-reserved-file-mtime": mtime, "owner": "ci"}
    assert after["custom_time"] == "2024-01-02T03:04:05+0000"
    listed = ok(cli, f"storage objects list {bucket} --format 'value(name,size)'")
    assert listed.stdout == "site/index.html\t11\n"


def test_public_read_through_an_iam_binding(
    cli: Cli, bucket: str, server: NimbusServer, tmp_path: Path
) -> None:
    source = tmp_path / "public.txt"
    source.write_text("for everyone")
    ok(cli, f"storage cp {source} {bucket}")
    media = f"{server.url}/download/storage/v1/b/{bucket[5:]}/o/public.txt?alt=media"
    assert httpx.get(media).status_code in (401, 403)

    granted = ok(
        cli,
        f"storage buckets add-iam-policy-binding {bucket} --member allUsers "
        "--role roles/storage.objectViewer --format json",
    )
    bindings = json.loads(granted.stdout)["bindings"]
    assert {"role": "roles/storage.objectViewer", "members": ["allUsers"]} in bindings
    answer = httpx.get(media)
    assert answer.status_code == 200 and answer.text == "for everyone"

    ok(
        cli,
        f"storage buckets remove-iam-policy-binding {bucket} --member allUsers "
        "--role roles/storage.objectViewer --format none",
    )
    assert httpx.get(media).status_code in (401, 403)


def test_signed_urls_work_without_credentials(
    cli: Cli, bucket: str, project: str, tmp_path: Path
) -> None:
    pytest.importorskip("nimbus.api.storage.xml", reason="no XML API to verify signed URLs")
    account = f"{unique_id('signer')}@{project}.iam.gserviceaccount.com"
    ok(cli, f"iam service-accounts create {account.split('@')[0]} --project {project}")
    key = tmp_path / "key.json"
    ok(cli, f"iam service-accounts keys create {key} --iam-account {account}")
    ok(
        cli,
        f"storage buckets add-iam-policy-binding {bucket} --member serviceAccount:{account} "
        "--role roles/storage.objectAdmin --format none",
    )
    source = tmp_path / "private file.txt"
    source.write_text("only with a signature")
    ok(cli, f"storage cp '{source}' {bucket}")

    signed = ok(
        cli, f"storage sign-url '{bucket}/private file.txt' --private-key-file {key} -d 10m"
    )
    record = yaml.safe_load(signed.stdout)
    assert record["http_verb"] == "GET" and record["resource"] == f"{bucket}/private file.txt"
    answer = httpx.get(record["signed_url"])
    assert answer.status_code == 200, answer.text
    assert answer.text == "only with a signature"
    url = record["signed_url"]
    tampered = url[:-1] + ("1" if url.endswith("0") else "0")
    assert httpx.get(tampered).status_code == 403

    put = ok(
        cli,
        f"storage sign-url {bucket}/uploaded.txt --private-key-file {key} --http-verb PUT "
        "--format 'value(signed_url)'",
    )
    assert httpx.put(put.stdout.strip(), content=b"sent with a URL").status_code == 200
    assert ok(cli, f"storage cat {bucket}/uploaded.txt").stdout == "sent with a URL"


def test_errors_are_one_line(cli: Cli, bucket: str, tmp_path: Path) -> None:
    missing_file = nimbus(cli, f"storage cp {tmp_path / 'nope.txt'} {bucket}")
    assert "matched no objects or files" in failed_in_one_line(missing_file, "storage.cp")
    missing_object = nimbus(cli, f"storage cat {bucket}/nope.txt")
    assert "matched no objects" in failed_in_one_line(missing_object, "storage.cat")
    bad_url = nimbus(cli, "storage ls gs://Not_A_Bucket")
    assert "Invalid bucket name" in failed_in_one_line(bad_url, "storage.ls")
    not_found = nimbus(cli, f"storage objects describe {bucket}/nope.txt")
    assert "404" in failed_in_one_line(not_found, "storage.objects.describe")
    not_empty_ok = nimbus(cli, f"storage rm {bucket}")
    assert "rm -r" in failed_in_one_line(not_empty_ok, "storage.rm")


def test_retention_flags_set_lock_and_guard_a_bucket(
    cli: Cli, project: str, tmp_path: Path
) -> None:
    url = f"gs://{unique_id('bkt')}"
    ok(
        cli,
        f"storage buckets create {url} --project {project} --retention-period 1d "
        "--enable-per-object-retention",
    )
    raw = json.loads(ok(cli, f"storage buckets describe {url} --raw --format json").stdout)
    assert raw["retentionPolicy"]["retentionPeriod"] == "86400"
    assert raw["objectRetention"] == {"mode": "Enabled"}

    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"keep me")
    ok(cli, f"storage cp {kept} {url}/kept.txt")
    refused = nimbus(cli, f"storage rm {url}/kept.txt")
    assert refused.returncode != 0
    assert "subject to bucket's retention policy" in refused.stderr.strip().splitlines()[-1]

    ok(cli, f"storage buckets update {url} --retention-period P2D")
    ok(cli, f"--quiet storage buckets update {url} --lock-retention-period")
    raw = json.loads(ok(cli, f"storage buckets describe {url} --raw --format json").stdout)
    assert raw["retentionPolicy"]["retentionPeriod"] == "172800"
    assert raw["retentionPolicy"]["isLocked"] is True

    locked = nimbus(cli, f"storage buckets update {url} --clear-retention-period")
    assert locked.returncode != 0
    assert "PERMISSION_DENIED" in locked.stderr.strip().splitlines()[-1]
    bad = nimbus(cli, f"storage buckets update {url} --retention-period soon")
    assert "Invalid duration [soon]" in failed_in_one_line(bad, "storage.buckets.update")
    both = nimbus(
        cli, f"storage buckets update {url} --retention-period 3d --clear-retention-period"
    )
    assert "At most one of" in failed_in_one_line(both, "storage.buckets.update")
