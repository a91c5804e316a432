"""Customer-supplied encryption keys through ``nimbus storage``, as a user types them:
``--encryption-key`` on uploads and copies, ``--decryption-keys`` to read, key rotation
with ``objects update``, and bad keys refused before anything is sent."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import google_crc32c
import pytest
import yaml

from tests.conftest import unique_id
from tests.e2e.expect import Cli, failed_in_one_line, nimbus, ok

pytestmark = pytest.mark.e2e

RESUMABLE = 8 * 1024 * 1024 + 300 * 1024  # past the CLI's one-request limit: two chunks


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def sha(key: str) -> str:
    return base64.b64encode(hashlib.sha256(base64.b64decode(key)).digest()).decode()


def missing(key: str, url: str) -> str:
    """gcloud's line when no key given matches the object's."""
    hashed = sha(key)
    return (
        f"Missing decryption key with SHA256 hash {hashed}. No decryption key matches object {url}."
    )


def raw(cli: Cli, url: str) -> dict[str, object]:
    return dict(json.loads(ok(cli, f"storage objects describe {url} --raw --format json").stdout))


def under(key: str) -> dict[str, str]:
    """An object's ``customerEncryption`` under ``key``."""
    return {"encryptionAlgorithm": "AES256", "keySha256": sha(key)}


def test_an_object_under_a_key_reads_only_with_it(cli: Cli, bucket: str, tmp_path: Path) -> None:
    key, other = new_key(), new_key()
    source = tmp_path / "secret.txt"
    source.write_text("only with the key\n")
    url = f"{bucket}/secret.txt"
    ok(cli, f"storage cp {source} {url} --encryption-key {key}")

    assert ok(cli, f"storage cat {url} --decryption-keys {other},{key}").stdout == (
        "only with the key\n"
    )
    assert ok(cli, f"storage cat -r 5-8 {url} --encryption-key {key}").stdout == "with"
    down = tmp_path / "down.txt"
    ok(cli, f"storage cp {url} {down} --decryption-keys {key}")
    assert down.read_text() == "only with the key\n"

    keyless = nimbus(cli, f"storage cat {url}")
    assert failed_in_one_line(keyless, "storage.cat").endswith(missing(key, url))
    wrong = nimbus(cli, f"storage cp {url} {tmp_path / 'no.txt'} --decryption-keys {other}")
    assert failed_in_one_line(wrong, "storage.cp").endswith(missing(key, url))
    assert not (tmp_path / "no.txt").exists()


def test_describe_shows_the_key_and_with_it_the_hashes(
    cli: Cli, bucket: str, tmp_path: Path
) -> None:
    key = new_key()
    source = tmp_path / "hashed.txt"
    source.write_text("hash me")
    url = f"{bucket}/hashed.txt"
    ok(cli, f"storage cp {source} {url} --encryption-key {key}")

    plain = yaml.safe_load(ok(cli, f"storage objects describe {url}").stdout)
    assert plain["encryption_algorithm"] == "AES256"
    assert plain["decryption_key_hash_sha256"] == sha(key)
    assert "crc32c_hash" not in plain and "md5_hash" not in plain

    fetched = yaml.safe_load(
        ok(
            cli,
            f"storage objects describe {url} --fetch-encrypted-object-hashes "
            f"--decryption-keys {key}",
        ).stdout
    )
    assert fetched["md5_hash"] == base64.b64encode(hashlib.md5(b"hash me").digest()).decode()
    assert fetched["crc32c_hash"]
    no_key = nimbus(cli, f"storage objects describe {url} --fetch-encrypted-object-hashes")
    assert failed_in_one_line(no_key, "storage.objects.describe").endswith(missing(key, url))

    rows = full_rows(ok(cli, f"storage ls -L {url}").stdout)
    assert rows["Encryption Algorithm"] == "AES256"
    assert rows["Encryption Key SHA256"] == sha(key)


