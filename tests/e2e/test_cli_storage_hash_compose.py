"""``nimbus storage hash`` as a user runs it, like gcloud's: hashes of files and of
objects (from their metadata) in base64 or hex, and one-line errors."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import google_crc32c
import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e


@pytest.fixture
def bucket(cli: Cli, project: str) -> str:
    url = f"gs://{unique_id('bkt')}"
    ok(cli, f"storage buckets create {url} --project {project}")
    return url


def digests(data: bytes) -> dict[str, bytes]:
    return {
        "crc32c_hash": google_crc32c.value(data).to_bytes(4, "big"),
        "md5_hash": hashlib.md5(data, usedforsecurity=False).digest(),
    }


def hashed(cli: Cli, args: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(ok(cli, f"storage hash {args}").stdout))


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
