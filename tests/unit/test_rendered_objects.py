"""Kept listing JSON: an upload keeps its object under the very key a listing reads it
by, and each key is the whole stored row, so any change is a new key."""

from __future__ import annotations

import asyncio
import tracemalloc

import httpx
import orjson

from nimbus.api.app import create_app
from nimbus.api.responses import compact
from nimbus.api.storage.rendered_objects import RenderedObjects
from nimbus.services.cloud import Cloud
from tests.unit.cloud_owner import owner_of

BUCKET = "rendered"
OBJECTS = f"/storage/v1/b/{BUCKET}/o"


def _token(cloud: Cloud) -> str:
    with cloud.db.write() as session:
        return cloud.tokens._issue(
            session,
            principal=owner_of(cloud).principal,
            scope="https://www.googleapis.com/auth/cloud-platform",
        ).access_token


def test_uploads_are_listed_from_what_they_kept(cloud: Cloud) -> None:
    cloud.buckets.insert(owner_of(cloud), "nimbus-system", {"name": BUCKET})
    app = create_app(cloud)
    rendered: RenderedObjects = app.state.rendered_objects
    headers = {"Authorization": f"Bearer {_token(cloud)}"}

    async def story() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://nimbus.test", headers=headers
        ) as http:
            written = []
            for name, body in (("a", b"1"), ("b", b"22"), ("c", b"")):
                answer = await http.post(f"/upload{OBJECTS}",
                                         params={"uploadType": "media", "name": name},
                                         content=body)  # fmt: skip
                written.append(answer.json())
            assert len(rendered) == 3
            # Listed from the uploads' own JSON: nothing new rendered.
            assert (await http.get(OBJECTS)).json()["items"] == written
            assert len(rendered) == 3
            # A change is a new row: rendered afresh, and kept beside the old one.
            patched = await http.patch(f"{OBJECTS}/a", json={"metadata": {"k": "v"}})
            listed = (await http.get(OBJECTS)).json()["items"]
            assert listed[0] == patched.json()
            assert listed[0]["metadata"] == {"k": "v"}
            assert len(rendered) == 4

    asyncio.run(story())


def test_the_oldest_renderings_make_way(cloud: Cloud) -> None:
    assert cloud.quick_object_reads is not None
    rendered = RenderedObjects(cloud.quick_object_reads, limit=2)
    for index in range(5):
        rendered._keep(("http://x", None, (index,)), b"{}")
    assert len(rendered) == 2
    assert list(rendered._kept) == [("http://x", None, (3,)), ("http://x", None, (4,))]


def test_kept_json_holds_its_own_size(cloud: Cloud) -> None:
    """orjson hands its output over in an 8 KiB buffer; what is kept is copied out."""
    assert cloud.quick_object_reads is not None
    rendered = RenderedObjects(cloud.quick_object_reads, limit=1000)
    resource = {"kind": "storage#object", "name": "n" * 500}
    tracemalloc.start()
    try:
        for index in range(1000):
            rendered._keep(("http://x", None, (index,)), orjson.dumps(resource))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 1000 * 2048
    assert compact(orjson.dumps(resource)) == orjson.dumps(resource)
