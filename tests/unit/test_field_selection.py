"""The ``fields`` grammar of Google's JSON APIs: parsing and trimming."""

from __future__ import annotations

import pytest

from nimbus.api.field_selection import InvalidFieldSelection, apply_fields, parse_fields

OBJECT = {"kind": "storage#object", "name": "a", "size": "3", "metadata": {"k": "v", "x": "y"}}
LISTING = {"kind": "storage#objects", "nextPageToken": "t", "items": [OBJECT, OBJECT]}


def test_top_level_names() -> None:
    assert apply_fields(OBJECT, parse_fields("name,size")) == {"name": "a", "size": "3"}


def test_paths_reach_inside() -> None:
    assert apply_fields(OBJECT, parse_fields("metadata/k")) == {"metadata": {"k": "v"}}


def test_sub_selections_apply_to_each_element() -> None:
    trimmed = apply_fields(LISTING, parse_fields("items(name,metadata/x),nextPageToken"))
    assert trimmed == {
        "nextPageToken": "t",
        "items": [{"name": "a", "metadata": {"x": "y"}}] * 2,
    }


def test_wildcard_and_whole_fields() -> None:
    assert apply_fields(LISTING, parse_fields("items/*")) == {"items": [OBJECT, OBJECT]}
    assert apply_fields(OBJECT, parse_fields("metadata,metadata/k")) == {
        "metadata": OBJECT["metadata"]
    }


def test_missing_names_are_left_out() -> None:
    assert apply_fields(OBJECT, parse_fields("name,owner")) == {"name": "a"}


@pytest.mark.parametrize("text", ["name,", "items(name", "a//b", "(x)", "name)"])
def test_malformed_selections_are_refused(text: str) -> None:
    with pytest.raises(InvalidFieldSelection):
        parse_fields(text)