def full_rows(listed: str) -> dict[str, str]:
    """The fields of the one object an ``ls -L`` shows, by title (a field shown as JSON,
    such as the file mtime cp records in Additional Properties, by its first line)."""
    lines = listed.splitlines()[1:-1]
    rows = (line.strip().split(":", 1) for line in lines if ":" in line)
    return {title: value.strip() for title, value in rows}


def test_listings_fetch_encrypted_hashes_with_a_matching_key(
    cli: Cli, bucket: str, tmp_path: Path
) -> None:
    key, other = new_key(), new_key()
    data = b"listed under a key"
    source = tmp_path / "listed.txt"
    source.write_bytes(data)
    url = f"{bucket}/listed.txt"
    ok(cli, f"storage cp {source} {url} --encryption-key {key}")
    hashes = {
        "Hash (CRC32C)": base64.b64encode(google_crc32c.Checksum(data).digest()).decode(),
        "Hash (MD5)": base64.b64encode(hashlib.md5(data).digest()).decode(),
    }
    fetch = "--fetch-encrypted-object-hashes --decryption-keys"

    # Hashes a listing could not read show as gcloud shows them, never left out.
    hidden = dict.fromkeys(hashes, "Underlying data encrypted")
    plain = full_rows(ok(cli, f"storage ls -L {url}").stdout)
    assert plain["Encryption Key SHA256"] == sha(key)
    assert {title: plain[title] for title in hashes} == hidden
    fetched = full_rows(ok(cli, f"storage ls -L {url} {fetch}={other},{key}").stdout)
    assert {title: fetched[title] for title in hashes} == hashes
    assert fetched["ACL"] == ""  # the ACL the listing read stays after the read with the key
    unmatched = full_rows(ok(cli, f"storage ls -L {url} {fetch}={other}").stdout)
    assert {title: unmatched[title] for title in hashes} == hidden  # as it came, no error

    def listed(keys: str) -> dict[str, object]:
        command = f"storage objects list {url} {fetch}={keys} --format json"
        shown = json.loads(ok(cli, command).stdout)
        assert len(shown) == 1
        return dict(shown[0])

    found = listed(key)
    assert (found["crc32c_hash"], found["md5_hash"]) == tuple(hashes.values())
    assert "crc32c_hash" not in listed(other) and "md5_hash" not in listed(other)


@pytest.mark.parametrize(
    ("command", "name"), [("ls -L", "storage.ls"), ("objects list", "storage.objects.list")]
)
def test_listings_refuse_an_invalid_key_before_anything_is_sent(
    command: str, name: str, cli: Cli
) -> None:
    value = base64.b64encode(b"sixteen byte key").decode()
    missing_bucket = f"gs://{unique_id('bkt')}"  # a request would end in its 404 instead
    refused = nimbus(
        cli,
        f"storage {command} {missing_bucket} --fetch-encrypted-object-hashes "
        f"--decryption-keys={value}",
    )
    line = failed_in_one_line(refused, name)
    assert "--decryption-keys" in line and value not in line


def test_a_resumable_upload_carries_the_key(cli: Cli, bucket: str, tmp_path: Path) -> None:
    key = new_key()
    data = os.urandom(RESUMABLE)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    url = f"{bucket}/big.bin"
    ok(cli, f"storage cp {source} {url} --encryption-key {key}")

    assert raw(cli, url)["customerEncryption"] == under(key)
    down = tmp_path / "back.bin"
    ok(cli, f"storage cp {url} {down} --decryption-keys {key}")  # CRC32C checked on the way
    assert down.read_bytes() == data


