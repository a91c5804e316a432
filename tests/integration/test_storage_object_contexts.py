"""Object contexts (``contexts.custom``) through google-cloud-storage: set on upload,
patched key by key, carried or replaced by copy, rewrite and compose, and the
``objects.list`` filter on them."""

from __future__ import annotations

from urllib.parse import quote

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.cloud.storage.blob import ObjectContexts, ObjectCustomContextPayload

from tests.servers import NimbusServer


def _contexts(blob: storage.Blob | None, **values: str) -> ObjectContexts:
    custom = {key: ObjectCustomContextPayload(value=value) for key, value in values.items()}
    return ObjectContexts(blob, custom=custom)


def _values(blob: storage.Blob) -> dict[str, str]:
    return {key: payload.value for key, payload in blob.contexts.custom.items()}


def test_contexts_are_set_on_upload_patched_by_key_and_cleared(bucket: storage.Bucket) -> None:
    blob = bucket.blob("with-contexts")
    blob.contexts = _contexts(blob, k1="v1", k2="v2")
    blob.upload_from_string(b"foo")

    blob.reload()
    assert _values(blob) == {"k1": "v1", "k2": "v2"}
    first = blob.contexts.custom["k1"]
    assert first.create_time is not None and first.update_time == first.create_time

    blob.contexts.custom["k1"].value = "v1-updated"
    blob.contexts.custom["k2"].value = None  # a null value deletes the key
    blob.patch()

    blob.reload()
    assert _values(blob) == {"k1": "v1-updated"}
    updated = blob.contexts.custom["k1"]
    assert updated.create_time == first.create_time
    assert updated.update_time is not None and updated.update_time >= first.update_time

    blob.contexts = None
    blob.patch()
    blob.reload()
    assert not blob.contexts.custom
    assert "contexts" not in blob._properties


def test_a_patch_adds_and_changes_keys_and_keeps_the_others(bucket: storage.Bucket) -> None:
    blob = bucket.blob("custom-setter")
    blob.upload_from_string(b"foo")

    blob.contexts.custom = {
        "k1": ObjectCustomContextPayload(value="v1"),
        "k2": ObjectCustomContextPayload(value="v2"),
    }
    blob.patch()
    blob.reload()
    assert _values(blob) == {"k1": "v1", "k2": "v2"}

    blob.contexts.custom["k1"].value = "v1-updated"
    blob.patch()
    blob.reload()
    assert _values(blob) == {"k1": "v1-updated", "k2": "v2"}


def test_an_update_replaces_every_context(bucket: storage.Bucket) -> None:
    blob = bucket.blob("updated")
    blob.contexts = _contexts(blob, keep="1", drop="2")
    blob.upload_from_string(b"foo")

    blob.reload()
    blob._properties["contexts"] = {"custom": {"keep": {"value": "1"}}}
    blob.update()

    assert _values(bucket.get_blob("updated")) == {"keep": "1"}


@pytest.mark.parametrize(
    "custom",
    [
        {"-dash": {"value": "v"}},
        {"k": {"value": ""}},
        {"k": {"value": "x" * 257}},
        {"google:mine": {"value": "v"}},
        {"k": {"value": 'say "hi"'}},
        {"k": "not-an-object"},
    ],
)
def test_bad_contexts_are_refused_and_change_nothing(
    bucket: storage.Bucket, custom: dict[str, object]
) -> None:
    blob = bucket.blob("guarded")
    blob.contexts = _contexts(blob, k="v")
    blob.upload_from_string(b"foo")
    blob.reload()

    blob._patch_property("contexts", {"custom": custom})
    with pytest.raises(exceptions.BadRequest):
        blob.patch()

    reread = bucket.get_blob("guarded")
    assert _values(reread) == {"k": "v"}
    assert reread.metageneration == 1


