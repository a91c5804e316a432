from __future__ import annotations

import pytest

from nimbus.core.errors import InvalidArgument
from nimbus.core.paging import PageRequest, decode_token, encode_token, paginate


def test_pages_walk_every_item_once() -> None:
    keys = [f"k{i:02d}" for i in range(7)]
    seen: list[str] = []
    token = None
    while True:
        page = paginate(keys, keys, PageRequest.parse(3, token))
        seen += page.items
        token = page.next_page_token
        if token is None:
            break
    assert seen == keys


def test_a_page_survives_inserts_before_its_cursor() -> None:
    first = paginate(["a", "c", "e"], ["a", "c", "e"], PageRequest.parse(2, None))
    assert first.items == ["a", "c"]
    later = ["a", "b", "c", "d", "e"]
    assert paginate(later, later, PageRequest.parse(2, first.next_page_token)).items == ["d", "e"]


def test_tokens_round_trip_and_garbage_is_400() -> None:
    assert decode_token(encode_token("projects/x")) == "projects/x"
    for bad in ("%%%", "e30", "bm90IGpzb24"):
        with pytest.raises(InvalidArgument):
            decode_token(bad)
    with pytest.raises(InvalidArgument):
        PageRequest.parse(-1, None)