def test_objects_update_adds_rotates_and_clears_a_key(
    cli: Cli, bucket: str, tmp_path: Path
) -> None:
    first, second = new_key(), new_key()
    source = tmp_path / "rotated.txt"
    source.write_text("rotate me")
    url = f"{bucket}/rotated.txt"
    ok(cli, f"storage cp {source} {url}")

    ok(cli, f"storage objects update {url} --encryption-key {first}")
    assert raw(cli, url)["customerEncryption"] == under(first)
    stuck = nimbus(cli, f"storage objects update {url} --encryption-key {second}")
    assert failed_in_one_line(stuck, "storage.objects.update").endswith(missing(first, url))

    ok(cli, f"storage objects update {url} --encryption-key {second} --decryption-keys {first}")
    assert raw(cli, url)["customerEncryption"] == under(second)
    assert ok(cli, f"storage cat {url} --decryption-keys {second}").stdout == "rotate me"
    stale = nimbus(cli, f"storage cat {url} --decryption-keys {first}")
    assert failed_in_one_line(stale, "storage.cat").endswith(missing(second, url))

    ok(cli, f"storage objects update {url} --storage-class nearline --decryption-keys {second}")
    moved = raw(cli, url)
    assert moved["storageClass"] == "NEARLINE"
    assert moved["customerEncryption"] == under(second)

    ok(cli, f"storage objects update {url} --clear-encryption-key --decryption-keys {second}")
    assert "customerEncryption" not in raw(cli, url)
    assert ok(cli, f"storage cat {url}").stdout == "rotate me"


def test_copies_and_moves_between_objects_with_keys(cli: Cli, bucket: str, tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    source = tmp_path / "src.txt"
    source.write_text("copied across keys")
    src = f"{bucket}/src.txt"
    ok(cli, f"storage cp {source} {src} --encryption-key {old}")

    ok(cli, f"storage cp {src} {bucket}/rekeyed.txt --encryption-key {new} --decryption-keys {old}")
    assert raw(cli, f"{bucket}/rekeyed.txt")["customerEncryption"] == under(new)
    ok(cli, f"storage cp {src} {bucket}/same.txt --encryption-key {old}")  # it decrypts too
    assert ok(cli, f"storage cat {bucket}/same.txt --decryption-keys {old}").stdout == (
        "copied across keys"
    )
    ok(cli, f"storage cp {src} {bucket}/plain.txt --decryption-keys {old}")
    assert "customerEncryption" not in raw(cli, f"{bucket}/plain.txt")

    refused = nimbus(cli, f"storage cp {src} {bucket}/never.txt")
    assert failed_in_one_line(refused, "storage.cp").endswith(missing(old, src))
    assert "404" in failed_in_one_line(
        nimbus(cli, f"storage objects describe {bucket}/never.txt"), "storage.objects.describe"
    )

    ok(cli, f"storage mv {src} {bucket}/moved.txt --encryption-key {new} --decryption-keys {old}")
    assert ok(cli, f"storage cat {bucket}/moved.txt --decryption-keys {new}").stdout == (
        "copied across keys"
    )
    assert "matched no objects" in failed_in_one_line(
        nimbus(cli, f"storage cat {src}"), "storage.cat"
    )


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--encryption-key", "not base64 at all!"),
        ("--encryption-key", base64.b64encode(b"sixteen byte key").decode()),
        ("--decryption-keys", base64.b64encode(os.urandom(33)).decode()),
        ("--encryption-key", "projects/p/locations/global/keyRings/r/cryptoKeys/k"),
    ],
)
def test_invalid_keys_are_refused_before_anything_is_sent(
    cli: Cli, bucket: str, tmp_path: Path, flag: str, value: str
) -> None:
    source = tmp_path / "kept-out.txt"
    source.write_text("never sent")
    refused = nimbus(cli, f"storage cp {source} {bucket}/kept-out.txt {flag} '{value}'")
    line = failed_in_one_line(refused, "storage.cp")
    assert flag in line and value not in line  # a key is never echoed
    listed = nimbus(cli, f"storage ls {bucket}/kept-out.txt")
    assert "matched no objects" in failed_in_one_line(listed, "storage.ls")
