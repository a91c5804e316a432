"""gcloud's ``--format``: what a command prints on stdout, and its messages on stderr.

A format is ``KIND[ATTRIBUTES](PROJECTION)``: ``json``, ``yaml``, ``table(...)``,
``value(...)`` (tab-separated, no heading), ``csv(...)``, ``none`` or ``default`` (the
command's own). A projection lists keys (``projectId``, ``labels.env``,
``bindings[0].role``), each optionally with a transform (``name.basename()``) and a
label (``:label=KEY_ID``). Attributes: ``no-heading`` and ``separator=S``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nimbus.cli.failures import CliError

KINDS = ("csv", "default", "json", "none", "table", "value", "yaml")
_SPEC = re.compile(
    r"^\s*(?P<kind>[a-z]+)\s*(?:\[(?P<attributes>[^\]]*)\])?\s*(?:\((?P<projection>.*)\))?\s*$",
    re.DOTALL,
)
_COLUMN = re.compile(r"^(?P<key>[A-Za-z0-9_\-.\[\]]+?)(?:\.(?P<transform>[a-z_]+)\(\))?$")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Column:
    key: str
    label: str | None = None
    transform: str | None = None

    @property
    def title(self) -> str:
        """A table heading: the label, else the last key in upper snake case."""
        if self.label is not None:
            return self.label
        names = [name for name, _ in _STEP.findall(self.key) if name] or [self.key]
        return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", names[-1]).upper()

    @property
    def path(self) -> list[str | int]:
        return [name or int(index) for name, index in _STEP.findall(self.key)]

    def value(self, item: object) -> object:
        current: object = item
        for step in self.path:
            if isinstance(step, int):
                current = (
                    current[step] if isinstance(current, list) and step < len(current) else None
                )
            elif isinstance(current, dict):
                current = current.get(step)
            elif isinstance(current, list):
                # gcloud's projection: a key after a list reads it in every element.
                current = [e.get(step) if isinstance(e, dict) else None for e in current]
            else:
                current = None
        return _TRANSFORMS[self.transform](current) if self.transform else current


@dataclass(frozen=True)
class Format:
    kind: str
    columns: tuple[Column, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def heading(self) -> bool:
        return "no-heading" not in self.attributes


def _basename(value: object) -> object:
    return str(value).rstrip("/").rsplit("/", 1)[-1] if value is not None else None


def _list(value: object) -> object:
    return ",".join(cell(v) for v in value) if isinstance(value, list) else value


def _len(value: object) -> object:
    return len(value) if isinstance(value, list | dict | str) else value


def _yesno(value: object) -> object:
    """gcloud's ``yesno(yes=true, no='')``, as its instance tables show PREEMPTIBLE."""
    return "true" if value is True else ""


_TRANSFORMS = {"basename": _basename, "list": _list, "len": _len, "yesno": _yesno}


def parse_format(spec: str) -> Format:
    match = _SPEC.match(spec)
    if match is None or match["kind"] not in KINDS:
        raise CliError(
            f"Format [{spec}] is not supported: use json, yaml, table(...), value(...), "
            "csv(...), none or default."
        )
    attributes = {}
    for attribute in _split(match["attributes"] or ""):
        name, _, value = attribute.partition("=")
        attributes[name.strip()] = value.strip()
    columns = tuple(_column(text) for text in _split(match["projection"] or ""))
    return Format(match["kind"], columns, attributes)


def _split(text: str) -> list[str]:
    """Comma-separated parts, ignoring commas inside parentheses or quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _column(text: str) -> Column:
    head, *attributes = text.split(":")
    match = _COLUMN.match(head.strip())
    if match is None or (match["transform"] and match["transform"] not in _TRANSFORMS):
        raise CliError(f"The format key [{text}] is not supported.")
    label = None
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        if name.strip() == "label":
            label = value.strip().strip("'\"")
    return Column(match["key"], label, match["transform"])


def cell(value: object) -> str:
    """One value as gcloud prints it in a table, a value line or a CSV field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={cell(v)}" for k, v in sorted(value.items()))
    return str(value)


def show(data: dict[str, Any] | Sequence[dict[str, Any]], spec: str | None, default: str) -> None:
    """Print a resource or a list of them in the format asked for, else the default."""
    chosen = parse_format(spec) if spec else parse_format(default)
    if chosen.kind == "default":
        chosen = parse_format(default)
    text = render(data, chosen)
    if text:
        sys.stdout.write(text)
    if isinstance(data, Sequence) and not data and chosen.kind == "table":
        status("Listed 0 items.")


def render(data: dict[str, Any] | Sequence[dict[str, Any]], chosen: Format) -> str:
    items = list(data) if isinstance(data, Sequence) else [data]
    if chosen.kind == "none":
        return ""
    if chosen.kind in ("json", "yaml"):
        return _document(data, chosen)
    columns = chosen.columns or _all_columns(items)
    rows = [[cell(column.value(item)) for column in columns] for item in items]
    if chosen.kind == "value":
        separator = chosen.attributes.get("separator", "\t")
        return "".join(separator.join(row) + "\n" for row in rows)
    if chosen.kind == "csv":
        return _csv(columns, rows, chosen)
    return _table([c.title for c in columns], rows, chosen.heading) if rows else ""


def _document(data: dict[str, Any] | Sequence[dict[str, Any]], chosen: Format) -> str:
    def projected(item: dict[str, Any]) -> dict[str, Any]:
        return _project(item, chosen.columns) if chosen.columns else item

    if chosen.kind == "json":
        shown: object = (
            [projected(i) for i in data] if isinstance(data, Sequence) else projected(data)
        )
        return json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if isinstance(data, Sequence):
        return "".join("---\n" + _yaml(projected(item)) for item in data)
    return _yaml(projected(data))


def _yaml(item: object) -> str:
    import yaml

    return yaml.safe_dump(item, default_flow_style=False, sort_keys=True, allow_unicode=True)


def _project(item: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    """Only the projected keys, nested as in the resource."""
    out: dict[str, Any] = {}
    for column in columns:
        value = column.value(item)
        if value is None:
            continue
        names = [str(step) for step in column.path]
        target = out
        for name in names[:-1]:
            target = target.setdefault(name, {})
        target[names[-1]] = value
    return out


def _all_columns(items: list[dict[str, Any]]) -> tuple[Column, ...]:
    keys = sorted({key for item in items for key in item})
    return tuple(Column(key) for key in keys)


def _csv(columns: Sequence[Column], rows: list[list[str]], chosen: Format) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if chosen.heading:
        writer.writerow([c.label or c.key for c in columns])
    writer.writerows(rows)
    return out.getvalue()


def _table(labels: list[str], rows: list[list[str]], heading: bool) -> str:
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=heading, show_edge=False, pad_edge=False, padding=(0, 1))
    for label in labels:
        table.add_column(Text(label), no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*(Text(value) for value in row))
    widths = [max(cell_len(v) for v in column) for column in zip(labels, *rows, strict=True)]
    console = Console(width=sum(widths) + 2 * len(widths) + 1, color_system=None, highlight=False)
    with console.capture() as captured:
        console.print(table)
    return "".join(line.rstrip() + "\n" for line in captured.get().splitlines())


def status(message: str) -> None:
    """A message for the person at the terminal, on stderr like gcloud's."""
    print(message, file=sys.stderr, flush=True)
