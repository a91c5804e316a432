"""``nimbus storage sign-url``: V4 signed URLs anyone can use, until they expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.context import context_of
from nimbus.cli.failures import CliError
from nimbus.cli.files import read_json_object
from nimbus.cli.flags import key_values
from nimbus.cli.storage.signing import SigningKey, SignRequest, parse_duration, signed_url
from nimbus.cli.storage.urls import parse_object

VERBS = ("GET", "PUT", "POST", "DELETE", "HEAD", "RESUMABLE")


def sign_url(
    ctx: typer.Context,
    urls: Annotated[list[str], typer.Argument(metavar="URLS...", show_default=False)],
    private_key_file: Annotated[
        Path,
        typer.Option("--private-key-file", help="A service account's JSON key file."),
    ],
    duration: Annotated[
        str, typer.Option("--duration", "-d", help="How long it works: 3600, 10m, 1h, 7d.")
    ] = "1h",
    http_verb: Annotated[
        str, typer.Option("--http-verb", "-m", help="GET, PUT, POST, DELETE, HEAD, RESUMABLE.")
    ] = "GET",
    headers: Annotated[
        str | None, typer.Option("--headers", help="Headers requests must send: K=V,...")
    ] = None,
    query_params: Annotated[
        str | None, typer.Option("--query-params", help="Query parameters to sign: K=V,...")
    ] = None,
    region: Annotated[str, typer.Option("--region", help="The signing region.")] = "auto",
) -> None:
    """Make signed URLs for objects with a service account's private key."""
    verb = http_verb.upper()
    if verb not in VERBS:
        raise CliError(f"argument --http-verb: Invalid choice: '{http_verb}'.")
    seconds = parse_duration(duration)
    key = _signing_key(private_key_file)
    signed_headers = key_values(headers, "--headers")
    if verb == "RESUMABLE":
        verb, signed_headers = "POST", {**signed_headers, "x-goog-resumable": "start"}
    context = context_of(ctx)
    endpoint = context.endpoint()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expiration = (now + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
    records = []
    for text in urls:
        url = parse_object(text)
        request = SignRequest(
            endpoint=endpoint,
            bucket=url.bucket,
            name=url.name,
            method=verb,
            seconds=seconds,
            headers=signed_headers,
            query=key_values(query_params, "--query-params"),
            region=region,
        )
        records.append(
            {
                "resource": str(url),
                "http_verb": http_verb.upper(),
                "expiration": expiration,
                "signed_url": signed_url(request, key, now),
            }
        )
    output.show(records, context.format, "yaml")


def _signing_key(path: Path) -> SigningKey:
    info = read_json_object(path, "private key file")
    email, pem = info.get("client_email"), info.get("private_key")
    if info.get("type") != "service_account" or not email or not pem:
        raise CliError(f"The file [{path}] is not a service account's JSON key file.")
    return SigningKey(str(email), str(pem))
