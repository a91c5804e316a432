"""Google's metadata rendering: directories, text leaves, and recursive camelCase JSON."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from nimbus.services.compute.metadata_server import VERBATIM


class Missing(Exception):
    """No such key in the tree."""


def navigate(tree: Any, parts: list[str]) -> Any:
    node = tree
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise Missing(part)
    return node


def is_directory(node: Any) -> bool:
    return isinstance(node, dict) or (
        isinstance(node, list) and all(isinstance(item, dict) for item in node) and bool(node)
    )


def listing(node: Any) -> str:
    if isinstance(node, dict):
        names = [f"{key}/" if is_directory(value) else key for key, value in node.items()]
    else:
        names = [f"{index}/" for index in range(len(node))]
    return "".join(f"{name}\n" for name in names)


def leaf_text(key: str, node: Any) -> str:
    if isinstance(node, list):
        if key == "tags":
            return orjson.dumps(node).decode()
        return "".join(f"{item}\n" for item in node)
    return str(node)


def camel(node: Any, verbatim: bool = False) -> Any:
    """Recursive JSON keys in camelCase, except user data (attribute names, accounts)."""
    if isinstance(node, dict):
        return {
            (key if verbatim else _camel_key(key)): camel(value, key in VERBATIM and not verbatim)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [camel(item) for item in node]
    return node


def _camel_key(key: str) -> str:
    head, *rest = key.split("-")
    return head + "".join(word.capitalize() for word in rest)


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]
