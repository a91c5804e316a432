"""Which deletes the short path takes, and which it leaves to the routed handler."""

from __future__ import annotations

import pytest

from nimbus.api.storage.fast_deletes import FastDeletes
from tests.unit.short_paths import passes_on, request_scope


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("DELETE", "/storage/v1/b/bkt/o/a/acl/allUsers", ""),
        ("DELETE", "/storage/v1/b/bkt/o/a/acl", ""),
        ("DELETE", "/storage/v1/b/bkt/o/a", "generation=x"),
        ("DELETE", "/storage/v1/b/bkt/o/a", "ifGenerationMatch=1.5"),
        ("DELETE", "/storage/v1/b/bkt/o/a", "softDeleted=true"),
        ("DELETE", "/storage/v1/b/bkt", ""),
        ("DELETE", "/storage/v1/b/bkt/o", ""),
        ("GET", "/storage/v1/b/bkt/o/a", ""),
        ("DELETE", "/upload/storage/v1/b/bkt/o", "upload_id=x"),
    ],
)
def test_anything_but_a_plain_object_delete_goes_to_the_router(
    method: str, path: str, query: str
) -> None:
    assert passes_on(FastDeletes, request_scope(method, path, query))
