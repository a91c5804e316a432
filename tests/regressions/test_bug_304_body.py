"""A 304 from a failed ``ifGenerationNotMatch`` was sent with a JSON error body.

HTTP forbids a body on a 304, so the server broke off the connection after the
headers; a client that had already pooled the connection was reset on its next
request. Two requests pipelined on one connection show it without racing.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from google.cloud import storage

from tests.servers import NimbusServer


def test_connection_survives_a_304(server: NimbusServer, bucket: storage.Bucket) -> None:
    blob = bucket.blob("kept.txt")
    blob.upload_from_string(b"kept")
    token = bucket.client._credentials.token
    path = f"/storage/v1/b/{bucket.name}/o/kept.txt"
    request = (
        f"GET {path}?alt=json&ifGenerationNotMatch={blob.generation} HTTP/1.1\r\n"
        f"Host: nimbus\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall((request * 2).encode())
        received = b""
        while received.count(b"HTTP/1.1 304") < 2:
            chunk = conn.recv(65536)
            assert chunk, f"connection closed after: {received!r}"
            received += chunk
    assert b"Content-Type" not in received and b"content-type" not in received
