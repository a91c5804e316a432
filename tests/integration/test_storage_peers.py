"""Other projects' clients, unchanged: gcsfs (what pandas uses for gs://) and rclone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gcsfs.core import GCSFileSystem

from tests.conftest import unique_id
from tests.servers import NimbusServer


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _make_tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.bin").write_bytes(os.urandom(300_000))
    (root / "sub" / "b.txt").write_text("hello\n")
    (root / "sub" / "deeper" / "c.bin").write_bytes(os.urandom(9_000_000))
    (root / "empty").write_bytes(b"")
    (root / "sub" / "ünï cødé.txt").write_text("names are UTF-8\n")


def test_gcsfs(server: NimbusServer, project: str, tmp_path: Path) -> None:
    # gcsfs's default class also asks a gRPC control plane for each bucket's layout;
    # Nimbus speaks JSON, so the plain filesystem class is used (see the README).
    fs = GCSFileSystem(endpoint_url=server.url, token=str(server.owner_key), project=project)
    bucket = unique_id("gcsfs")
    fs.mkdir(bucket)
    with fs.open(f"{bucket}/dir/small.txt", "wb") as handle:
        handle.write(b"hello gcsfs")
    assert fs.cat(f"{bucket}/dir/small.txt") == b"hello gcsfs"
    big = os.urandom(12 * 1024 * 1024 + 3)
    with fs.open(f"{bucket}/big.bin", "wb", block_size=5 * 1024 * 1024) as handle:
        handle.write(big)
    assert fs.cat(f"{bucket}/big.bin") == big
    assert fs.cat_file(f"{bucket}/big.bin", start=5, end=50) == big[5:50]
    assert sorted(fs.ls(bucket)) == [f"{bucket}/big.bin", f"{bucket}/dir"]
    assert fs.info(f"{bucket}/big.bin")["size"] == len(big)
    assert fs.isdir(f"{bucket}/dir") and not fs.exists(f"{bucket}/nothing")
    source = tmp_path / "up"
    _make_tree(source)
    fs.put(str(source), f"{bucket}/tree", recursive=True)
    back = tmp_path / "back"
    fs.get(f"{bucket}/tree", str(back), recursive=True)
    assert _tree(back) == _tree(source)
    # Several files at once go through a batch request.
    fs.rm(f"{bucket}/tree", recursive=True)
    fs.invalidate_cache()
    assert fs.find(f"{bucket}/tree") == []
    fs.rm(bucket, recursive=True)
    assert not fs.exists(bucket)


@pytest.fixture
def rclone_env(server: NimbusServer, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RCLONE_CONFIG": str(tmp_path / "rclone.conf"),
        "RCLONE_CONFIG_NIMBUS_TYPE": "google cloud storage",
        "RCLONE_CONFIG_NIMBUS_SERVICE_ACCOUNT_FILE": str(server.owner_key),
        "RCLONE_CONFIG_NIMBUS_ENDPOINT": f"{server.url}/storage/v1/",
    }


def test_rclone_tree_up_and_back(rclone_env: dict[str, str], project: str, tmp_path: Path) -> None:
    def rclone(*args: str) -> str:
        done = subprocess.run(
            ["rclone", *args], env=rclone_env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    bucket = unique_id("rclone")
    rclone_env["RCLONE_CONFIG_NIMBUS_PROJECT_NUMBER"] = project
    source = tmp_path / "src"
    _make_tree(source)
    rclone("mkdir", f"nimbus:{bucket}")
    rclone("copy", str(source), f"nimbus:{bucket}/tree")
    listed = rclone("lsf", "-R", "--files-only", f"nimbus:{bucket}/tree")
    assert sorted(listed.split()) == sorted(
        ["a.bin", "empty", "sub/b.txt", "sub/deeper/c.bin", "sub/ünï", "cødé.txt"]
    )
    rclone("check", str(source), f"nimbus:{bucket}/tree")
    back = tmp_path / "back"
    rclone("copy", f"nimbus:{bucket}/tree", str(back))
    assert _tree(back) == _tree(source)
    rclone("purge", f"nimbus:{bucket}")
