"""Which uploads the short path takes, and which it leaves to the routed handler."""

from __future__ import annotations

import pytest

from nimbus.api.storage.fast_uploads import FastUploads
from tests.unit.short_paths import passes_on, request_scope


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=resumable&name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&upload_id=x"),
        ("POST", "/upload/storage/v1/b/bkt/o", "name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&kmsKeyName=k"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&ifGenerationMatch=x"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&projection=bad"),
        ("PUT", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a"),
        ("POST", "/storage/v1/b/bkt/o", "uploadType=media&name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o/a", "uploadType=media"),
    ],
)
def test_anything_but_a_plain_whole_upload_goes_to_the_router(
    method: str, path: str, query: str
) -> None:
    assert passes_on(FastUploads, request_scope(method, path, query))