def test_copy_and_rewrite_carry_the_source_contexts_or_set_new_ones(
    bucket: storage.Bucket,
) -> None:
    source = bucket.blob("source")
    source.contexts = _contexts(source, origin="source")
    source.upload_from_string(b"DEADBEEF")

    carried = bucket.copy_blob(source, bucket, "carried")
    carried.reload()
    assert _values(carried) == {"origin": "source"}

    replaced = bucket.copy_blob(
        source, bucket, "replaced", destination_contexts=_contexts(None, foo="bar")
    )
    replaced.reload()
    assert _values(replaced) == {"foo": "bar"}
    assert replaced.download_as_bytes() == b"DEADBEEF"

    rewritten = bucket.blob("rewritten")
    token, done, total = rewritten.rewrite(source, destination_contexts=_contexts(None, foo="bar"))
    assert (token, done, total) == (None, 8, 8)
    rewritten.reload()
    assert _values(rewritten) == {"foo": "bar"}


def test_compose_sets_the_destination_contexts_or_keeps_the_sources(
    bucket: storage.Bucket,
) -> None:
    first, second = bucket.blob("part-1"), bucket.blob("part-2")
    first.contexts = _contexts(first, a="1", shared="first")
    first.upload_from_string(b"AAA\n")
    second.contexts = _contexts(second, b="2", shared="second")
    second.upload_from_string(b"BBB\n")

    given = bucket.blob("given")
    given.content_type = "text/plain"
    given.compose([first, second], destination_contexts=_contexts(None, foo="bar"))
    given.reload()
    assert given.download_as_bytes() == b"AAA\nBBB\n"
    assert _values(given) == {"foo": "bar"}

    kept = bucket.blob("kept")
    kept.compose([first, second])
    kept.reload()
    assert _values(kept) == {"a": "1", "b": "2", "shared": "second"}


def _names(bucket: storage.Bucket, filter_: str) -> list[str]:
    return [blob.name for blob in bucket.list_blobs(filter_=filter_)]


def test_list_filters_on_context_values_and_presence(bucket: storage.Bucket) -> None:
    for name in ("foo", "bar", "baz", "qux"):
        blob = bucket.blob(name)
        blob.upload_from_string(b"helloworld")
        if name in ("bar", "qux"):
            blob.contexts = _contexts(blob, target="match" if name == "bar" else "nomatch")
            blob.patch()

    assert _names(bucket, 'contexts."target"="match"') == ["bar"]
    assert _names(bucket, 'contexts."target":*') == ["bar", "qux"]
    assert _names(bucket, '-contexts."target"="match"') == ["baz", "foo", "qux"]
    assert _names(bucket, '-contexts."target":*') == ["baz", "foo"]
    assert _names(bucket, 'NOT contexts."target":*') == ["baz", "foo"]
    assert _names(bucket, 'contexts."other":*') == []


def test_a_filtered_listing_pages_over_matches_only(bucket: storage.Bucket) -> None:
    for index in range(5):
        blob = bucket.blob(f"o{index}")
        if index % 2 == 0:
            blob.contexts = _contexts(blob, even="yes")
        blob.upload_from_string(b"")

    pages = bucket.list_blobs(filter_='contexts."even"="yes"', page_size=2).pages
    assert [[blob.name for blob in page] for page in pages] == [["o0", "o2"], ["o4"]]


@pytest.mark.parametrize(
    "filter_", ['contexts."a"', 'name="x"', 'contexts."a"="b" AND contexts."c":*']
)
def test_a_filter_this_server_does_not_know_is_a_bad_request(
    server: NimbusServer,
    owner: google.auth.transport.requests.AuthorizedSession,
    bucket: storage.Bucket,
    filter_: str,
) -> None:
    response = owner.get(f"{server.url}/storage/v1/b/{bucket.name}/o", params={"filter": filter_})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 400 and error["errors"][0]["reason"] == "invalid"


def test_contexts_are_in_the_object_resource_on_the_wire(
    server: NimbusServer,
    owner: google.auth.transport.requests.AuthorizedSession,
    bucket: storage.Bucket,
) -> None:
    blob = bucket.blob("wire")
    blob.contexts = _contexts(blob, team="data")
    blob.upload_from_string(b"")

    url = f"{server.url}/storage/v1/b/{bucket.name}/o/{quote('wire', safe='')}"
    payload = owner.get(url).json()["contexts"]["custom"]["team"]

    assert set(payload) == {"value", "createTime", "updateTime"}
    assert payload["value"] == "data"
