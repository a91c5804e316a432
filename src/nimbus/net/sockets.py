"""Sockets that live in a router's namespace while the Nimbus process serves them from
its own threads and event loop (a socket belongs to the namespace it was made in)."""

from __future__ import annotations

import socket

from nimbus.net import namespaces

_BACKLOG = 128


def _made_in(netns: str, kind: socket.SocketKind) -> socket.socket:
    return namespaces.run_in(netns, lambda: socket.socket(socket.AF_INET, kind))


def listen(netns: str, address: str, port: int, kind: socket.SocketKind) -> socket.socket:
    """A bound socket (listening, for SOCK_STREAM) inside ``netns``."""
    sock = _made_in(netns, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def connect(netns: str, address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection from inside ``netns``; the socket keeps ``timeout``."""
    sock = _made_in(netns, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock
