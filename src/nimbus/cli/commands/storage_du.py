"""``nimbus storage du``: the bytes objects use, per object, prefix and bucket, as
gcloud storage prints them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.storage.bucket_patterns import expand
from nimbus.cli.storage.du import Options, Report
from nimbus.cli.storage.urls import CloudUrl, is_cloud, parse


def du(
    ctx: typer.Context,
    urls: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[URLS]...", help="Buckets, prefixes or objects; all buckets if none."
        ),
    ] = None,
    all_versions: Annotated[
        bool,
        typer.Option("--all-versions", "-a", help="Noncurrent versions too, with #GENERATION."),
    ] = False,
    total: Annotated[bool, typer.Option("--total", "-c", help="A grand total at the end.")] = False,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-name-pattern",
            "-e",
            metavar="PATTERN",
            help="Leave out what this wildcard matches (e.g. '*.bak'); may be repeated.",
        ),
    ] = None,
    exclude_file: Annotated[
        str | None,
        typer.Option(
            "--exclude-name-pattern-file",
            "-X",
            metavar="FILE",
            help="Patterns as for -e, one per line ('-' reads them from stdin).",
        ),
    ] = None,
    readable_sizes: Annotated[
        bool, typer.Option("--readable-sizes", "-r", help="Sizes as 2.00kiB, 1.50MiB.")
    ] = False,
    summarize: Annotated[
        bool, typer.Option("--summarize", "-s", help="Only a total for each URL.")
    ] = False,
    zero_terminator: Annotated[
        bool, typer.Option("--zero-terminator", "-0", help="End each line with a 0 byte.")
    ] = False,
) -> None:
    """Show the bytes used by objects, prefixes and buckets."""
    targets = [_cloud_url(text) for text in urls or []]
    patterns = [*(exclude or []), *(_patterns_in(exclude_file) if exclude_file else [])]
    report = Report(
        Options(
            all_versions=all_versions,
            summarize=summarize,
            readable_sizes=readable_sizes,
            exclude=tuple(patterns),
        )
    )
    end = "\0" if zero_terminator else "\n"
    context = context_of(ctx)
    with context.api() as api:
        for url in targets or [CloudUrl()]:
            if url.is_provider:
                found = api.pages("/storage/v1/b", "items", {"project": context.project()})
                lines = report.bucket_lines(api, (str(bucket["name"]) for bucket in found))
            else:
                lines = report.url_lines(api, url, expand(api, context.project, url))
            for line in lines:
                print(line, end=end)
    if total:
        print(report.total_line(), end=end)


def _cloud_url(text: str) -> CloudUrl:
    if not is_cloud(text) and "://" not in text:
        raise CliError(
            f"Du only works for valid cloud URLs. file://{text} is an invalid cloud URL."
        )
    return parse(text, bucket_wildcards=True)


def _patterns_in(source: str) -> list[str]:
    """One pattern per line, stripped as gcloud strips them."""
    if source == "-":
        return [line.strip() for line in sys.stdin]
    try:
        text = Path(source).read_text()
    except OSError as exc:
        raise CliError(f"Unable to read file [{source}]: {exc}") from exc
    return [line.strip() for line in text.splitlines()]
