"""``nimbus storage hash`` and ``nimbus storage objects compose`` as a user runs them,
like gcloud's: hashes of files and of objects (from their metadata) in base64 or hex,
composites made of parts and wildcards, and one-line errors."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import google_crc32c
import pytest
import yaml

from tests.conftest import CliResult, unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e


def digests(data: bytes) -> dict[str, bytes]:
    return {
        "crc32c_hash": google_crc32c.value(data).to_bytes(4, "big"),
        "md5_hash": hashlib.md5(data, usedforsecurity=False).digest(),
    }


def hashed(cli: Cli, args: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(ok(cli, f"storage hash {args}").stdout))


def described(cli: Cli, url: str) -> dict[str, Any]:
    return dict(json.loads(ok(cli, f"storage objects describe {url} --raw --format json").stdout))


def refused_after_composing(result: CliResult) -> str:
    """The one error line that follows compose's progress line."""
    progress, _, rest = result.stderr.partition("\n")
    assert progress.startswith("Composing "), result.stderr
    return failed_in_one_line(replace(result, stderr=rest), "storage.objects.compose")


def upload(cli: Cli, tmp_path: Path, url: str, data: bytes, *flags: str) -> None:
    local = tmp_path / unique_id("part")
    local.write_bytes(data)
    ok(cli, " ".join(["storage cp", str(local), url, *flags]))


def test_hash_of_a_file_in_base64_or_hex_with_either_skipped(cli: Cli, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several reads' worth
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    want = digests(data)
    b64 = {name: base64.b64encode(raw).decode() for name, raw in want.items()}

    plain = ok(cli, f"storage hash {path}")
    assert plain.stdout == (
        f"---\ncrc32c_hash: {b64['crc32c_hash']}\ndigest_format: base64\n"
        f"md5_hash: {b64['md5_hash']}\nurl: {path}\n"
    )
    assert hashed(cli, f"{path} --hex") == [
        {
            "crc32c_hash": want["crc32c_hash"].hex(),
            "digest_format": "hex",
            "md5_hash": want["md5_hash"].hex(),
            "url": str(path),
        }
    ]
    assert hashed(cli, f"{path} --skip-crc32c") == [
        {"digest_format": "base64", "md5_hash": b64["md5_hash"], "url": str(path)}
    ]
    assert hashed(cli, f"{tmp_path}/*.bin --skip-md5 --hex") == [
        {"crc32c_hash": want["crc32c_hash"].hex(), "digest_format": "hex", "url": str(path)}
    ]


def test_hash_of_an_object_is_its_file_s(cli: Cli, bucket: str, tmp_path: Path) -> None:
    data = os.urandom(70_000)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    ok(cli, f"storage cp {path} {bucket}/photos/photo.jpg")
    local = hashed(cli, str(path))[0]
    for url in (f"{bucket}/photos/photo.jpg", f"{bucket}/photos/*.jpg"):
        (remote,) = hashed(cli, url)
        assert remote == {**local, "url": f"{bucket}/photos/photo.jpg"}
    (in_hex,) = hashed(cli, f"{bucket}/photos/photo.jpg --hex --skip-crc32c")
    assert in_hex["md5_hash"] == digests(data)["md5_hash"].hex()


def test_hash_refusals_in_one_line(cli: Cli, bucket: str, tmp_path: Path) -> None:
    both = nimbus(cli, f"storage hash {tmp_path} --skip-crc32c --skip-md5")
    assert "At most one of --skip-crc32c | --skip-md5" in failed_in_one_line(both, "storage.hash")
    missing = nimbus(cli, f"storage hash {tmp_path}/nope.txt")
    assert f"{tmp_path}/nope.txt" in failed_in_one_line(missing, "storage.hash")
    absent = nimbus(cli, f"storage hash {bucket}/nope.txt")
    assert "matched no objects" in failed_in_one_line(absent, "storage.hash")


def test_compose_parts_into_one_object(cli: Cli, bucket: str, tmp_path: Path) -> None:
    parts = [b"first part\n", os.urandom(5000), b"last part\n"]
    for index, data in enumerate(parts):
        upload(cli, tmp_path, f"{bucket}/part-{index}", data, "--content-type", "text/plain")
    sources = " ".join(f"{bucket}/part-{index}" for index in range(3))
    made = ok(cli, f"storage objects compose {sources} {bucket}/whole")
    assert made.stderr.strip() == f"Composing {bucket}/whole from 3 component object(s)."
    ok(cli, f"storage cp {bucket}/whole {tmp_path / 'whole'}")
    assert (tmp_path / "whole").read_bytes() == b"".join(parts)

    whole = described(cli, f"{bucket}/whole")
    assert whole["componentCount"] == 3 and whole["contentType"] == "text/plain"
    assert "md5Hash" not in whole
    crc32c = digests(b"".join(parts))["crc32c_hash"]
    assert whole["crc32c"] == base64.b64encode(crc32c).decode()
    (shown,) = hashed(cli, f"{bucket}/whole")  # a composite has no MD5 to show
    assert shown == {
        "crc32c_hash": whole["crc32c"],
        "digest_format": "base64",
        "url": f"{bucket}/whole",
    }


def test_compose_from_a_wildcard_in_name_order(cli: Cli, bucket: str, tmp_path: Path) -> None:
    for name in ("day-2", "day-1", "day-3"):
        upload(cli, tmp_path, f"{bucket}/logs/{name}", f"{name}\n".encode())
    made = ok(cli, f"storage objects compose {bucket}/logs/day-* {bucket}/logs/all")
    assert "from 3 component object(s)" in made.stderr
    assert ok(cli, f"storage cat {bucket}/logs/all").stdout == "day-1\nday-2\nday-3\n"


def test_compose_refusals_in_one_line(cli: Cli, bucket: str, project: str, tmp_path: Path) -> None:
    other = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {other} --project {project}")
    upload(cli, tmp_path, f"{bucket}/a", b"alpha")
    upload(cli, tmp_path, f"{other}/b", b"bravo")
    upload(cli, tmp_path, f"{bucket}/kept", b"kept")

    across = nimbus(cli, f"storage objects compose {bucket}/a {other}/b {bucket}/ab")
    assert "Inter-bucket" in failed_in_one_line(across, "storage.objects.compose")

    exists = nimbus(
        cli, f"storage objects compose {bucket}/a {bucket}/a {bucket}/kept --if-generation-match=0"
    )
    assert "FAILED_PRECONDITION" in refused_after_composing(exists)
    assert ok(cli, f"storage cat {bucket}/kept").stdout == "kept"

    many = nimbus(cli, "storage objects compose " + f"{bucket}/a " * 33 + f"{bucket}/many")
    assert "32" in refused_after_composing(many)
    assert nimbus(cli, f"storage objects describe {bucket}/many").returncode != 0
